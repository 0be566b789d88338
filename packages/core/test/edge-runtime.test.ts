// Proves @coffer/core runs in an edge runtime, not merely in Node with edge globals: the package
// is bundled as an edge bundler would (edge-light condition, no Node built-ins) and evaluated in
// Vercel's EdgeVM, a context with Web APIs only (no process, Buffer or require).
import { EdgeVM } from "@edge-runtime/vm";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

async function bundleCore(): Promise<string> {
  const result = await build({
    entryPoints: [new URL("../src/index.ts", import.meta.url).pathname],
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

describe("edge runtime", () => {
  it("seals, opens and blinds inside EdgeVM, which has no Node globals", async () => {
    const vm = new EdgeVM();
    vm.evaluate(await bundleCore());
    const result = await vm.evaluate(`(async () => {
      const { createSealer, generateSecret, isCofferError } = coffer;
      const sealer = createSealer({ secret: generateSecret() });
      const sealed = await sealer.seal("oauth-tokens", "gh:42", "ghp_edge");
      const opened = await sealer.open("oauth-tokens", sealed.blindedId, sealed.envelope);
      let wrong;
      try {
        await createSealer({ secret: generateSecret() }).open("oauth-tokens", sealed.blindedId, sealed.envelope);
      } catch (e) { wrong = isCofferError(e) && e.code; }
      const passphrase = await createSealer({ secret: "an edge passphrase of 32+ characters" }).keyId();
      return JSON.stringify({
        value: opened.value,
        blindedMatches: sealed.blindedId === await sealer.blindKey("oauth-tokens", "gh:42"),
        wrong,
        passphraseKeyId: passphrase.length,
        nodeGlobals: [typeof process, typeof Buffer, typeof require],
      });
    })()`);
    expect(JSON.parse(result)).toEqual({
      value: "ghp_edge",
      blindedMatches: true,
      wrong: "WRONG_SECRET",
      passphraseKeyId: 16,
      nodeGlobals: ["undefined", "undefined", "undefined"],
    });
  });

  it("bundles with no Node built-in imported", async () => {
    const code = await bundleCore();
    expect(code).not.toMatch(/require\(["']node:|from ["']node:/);
    expect(code.length).toBeGreaterThan(1000);
  });
});
