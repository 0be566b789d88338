// React's taint API: a tainted string makes React throw instead of serializing it to a client
// component or an action closure. It exists only in React's experimental react-server build,
// which Next uses for server components when `experimental.taint` is on; elsewhere (Pages
// Router, middleware, stable React) this does nothing.
import * as React from "react";

type TaintUniqueValue = (message: string, lifetime: object, value: string) => void;

// Looked up on the namespace as a value, not as a named import: webpack fails the build on an
// import that a module does not export, which stable React's builds (the edge runtime's, and
// every one without `experimental.taint`) do not.
const react = React as { experimental_taintUniqueValue?: TaintUniqueValue };

const MESSAGE =
  "A Coffer credential (COFFER_API_KEY, COFFER_SECRET or COFFER_PREVIOUS_SECRETS) was about to be sent to the client. Keep it on the server.";

/**
 * Taints `values` for as long as `lifetime` lives, once per React instance (a process can hold
 * several: Next bundles React per layer), which `seen` remembers.
 */
export function taintSecrets(
  lifetime: object,
  values: readonly string[],
  seen: WeakSet<object>,
): void {
  const taint = react.experimental_taintUniqueValue;
  if (typeof taint !== "function" || seen.has(taint)) return;
  seen.add(taint);
  for (const value of values) taint(MESSAGE, lifetime, value);
}
