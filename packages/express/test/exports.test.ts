// Snapshot of the public surface, and the package.json shape that keeps browsers out.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";

it("exports exactly this public API", async () => {
  expect(Object.keys(await import("@coffer/express")).sort()).toMatchInlineSnapshot(`
    [
      "cofferErrorHandler",
      "cofferMiddleware",
    ]
  `);
});

it("resolves on Node only: no edge runtimes, a browser refusal, no default", () => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  expect(pkg.exports["."]).toEqual({
    "dev-source": "./src/index.ts",
    types: "./dist/index.d.ts",
    browser: "./browser.js",
    node: "./dist/index.js",
  });
  // What a browser bundle resolves to: an import that cannot resolve, named as the reason
  // (apps/e2e/test/browser-refusal.test.ts bundles every package for the browser).
  expect(readFileSync(new URL("../browser.js", import.meta.url), "utf8")).toContain(
    "@coffer/server-only--this-package-cannot-run-in-a-browser",
  );
  // The request augmentation is types only: nothing to load at run time.
  expect(Object.keys(pkg.exports["./env"])).toEqual(["dev-source", "types"]);
  expect(pkg.sideEffects).toBe(false);
  expect(pkg.type).toBe("module");
  expect(pkg.peerDependencies.express).toBe("^4.21.0 || ^5.0.0");
});
