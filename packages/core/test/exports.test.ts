// Snapshot of the public surface: adding or removing an export has to be deliberate.
import { readFileSync } from "node:fs";
import * as core from "@coffer/core";
import { expect, it } from "vitest";

it("exports exactly this public API", () => {
  expect(Object.keys(core).sort()).toMatchInlineSnapshot(`
    [
      "CofferError",
      "ENV",
      "ERROR_STATUS",
      "MAX_KEY_BYTES",
      "MAX_VALUE_BYTES",
      "MIN_SECRET_LENGTH",
      "PASSPHRASE_SCRYPT",
      "SECRET_PREFIX",
      "checkVaultUrl",
      "cofferErrorResponse",
      "createSealer",
      "createVault",
      "createVaultClient",
      "generateSecret",
      "isCofferError",
      "isCofferErrorCode",
      "vaultOptionsFromEnv",
    ]
  `);
});

it("keeps browsers out: no condition a browser bundle would resolve to real code", () => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  const exported = pkg.exports["."] as Record<string, string>;
  const conditions = Object.keys(exported);
  expect(conditions[0]).toBe("dev-source");
  for (const browserish of ["default", "import", "require", "module"]) {
    expect(conditions).not.toContain(browserish);
  }
  // "browser" resolves to a file whose only import cannot resolve, named so the bundler's error says why…
  expect(exported.browser).toBe("./browser.js");
  expect(readFileSync(new URL("../browser.js", import.meta.url), "utf8")).toMatch(
    /export \* from "@coffer\/server-only--this-package-cannot-run-in-a-browser/,
  );
  expect(pkg.files).toContain("browser.js");
  // …and comes after the edge runtimes' conditions, which must win in edge bundles.
  for (const edge of ["edge-light", "workerd"]) {
    expect(conditions.indexOf(edge)).toBeLessThan(conditions.indexOf("browser"));
  }
  expect(conditions).toEqual(expect.arrayContaining(["types", "node", "edge-light", "workerd"]));
  // "worker" alone is a web worker's (webpack's webworker target): a browser, so it gets nothing.
  expect(conditions).not.toContain("worker");
  expect(pkg.sideEffects).toBe(false);
  expect(pkg.type).toBe("module");
});
