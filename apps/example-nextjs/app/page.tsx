// The signed-in user's page: their GitHub token, read through Coffer and shown masked.
import { getDataVaultStore } from "@coffer/nextjs";
import { maskToken, TOKEN_STORE, tokenKey } from "../lib/github-token";
import { currentUser } from "../lib/session";
import { signIn, signOut } from "./actions";
import { TokenForm } from "./token-form";

export default async function Home({ searchParams }: PageProps<"/">) {
  const user = await currentUser();
  if (user === null) {
    const { error } = await searchParams;
    return (
      <main>
        <h1>Sign in</h1>
        <p>Any name will do: this example fakes its sessions (see lib/session.ts).</p>
        <form action={signIn}>
          <label>
            Name
            <input name="name" autoComplete="username" pattern="[A-Za-z0-9_\-]{1,32}" required />
          </label>
          <button type="submit">Sign in</button>
          {error === "name" && <p role="alert">Letters, digits, - and _ only.</p>}
        </form>
      </main>
    );
  }
  const store = await getDataVaultStore(TOKEN_STORE);
  const token = await store.getValue(tokenKey(user));
  return (
    <main>
      <header>
        <span>
          Signed in as <strong id="user">{user}</strong>
        </span>
        <form action={signOut}>
          <button type="submit">Sign out</button>
        </form>
      </header>
      <h1>Your GitHub token</h1>
      <p>Sealed on this server and kept in Coffer. The page only ever sees it masked.</p>
      <TokenForm saved={token === null ? null : maskToken(token)} />
    </main>
  );
}
