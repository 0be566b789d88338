import {
  CofferError,
  createVault,
  type DataVaultStore,
  type Vault,
  vaultOptionsFromEnv,
} from "@coffer/core";
import type { CofferModuleOptions } from "./coffer.module-definition.js";

/**
 * The application's vault, provided by `CofferModule`. Inject it to reach any store.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class RecoveryCodes {
 *   constructor(private readonly coffer: CofferService) {}
 *
 *   async redeem(userId: string, code: string): Promise<boolean> {
 *     const store = await this.coffer.getDataVaultStore("recovery-codes");
 *     return store.deleteValue(`${userId}:${code}`);
 *   }
 * }
 * ```
 */
export class CofferService implements Vault {
  readonly #vault: Vault;

  /** Options left out are read from `process.env`; a missing variable throws INVALID_ARGUMENT. */
  constructor(options: CofferModuleOptions = {}) {
    // What forRootAsync's factory returned, unchecked by Nest: say so rather than a TypeError.
    if (typeof options !== "object" || options === null) {
      throw new CofferError(
        "INVALID_ARGUMENT",
        "CofferModule's options (from forRoot, or forRootAsync's factory) must be an object.",
      );
    }
    this.#vault = createVault(vaultOptionsFromEnv(process.env, options));
  }

  /** The store with this id; throws STORE_NOT_FOUND if the vault has none. */
  getDataVaultStore(storeId: string): Promise<DataVaultStore> {
    return this.#vault.getDataVaultStore(storeId);
  }
}
