import { generateSecret, isCofferError } from "@coffer/core";
// Through the package entry, as a server component imports it (see vitest.config.ts).
import { getDataVaultStore, getVault } from "@coffer/nextjs";
import { startVault, type TestVault } from "@coffer/testing";
import { afterAll, beforeAll, expect, it, vi } from "vitest";

let vault: TestVault;
let apiKey: string;
const secret = generateSecret();

beforeAll(async () => {
  vault = await startVault("sqlite");
  await vault.createStore("oauth-tokens");
  apiKey = await vault.createApiKey();
});
afterAll(() => vault?.close());

function stubEnv(overrides: Record<string, string | undefined> = {}) {
  const env = { COFFER_URL: vault.url, COFFER_API_KEY: apiKey, COFFER_SECRET: secret };
  for (const [name, value] of Object.entries({ ...env, ...overrides })) vi.stubEnv(name, value);
}

it("stores and reads through one vault per process", async () => {
  stubEnv();
  expect(getVault()).toBe(getVault());
  const store = await getDataVaultStore("oauth-tokens");
  await store.setValue("github:alice", "ghp_0123456789abcdef");
  expect(await (await getDataVaultStore("oauth-tokens")).getValue("github:alice")).toBe(
    "ghp_0123456789abcdef",
  );
  expect(await vault.storeInfo("oauth-tokens", apiKey)).toMatchObject({ entryCount: 1 });
});

it("builds a new vault when the variables change (Next reloads .env in dev)", async () => {
  stubEnv();
  const first = getVault();
  stubEnv({ COFFER_PREVIOUS_SECRETS: generateSecret() });
  const second = getVault();
  expect(second).not.toBe(first);
  expect(getVault()).toBe(second);
  // The old secret is still the current one: values written before still read.
  expect(await (await second.getDataVaultStore("oauth-tokens")).getValue("github:alice")).toBe(
    "ghp_0123456789abcdef",
  );
});

it("names a missing variable, and never echoes the others", () => {
  stubEnv({ COFFER_SECRET: undefined });
  let error: unknown;
  try {
    getVault();
  } catch (thrown) {
    error = thrown;
  }
  expect(isCofferError(error) && error.code).toBe("INVALID_ARGUMENT");
  expect((error as Error).message).toContain("COFFER_SECRET is not set");
  expect((error as Error).message).not.toContain(apiKey);
});

it("refuses a weak secret before any request", () => {
  stubEnv({ COFFER_SECRET: "password" });
  expect(() => getVault()).toThrow(expect.objectContaining({ code: "WEAK_SECRET" }));
});

it("throws STORE_NOT_FOUND for a store the vault does not have", async () => {
  stubEnv();
  await expect(getDataVaultStore("no-such-store")).rejects.toMatchObject({
    code: "STORE_NOT_FOUND",
  });
});
