// Server-only by design: bundling any @coffer/* package for a browser fails at build time, with
// an error that names why; the same packages still bundle for Node and for edge runtimes.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build as esbuild } from "esbuild";
import { build as viteBuild } from "vite";
import { describe, expect, it } from "vitest";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const REFUSAL = "@coffer/server-only--this-package-cannot-run-in-a-browser";
// Every published package; each must refuse browsers the same way.
// Each with a name it exports, imported as an application would.
const PACKAGES: Array<[string, string]> = [
  ["@coffer/core", "createVault"],
  ["@coffer/cli", "main"],
  ["@coffer/express", "cofferMiddleware"],
  ["@coffer/nestjs", "CofferModule"],
  ["@coffer/nextjs", "getVault"],
  ["@coffer/nextjs/pages", "getVault"],
];

async function bundle(
  pkg: string,
  options: { platform: "browser" | "node" | "neutral"; conditions?: string[] },
) {
  return esbuild({
    stdin: {
      contents: `import * as coffer from "${pkg}"; console.log(Object.keys(coffer));`,
      resolveDir: HERE,
      loader: "js",
    },
    bundle: true,
    write: false,
    platform: options.platform,
    ...(options.conditions ? { conditions: options.conditions } : {}),
    ...(options.platform === "neutral" ? { mainFields: ["module", "main"] } : {}),
    // Frameworks are the application's own dependencies: only Coffer's code is under test.
    external:
      options.platform === "node"
        ? [
            "commander",
            "cli-progress",
            "express",
            "@nestjs/*",
            "rxjs",
            "reflect-metadata",
            "react",
            "next",
            "server-only",
          ]
        : [],
    logLevel: "silent",
  });
}

async function failureOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return String((error as Error).message ?? error);
  }
  throw new Error("the build was expected to fail");
}

describe.each(PACKAGES)("%s", (pkg, name) => {
  it("fails an esbuild browser bundle, naming why", async () => {
    expect(await failureOf(bundle(pkg, { platform: "browser" }))).toContain(REFUSAL);
  });

  // A web worker runs in the browser too: webpack's "webworker" target resolves "worker" first.
  it("fails a web worker bundle (conditions worker, browser), naming why", async () => {
    const worker = bundle(pkg, { platform: "neutral", conditions: ["worker", "browser"] });
    expect(await failureOf(worker)).toContain(REFUSAL);
  });

  // Named imports once failed with only `"getVault" is not exported by browser.js`: browser.js
  // re-exports the missing module so that bundlers resolve it, and say why, first.
  it.each([
    ["a namespace import", `import * as coffer from "${pkg}";\nconsole.log(coffer);\n`],
    ["a named import", `import { ${name} } from "${pkg}";\nconsole.log(${name});\n`],
  ])("fails a vite production build for the browser of %s, naming why", async (_, source) => {
    const root = mkdtempSync(join(HERE, ".vite-"));
    try {
      writeFileSync(join(root, "index.html"), '<script type="module" src="./main.js"></script>');
      writeFileSync(join(root, "main.js"), source);
      const message = await failureOf(
        viteBuild({ root, logLevel: "silent", configFile: false, build: { write: false } }),
      );
      expect(message).toContain(REFUSAL);
      expect(message).not.toContain("is not exported");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("still bundles for Node", async () => {
    const result = await bundle(pkg, { platform: "node", conditions: ["dev-source"] });
    expect(result.errors).toEqual([]);
    expect(result.outputFiles[0]?.text.length).toBeGreaterThan(0);
  });
});

it("@coffer/core bundles for edge runtimes (edge-light, workerd), where browsers are refused", async () => {
  for (const condition of ["edge-light", "workerd"]) {
    // An edge bundler lists its runtime and "browser": the edge condition comes first and wins.
    const result = await bundle("@coffer/core", {
      platform: "neutral",
      conditions: ["dev-source", condition, "browser", "worker"],
    });
    expect(result.errors).toEqual([]);
    expect(result.outputFiles[0]?.text).not.toMatch(/from ["']node:|require\(["']node:/);
  }
});
