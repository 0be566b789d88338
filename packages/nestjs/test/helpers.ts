// A real vault for the tests: two stores, an API key, and the application's secret.
import { generateSecret } from "@coffer/core";
import { startVault, type TestVault } from "@coffer/testing";

export interface Setup {
  vault: TestVault;
  /** Options for CofferModule.forRoot, pointing at the test vault. */
  options: { url: string; apiKey: string; secret: string };
}

export async function setup(): Promise<Setup> {
  const vault = await startVault("sqlite");
  await vault.createStore("oauth-tokens");
  await vault.createStore("recovery-codes");
  const apiKey = await vault.createApiKey();
  return { vault, options: { url: vault.url, apiKey, secret: generateSecret() } };
}
