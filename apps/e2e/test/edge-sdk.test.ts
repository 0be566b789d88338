// The SDK in an edge runtime, against the real vault: @coffer/core bundled as an edge bundler
// would (edge-light condition) and run inside Vercel's EdgeVM, whose globals are Web APIs only.
import { fileURLToPath } from "node:url";
import { startVault, type TestVault } from "@coffer/testing";
import { EdgeVM } from "@edge-runtime/vm";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let vault: TestVault;
let apiKey: string;

beforeAll(async () => {
  vault = await startVault("sqlite");
  await vault.createStore("oauth-tokens");
  apiKey = await vault.createApiKey();
});
afterAll(async () => {
  await vault?.close();
});

async function bundleCore(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(import.meta.resolve("@coffer/core"))],
    bundle: true,
    write: false,
    format: "iife",
    globalName: "coffer",
    platform: "neutral",
    conditions: ["edge-light", "import"],
    mainFields: ["module", "main"],
    logLevel: "silent",
  });
  return result.outputFiles[0]?.text ?? "";
}

describe("SDK in an edge runtime", () => {
  it("stores, reads, lists and tells a wrong secret, with the runtime's own fetch", async () => {
    const edge = new EdgeVM();
    edge.evaluate(await bundleCore());
    const run = edge.evaluate(`(async (url, apiKey) => {
      const { createVault, generateSecret, isCofferError } = coffer;
      const vault = createVault({ url, apiKey, secret: generateSecret() });
      const store = await vault.getDataVaultStore("oauth-tokens");
      await store.setValue("gh:edge", "ghp_from_the_edge");
      await store.setValues({ "gh:a": "1", "gh:b": "2" });
      const keys = [];
      for await (const key of store.keys()) keys.push(key);
      let wrong;
      try {
        await (await createVault({ url, apiKey, secret: generateSecret() }).getDataVaultStore("oauth-tokens")).getValue("gh:edge");
      } catch (e) { wrong = isCofferError(e) && e.code; }
      // A passphrase secret: scrypt, loaded on first use, must be in the bundle and run here too.
      const phrase = await createVault({ url, apiKey, secret: "a passphrase long enough for the edge" })
        .getDataVaultStore("oauth-tokens");
      await phrase.setValue("gh:phrase", "sealed under a passphrase");
      return JSON.stringify({
        value: await store.getValue("gh:edge"),
        phrase: await phrase.getValue("gh:phrase"),
        missing: await store.getValue("gh:none"),
        keys: keys.sort(),
        wrong,
        nodeGlobals: [typeof process, typeof Buffer, typeof require],
      });
    })`) as (url: string, apiKey: string) => Promise<string>;
    expect(JSON.parse(await run(vault.url, apiKey))).toEqual({
      value: "ghp_from_the_edge",
      phrase: "sealed under a passphrase",
      missing: null,
      keys: ["gh:a", "gh:b", "gh:edge"],
      wrong: "WRONG_SECRET",
      nodeGlobals: ["undefined", "undefined", "undefined"],
    });
  });
});
