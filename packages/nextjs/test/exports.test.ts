// Snapshot of the public surface, read the way Node resolves the built package: the main entry
// imports `server-only`, which only loads under the `react-server` condition (as in Next's
// server components), so it is imported in a child `node --conditions=react-server`.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";

const PACKAGE = new URL("../", import.meta.url);

function exportsOf(specifier: string, conditions: string[] = []): string[] {
  const script = `import * as m from "${specifier}"; console.log(JSON.stringify(Object.keys(m).sort()));`;
  const args = [...conditions.map((c) => `--conditions=${c}`), "--input-type=module", "-e", script];
  return JSON.parse(
    execFileSync(process.execPath, args, { cwd: PACKAGE, encoding: "utf8", stdio: "pipe" }),
  );
}

it("exports exactly this public API, from both entries", () => {
  const api = [
    "CofferError",
    "cofferErrorResponse",
    "getDataVaultStore",
    "getVault",
    "isCofferError",
  ];
  expect(exportsOf("@coffer/nextjs", ["react-server"])).toEqual(api);
  expect(exportsOf("@coffer/nextjs/pages")).toEqual(api);
});

it("the main entry refuses to load outside React Server Components", () => {
  expect(() => exportsOf("@coffer/nextjs")).toThrow(/cannot be imported from a Client Component/);
});

it("keeps browsers out: the edge runtimes win over 'browser', which fails the bundle", () => {
  const pkg = JSON.parse(readFileSync(new URL("package.json", PACKAGE), "utf8"));
  expect(Object.keys(pkg.exports)).toEqual([".", "./pages", "./package.json"]);
  for (const entry of [pkg.exports["."], pkg.exports["./pages"]]) {
    const conditions = Object.keys(entry);
    expect(conditions).toEqual(["dev-source", "types", "edge-light", "workerd", "browser", "node"]);
    expect(entry.browser).toBe("./browser.js");
  }
  expect(readFileSync(new URL("browser.js", PACKAGE), "utf8")).toContain(
    'export * from "@coffer/server-only--this-package-cannot-run-in-a-browser',
  );
  expect(pkg.sideEffects).toBe(false);
  expect(pkg.files).toContain("browser.js");
});
