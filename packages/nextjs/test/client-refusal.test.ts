// A client component that imports Coffer must not build: the real `next build`, with Turbopack
// (Next's default) and with webpack, on fixture apps that make that mistake.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { nextBuild } from "./helpers/next-app.js";

const fixture = (name: string) => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));
// Next's own message, for a module that imports the `server-only` package in client code.
const SERVER_ONLY = `You're importing a module that depends on "server-only"`;
// What a browser bundle of any @coffer/* package resolves to: a missing import naming the reason.
const REFUSAL = "@coffer/server-only--this-package-cannot-run-in-a-browser";

describe.each([
  ["Turbopack", false],
  ["webpack", true],
])("next build with %s", (bundler, webpack) => {
  it("fails when a client component imports @coffer/nextjs, with Next's server-only message", async () => {
    const { code, output, ms } = await nextBuild(fixture("client-imports-adapter"), { webpack });
    console.info(`${bundler} build of client-imports-adapter: exit ${code}, ${ms} ms`);
    expect(code).not.toBe(0);
    expect(output).toContain(SERVER_ONLY);
    expect(output).toContain("nextjs-in-client.jsx");
  });

  it("fails when client code imports @coffer/core or @coffer/nextjs/pages, naming why", async () => {
    const { code, output, ms } = await nextBuild(fixture("client-imports-core"), { webpack });
    console.info(`${bundler} build of client-imports-core: exit ${code}, ${ms} ms`);
    expect(code).not.toBe(0);
    expect(output).toContain(REFUSAL);
    // Turbopack reports every failing module; webpack stops at the first.
    const culprits = ["core-in-client.jsx", "pages/leak.jsx"].filter((f) => output.includes(f));
    expect(culprits.length).toBeGreaterThanOrEqual(webpack ? 1 : 2);
  });
});
