// Snapshot of the public surface: adding or removing an export has to be deliberate.
import { readFileSync } from "node:fs";
import * as nestjs from "@coffer/nestjs";
import { expect, it } from "vitest";

it("exports exactly this public API", () => {
  expect(Object.keys(nestjs).sort()).toMatchInlineSnapshot(`
    [
      "CofferExceptionFilter",
      "CofferModule",
      "CofferService",
      "InjectDataVaultStore",
      "getDataVaultStoreToken",
    ]
  `);
});

it("keeps browsers out: no condition a browser bundle would resolve to real code", () => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  const exported = pkg.exports["."] as Record<string, string>;
  expect(Object.keys(exported)).toEqual(["dev-source", "types", "browser", "node"]);
  // An import that cannot resolve, named as the reason (see apps/e2e/test/browser-refusal.test.ts).
  expect(exported.browser).toBe("./browser.js");
  expect(readFileSync(new URL("../browser.js", import.meta.url), "utf8")).toContain(
    "@coffer/server-only--this-package-cannot-run-in-a-browser",
  );
  expect(pkg.sideEffects).toBe(false);
  expect(pkg.type).toBe("module");
});
