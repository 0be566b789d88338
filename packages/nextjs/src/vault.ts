// One vault per server process, built from COFFER_* variables on first use.
import {
  createVault,
  type DataVaultStore,
  ENV,
  type Vault,
  vaultOptionsFromEnv,
} from "@coffer/core";
import { taintSecrets } from "./_taint.js";

interface Memo {
  /** The variables the vault was built from: a change (Next reloads .env in dev) builds anew. */
  source: string;
  vault: Vault;
  /** The API key and secrets, for React's taint API. */
  credentials: string[];
  /** The taint functions (one per React instance) that have seen them. */
  tainted: WeakSet<object>;
}

// On globalThis, not in a module variable: Next may load this module once per bundle layer (and
// again on every hot reload in dev); the vault, and its derived keys, should exist once.
const MEMO = Symbol.for("@coffer/nextjs/vault");
const holder = globalThis as { [MEMO]?: Memo };

/**
 * The process's vault, created on first use from `COFFER_URL`, `COFFER_API_KEY`,
 * `COFFER_SECRET` and `COFFER_PREVIOUS_SECRETS`. Server components, server actions, route
 * handlers (Node.js and edge), API routes and `getServerSideProps` share it. With
 * `experimental.taint` on, the API key and secrets are tainted: React refuses to send them to
 * a client component. Throws an INVALID_ARGUMENT CofferError naming a missing variable.
 *
 * @example
 * ```ts
 * import { getVault } from "@coffer/nextjs";
 *
 * const store = await getVault().getDataVaultStore("oauth-tokens");
 * ```
 */
export function getVault(): Vault {
  const env = process.env;
  const source = JSON.stringify(Object.values(ENV).map((name) => env[name]));
  let memo = holder[MEMO];
  if (memo?.source !== source) {
    const options = vaultOptionsFromEnv(env);
    const credentials = [options.apiKey, options.secret, ...(options.previousSecrets ?? [])];
    memo = { source, vault: createVault(options), credentials, tainted: new WeakSet() };
    holder[MEMO] = memo;
  }
  taintSecrets(memo, memo.credentials, memo.tainted);
  return memo.vault;
}

/**
 * A store of the process's vault (see {@link getVault}); throws STORE_NOT_FOUND if the vault
 * has none.
 *
 * @example
 * ```ts
 * "use server";
 * import { getDataVaultStore } from "@coffer/nextjs";
 *
 * export async function saveToken(userId: string, token: string) {
 *   const store = await getDataVaultStore("oauth-tokens");
 *   await store.setValue(`github:${userId}`, token);
 * }
 * ```
 */
export function getDataVaultStore(storeId: string): Promise<DataVaultStore> {
  return getVault().getDataVaultStore(storeId);
}
