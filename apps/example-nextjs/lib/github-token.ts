// Where and how the example keeps each user's GitHub token.

/** The Coffer store: create it once (`pnpm coffer-server store create …`, see README.md). */
export const TOKEN_STORE = "oauth-tokens";

/** The key of a user's token in the store. */
export const tokenKey = (user: string): string => `github:${user}`;

const TOKEN = /^(gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,255})$/;

/** A classic (`ghp_…`) or fine-grained (`github_pat_…`) GitHub token, by its shape. */
export function isGitHubToken(value: string): boolean {
  return TOKEN.test(value);
}

/** `ghp_…abcd`: the kind of token and its last four characters, the most a page should show. */
export function maskToken(token: string): string {
  const kind = token.startsWith("github_pat_") ? "github_pat_" : token.slice(0, 4);
  return `${kind}…${token.slice(-4)}`;
}
