"use server";
// Server actions: they run on the server only; the browser gets a reference to call them by.
import { getDataVaultStore } from "@coffer/nextjs";
import { redirect } from "next/navigation";
import { isGitHubToken, maskToken, TOKEN_STORE, tokenKey } from "../lib/github-token";
import { currentUser, signInAs, signOutUser } from "../lib/session";

export interface TokenState {
  /** The saved token, masked (`ghp_…abcd`): the full token never leaves the server. */
  masked: string | null;
  error: string | null;
}

export async function signIn(formData: FormData): Promise<void> {
  const name = String(formData.get("name") ?? "")
    .trim()
    .toLowerCase();
  redirect((await signInAs(name)) ? "/" : "/?error=name");
}

export async function signOut(): Promise<void> {
  await signOutUser();
  redirect("/");
}

/** Seals the user's token into Coffer, reads it back through the vault, and returns it masked. */
export async function saveGitHubToken(
  previous: TokenState,
  formData: FormData,
): Promise<TokenState> {
  const user = await currentUser();
  if (user === null) redirect("/");
  const token = String(formData.get("token") ?? "").trim();
  if (!isGitHubToken(token)) {
    return { ...previous, error: "That is not a GitHub token (ghp_… or github_pat_…)." };
  }
  const store = await getDataVaultStore(TOKEN_STORE);
  await store.setValue(tokenKey(user), token);
  const saved = await store.getValue(tokenKey(user));
  return { masked: saved === null ? null : maskToken(saved), error: null };
}
