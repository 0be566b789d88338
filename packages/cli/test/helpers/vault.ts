// The shared test vault (@coffer/testing), with one API key made up front for the CLI to use.
import { startVault as startSharedVault } from "@coffer/testing";

export interface TestVault {
  url: string;
  apiKey: string;
  /** Creates a store in the default project. */
  createStore(id: string): Promise<void>;
  /** GET /v1/stores/:store: entry count and entries per key id. */
  storeInfo(
    id: string,
  ): Promise<{ entryCount: number; keyIds: Array<{ keyId: string; count: number }> }>;
  close(): Promise<void>;
}

export async function startVault(options: { postgres?: boolean } = {}): Promise<TestVault> {
  const vault = await startSharedVault(options.postgres ? "postgres" : "sqlite");
  try {
    const apiKey = await vault.createApiKey();
    return {
      url: vault.url,
      apiKey,
      createStore: (id) => vault.createStore(id),
      storeInfo: (id) => vault.storeInfo(id, apiKey),
      close: () => vault.close(),
    };
  } catch (error) {
    await vault.close();
    throw error;
  }
}
