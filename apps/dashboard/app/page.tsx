// Sign in with the admin token. The form posts to a server action, which checks the token with
// the vault and keeps it, sealed, in an httpOnly cookie.
import { redirect } from "next/navigation";
import { ActionForm } from "../components/action-form";
import { vaultUrl } from "../lib/admin-api";
import { sessionToken } from "../lib/session";
import { signIn } from "./actions";

export const metadata = { title: "Sign in" };

export default async function SignInPage(props: { searchParams: Promise<{ expired?: string }> }) {
  const { expired } = await props.searchParams;
  if (!expired && (await sessionToken()) !== null) redirect("/projects");
  return (
    <main id="main" className="signin">
      <h1>
        Coffer <span>admin</span>
      </h1>
      <p className="muted">
        Manage the stores, API keys and audit log of the vault at <code>{vaultUrl()}</code>.
      </p>
      {expired && (
        <p className="error" role="alert">
          The vault no longer accepts the admin token of your session. Sign in again.
        </p>
      )}
      <ActionForm
        action={signIn}
        submitLabel="Sign in"
        pendingLabel="Checking…"
        className="card stack"
      >
        <label htmlFor="token">Admin token</label>
        <input
          id="token"
          name="token"
          type="password"
          maxLength={200}
          autoComplete="off"
          spellCheck={false}
          placeholder="coffer_admin_…"
          required
        />
        <p className="hint">
          Printed once by the vault on its first start (<code>coffer_admin_…</code>). It stays on
          this server, sealed in an httpOnly cookie.
        </p>
      </ActionForm>
    </main>
  );
}
