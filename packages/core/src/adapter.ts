// What every framework adapter needs, kept here so no adapter copies it: vault options from an
// environment the adapter passes in (core itself reads no environment), and the HTTP answer
// for a CofferError.
import { CofferError, isCofferError } from "./errors.js";
import type { VaultOptions } from "./vault.js";

/** The variables the adapters and the CLI read. */
export const ENV = {
  url: "COFFER_URL",
  apiKey: "COFFER_API_KEY",
  secret: "COFFER_SECRET",
  previousSecrets: "COFFER_PREVIOUS_SECRETS",
  /** `1` (or `true`) allows plain `http://` to a host that is not loopback (`allowInsecureHttp`). */
  allowInsecureHttp: "COFFER_ALLOW_INSECURE_HTTP",
} as const;

/**
 * Vault options from environment variables (pass `process.env`), with overrides on top. A missing
 * variable is an INVALID_ARGUMENT naming it; values are never echoed.
 *
 * @example
 * ```ts
 * const vault = createVault(vaultOptionsFromEnv(process.env));
 * ```
 */
export function vaultOptionsFromEnv(
  env: Record<string, string | undefined>,
  overrides: Partial<VaultOptions> = {},
): VaultOptions {
  const pick = (name: string, override: string | undefined) => {
    const value = override ?? env[name];
    if (!value) {
      throw new CofferError(
        "INVALID_ARGUMENT",
        `${name} is not set: Coffer needs ${Object.values(ENV).slice(0, 3).join(", ")} on the server (see \`coffer init\`).`,
        {
          details: { variable: name },
        },
      );
    }
    return value;
  };
  const previous =
    overrides.previousSecrets ??
    (env[ENV.previousSecrets] ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  const insecure = overrides.allowInsecureHttp ?? flag(env, ENV.allowInsecureHttp);
  return {
    ...overrides,
    url: pick(ENV.url, overrides.url),
    apiKey: pick(ENV.apiKey, overrides.apiKey),
    secret: pick(ENV.secret, overrides.secret),
    previousSecrets: previous,
    ...(insecure ? { allowInsecureHttp: true } : {}),
  };
}

/**
 * A yes/no environment variable: `1`, `true`, `yes` or `0`, `false`, `no`, any case; unset or
 * empty is false. Anything else is an INVALID_ARGUMENT naming the variable.
 */
export function flag(env: Record<string, string | undefined>, name: string): boolean {
  const value = (env[name] ?? "").trim().toLowerCase();
  if (value === "" || value === "0" || value === "false" || value === "no") return false;
  if (value === "1" || value === "true" || value === "yes") return true;
  throw new CofferError("INVALID_ARGUMENT", `${name} must be 1 or 0 (true or false).`, {
    details: { variable: name },
  });
}

/**
 * The HTTP status and JSON body an adapter answers an application's client with, or undefined
 * if the error is not a CofferError. A 5xx keeps its code but not its message or details: those
 * describe the server's configuration (secrets, key ids), which the client has no business seeing.
 */
export function cofferErrorResponse(error: unknown):
  | {
      status: number;
      body: { error: { code: string; message: string; details?: Record<string, unknown> } };
    }
  | undefined {
  if (!isCofferError(error)) return undefined;
  if (error.status >= 500) {
    return {
      status: error.status,
      body: {
        error: { code: error.code, message: "The server could not reach its secret storage." },
      },
    };
  }
  return { status: error.status, body: { error: error.toJSON() } };
}
