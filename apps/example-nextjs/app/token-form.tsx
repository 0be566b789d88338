"use client";
// The only client component: it sends a new token to the server action and shows what comes
// back, which is the masked token, never the token.
import { useActionState } from "react";
import { saveGitHubToken, type TokenState } from "./actions";

export function TokenForm({ saved }: { saved: string | null }) {
  const initial: TokenState = { masked: saved, error: null };
  const [state, action, pending] = useActionState(saveGitHubToken, initial);
  return (
    <form action={action}>
      <p>
        Saved token: <output id="masked-token">{state.masked ?? "none yet"}</output>
      </p>
      <label>
        New token
        <input name="token" type="password" autoComplete="off" placeholder="ghp_…" required />
      </label>
      <button type="submit" disabled={pending}>
        {pending ? "Saving…" : "Save to Coffer"}
      </button>
      {state.error && <p role="alert">{state.error}</p>}
    </form>
  );
}
