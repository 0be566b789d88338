// Without `experimental.taint` Next bundles stable React, which has no taint API: middleware (the
// edge runtime) and server components must still build, with Turbopack and with webpack (which
// fails a build on an import a module does not export), and run. No edge route handler here:
// under this package's "type": "module", `next build --webpack` fails on one with or without
// Coffer (see README.md).
import { fileURLToPath } from "node:url";
import type { TestVault } from "@coffer/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GREETING, startFixtureVault } from "./helpers/fixture-vault.js";
import { nextBuild, nextStart, type StartedApp } from "./helpers/next-app.js";

const APP = fileURLToPath(new URL("fixtures/edge-without-taint", import.meta.url));
let vault: TestVault;
let env: Record<string, string>;

beforeAll(async () => {
  ({ vault, env } = await startFixtureVault());
});
afterAll(() => vault?.close());

describe.each([
  ["Turbopack", false],
  ["webpack", true],
])("next build with %s", (bundler, webpack) => {
  let app: StartedApp | undefined;
  afterAll(() => app?.close());

  it("builds, and middleware and a server component read the vault", async () => {
    const build = await nextBuild(APP, { webpack });
    console.info(`${bundler} build of edge-without-taint: exit ${build.code}, ${build.ms} ms`);
    expect(build.output).not.toContain("experimental_taintUniqueValue");
    expect(build.code, build.output).toBe(0);
    app = await nextStart(APP, env);
    const response = await fetch(`${app.url}/middleware`);
    expect(await response.json()).toEqual({ runtime: "string", value: GREETING });
    expect(await (await fetch(app.url)).text()).toContain(`<p id="value">${GREETING}</p>`);
  });
});
