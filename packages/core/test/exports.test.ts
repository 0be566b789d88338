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

it("keeps browsers out: no default, import or browser condition that would resolve in a browser bundle", () => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  const conditions = Object.keys(pkg.exports["."]);
  expect(conditions[0]).toBe("dev-source");
  for (const browserish of ["default", "import", "require", "browser", "module"]) {
    expect(conditions).not.toContain(browserish);
  }
  expect(conditions).toEqual(expect.arrayContaining(["types", "node", "edge-light", "workerd"]));
  expect(pkg.sideEffects).toBe(false);
  expect(pkg.type).toBe("module");
});
