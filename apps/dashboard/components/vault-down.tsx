// A page whose vault did not answer: a clear message on the page itself, rather than the error
// page (and its HTTP 500). Other failures still reach app/error.tsx.
import type { ReactNode } from "react";
import { signOut } from "../app/actions";
import { AdminApiError, vaultUrl } from "../lib/admin-api";
import { ReloadButton } from "./reload-button";

/** Renders `page`, or the vault-down message if the vault did not answer or failed (5xx). */
export async function orVaultDown(page: () => Promise<ReactNode>): Promise<ReactNode> {
  try {
    return await page();
  } catch (error) {
    // redirect() and notFound() throw their own errors: only the vault's failures stop here.
    if (error instanceof AdminApiError && (error.status === 0 || error.status >= 500)) {
      return <VaultDown code={error.code} />;
    }
    throw error;
  }
}

function VaultDown({ code }: { code: string }) {
  return (
    <main id="main" className="signin">
      <h1>The vault is not answering</h1>
      <p role="alert" className="error">
        {code === "NETWORK_ERROR"
          ? `The vault at ${vaultUrl()} did not answer. Is it running?`
          : `The vault at ${vaultUrl()} failed to answer this page (${code}).`}
      </p>
      <div className="form-actions">
        <ReloadButton />
        <form action={signOut}>
          <button type="submit" className="secondary">
            Sign out
          </button>
        </form>
      </div>
    </main>
  );
}
