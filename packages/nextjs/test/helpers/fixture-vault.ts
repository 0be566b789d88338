// A real vault for the fixture apps: a "fixture" store holding one greeting, and the environment
// a Next.js app reads it with.
import { createVault, generateSecret } from "@coffer/core";
import { startVault, type TestVault } from "@coffer/testing";

export const GREETING = "hello from the vault";

export interface FixtureVault {
  vault: TestVault;
  env: { COFFER_URL: string; COFFER_API_KEY: string; COFFER_SECRET: string };
}

export async function startFixtureVault(): Promise<FixtureVault> {
  const vault = await startVault("sqlite");
  await vault.createStore("fixture");
  const env = {
    COFFER_URL: vault.url,
    COFFER_API_KEY: await vault.createApiKey(),
    COFFER_SECRET: generateSecret(),
  };
  const store = await createVault({
    url: env.COFFER_URL,
    apiKey: env.COFFER_API_KEY,
    secret: env.COFFER_SECRET,
  }).getDataVaultStore("fixture");
  await store.setValue("greeting", GREETING);
  return { vault, env };
}
