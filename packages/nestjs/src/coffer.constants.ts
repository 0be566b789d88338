/** The app's one vault, provided globally (internal: apps inject `CofferService`). */
export const COFFER_VAULT = Symbol("CofferVault");

/**
 * The injection token of a store registered with `CofferModule.forFeature`; use it to replace the
 * store in a test module, or with `@Inject` where a decorator cannot go.
 *
 * @example
 * ```ts
 * const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
 *   .overrideProvider(getDataVaultStoreToken("oauth-tokens"))
 *   .useValue(fakeStore)
 *   .compile();
 * ```
 */
export function getDataVaultStoreToken(storeId: string): string {
  return `CofferDataVaultStore(${storeId})`;
}
