import { Inject } from "@nestjs/common";
import { getDataVaultStoreToken } from "./coffer.constants.js";

/**
 * Injects a store registered with `CofferModule.forFeature([storeId])`.
 *
 * @example
 * ```ts
 * @Controller("oauth-tokens")
 * export class OAuthTokensController {
 *   constructor(@InjectDataVaultStore("oauth-tokens") private readonly tokens: DataVaultStore) {}
 * }
 * ```
 */
export function InjectDataVaultStore(storeId: string): PropertyDecorator & ParameterDecorator {
  return Inject(getDataVaultStoreToken(storeId));
}
