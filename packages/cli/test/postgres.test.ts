// The same commands against a vault on PostgreSQL: set, get, rotate.
import { createSealer, createVault, generateSecret } from "@coffer/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coffer, transcript } from "./helpers/cli.js";
import { startVault, type TestVault } from "./helpers/vault.js";

let vault: TestVault;
const secretA = generateSecret();
const secretB = generateSecret();

beforeAll(async () => {
  vault = await startVault({ postgres: true });
  await vault.createStore("pg-tokens");
});

afterAll(async () => {
  await vault?.close();
});

const env = (secret: string, previous?: string) => ({
  COFFER_URL: vault.url,
  COFFER_API_KEY: vault.apiKey,
  COFFER_SECRET: secret,
  ...(previous ? { COFFER_PREVIOUS_SECRETS: previous } : {}),
});

describe("on PostgreSQL", () => {
  it("sets, gets and rotates", async () => {
    const values = Array.from({ length: 120 }, (_, i) => [`key ${i}/ü`, `value\n${i}\t"🔐"`]);
    for (const [key, value] of values.slice(0, 5)) {
      const set = await coffer(["set", "pg-tokens", key as string], {
        env: env(secretA),
        stdin: value as string,
      });
      expect(set.code, set.stderr).toBe(0);
    }
    expect((await coffer(["get", "pg-tokens", "key 3/ü"], { env: env(secretA) })).stdout).toBe(
      'value\n3\t"🔐"',
    );
    // The rest through the SDK, as an application writes them.
    const store = await createVault({
      url: vault.url,
      apiKey: vault.apiKey,
      secret: secretA,
    }).getDataVaultStore("pg-tokens");
    await store.setValues(values.slice(5) as Array<[string, string]>);

    const rotate = await coffer(["rotate", "pg-tokens", "--json"], { env: env(secretB, secretA) });
    expect(rotate.code, rotate.stdout).toBe(0);
    expect(rotate.json()).toMatchObject({ rotated: 120, total: 120, complete: true });
    expect((await vault.storeInfo("pg-tokens")).keyIds).toEqual([
      { keyId: await createSealer({ secret: secretB }).keyId(), count: 120 },
    ]);
    for (const [key, value] of [values[0], values[77], values[119]] as Array<[string, string]>) {
      const get = await coffer(["get", "pg-tokens", key], { env: env(secretB) });
      expect(get.stdout).toBe(value);
    }
    const keys = await coffer(["keys", "pg-tokens", "--json"], { env: env(secretB) });
    expect((keys.json() as string[]).sort()).toEqual(values.map(([key]) => key).sort());
  });
});

afterAll(() => {
  const all = transcript.join("\n");
  for (const secret of [secretA, secretB, vault.apiKey]) expect(all).not.toContain(secret);
});
