// The lint rule that keeps @coffer/core on Web standards: node:* imports, Buffer and
// process.env are errors inside packages/core/src, and fine elsewhere (tests, scripts).
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const biome = fileURLToPath(new URL("../../../node_modules/.bin/biome", import.meta.url));

function lint(relativeDir: string, source: string): { ok: boolean; output: string } {
  const path = `${repoRoot}${relativeDir}/lint-probe-${randomUUID()}.ts`;
  writeFileSync(path, source);
  try {
    const output = execFileSync(biome, ["lint", "--max-diagnostics=50", path], {
      cwd: repoRoot,
      encoding: "utf8",
      stdio: "pipe",
    });
    return { ok: true, output };
  } catch (error) {
    const { stdout, stderr } = error as { stdout: string; stderr: string };
    return { ok: false, output: `${stdout}${stderr}` };
  } finally {
    rmSync(path, { force: true });
  }
}

describe("core lint rules", () => {
  it.each([
    [
      'import { randomBytes } from "node:crypto";\nexport const r = randomBytes(1);\n',
      "noNodejsModules",
    ],
    ['export const b = Buffer.from("x");\n', "noRestrictedGlobals"],
    ["export const e = process.env.COFFER_SECRET;\n", "noRestrictedGlobals"],
    // Reaching the same globals through globalThis is caught too.
    ["export const e = globalThis.process.env.COFFER_SECRET;\n", "noProcessEnv"],
    ["export const p = globalThis.process;\n", "noProcessGlobal"],
    ['import { env } from "process";\nexport const e = env;\n', "noNodejsModules"],
  ])("rejects %j in packages/core/src", (source, rule) => {
    const result = lint("packages/core/src", source);
    expect(result.ok).toBe(false);
    expect(result.output).toContain(rule);
  });

  it("accepts Web-standard code in packages/core/src", () => {
    const result = lint(
      "packages/core/src",
      'export const bytes = new TextEncoder().encode("x");\n',
    );
    expect(result.output).not.toContain("noNodejsModules");
    expect(result.ok).toBe(true);
  });

  it("allows Node APIs outside packages/core/src", () => {
    const result = lint("packages/core/test", 'export const b = Buffer.from("x");\n');
    expect(result.ok).toBe(true);
  });
});
