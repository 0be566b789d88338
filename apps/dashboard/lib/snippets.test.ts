// The store page's code is meant to be pasted: each snippet is typechecked here against the real
// adapters (their sources) and the real express and @nestjs/common types.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { snippets } from "./snippets";

const packages = fileURLToPath(new URL("../../../packages/", import.meta.url));
const pkg = (path: string) => [join(packages, path)];
const dir = mkdtempSync(join(tmpdir(), "coffer-snippets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  customConditions: ["dev-source"],
  lib: ["lib.es2023.d.ts", "lib.dom.d.ts"],
  types: ["node"],
  typeRoots: [fileURLToPath(new URL("../../../node_modules/@types", import.meta.url))],
  strict: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  skipLibCheck: true,
  noEmit: true,
  paths: {
    "@coffer/nextjs": pkg("nextjs/src/index.ts"),
    "@coffer/express": pkg("express/src/index.ts"),
    "@coffer/express/env": pkg("express/src/env.ts"),
    "@coffer/nestjs": pkg("nestjs/src/index.ts"),
    express: pkg("express/node_modules/@types/express/index.d.ts"),
    "@nestjs/common": pkg("nestjs/node_modules/@nestjs/common/index.d.ts"),
  },
};

describe("store page snippets", () => {
  const all = snippets("oauth-tokens");

  it("exist for Next.js, Express and NestJS and name the store", () => {
    expect(all.map((s) => s.id)).toEqual(["nextjs", "express", "nestjs"]);
    for (const s of all) {
      expect(s.code).toContain('"oauth-tokens"');
      expect(s.install).toBe(`pnpm add @coffer/${s.id}`);
      expect(s.code).toContain(`"@coffer/${s.id}"`);
    }
  });

  it.each(all)("$title compiles as pasted", (snippet) => {
    const file = join(dir, `${snippet.id}.ts`);
    writeFileSync(file, snippet.code);
    const program = ts.createProgram([file], options);
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file === undefined || d.file.fileName === file)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(diagnostics).toEqual([]);
  });
});
