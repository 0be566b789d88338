// The real `next build` and `next start` of a fixture app that uses Coffer everywhere a server
// runs code: server components, Node.js and edge route handlers, middleware, Pages Router API
// routes and getServerSideProps. They read and write through a real vault.
import { fileURLToPath } from "node:url";
import type { TestVault } from "@coffer/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type FixtureVault, GREETING, startFixtureVault } from "./helpers/fixture-vault.js";
import { nextBuild, nextStart, type StartedApp } from "./helpers/next-app.js";

const APP = fileURLToPath(new URL("fixtures/server-usage", import.meta.url));
let vault: TestVault;
let app: StartedApp;
let env: FixtureVault["env"];

beforeAll(async () => {
  const build = await nextBuild(APP);
  console.info(`Turbopack build of server-usage: exit ${build.code}, ${build.ms} ms`);
  if (build.code !== 0) throw new Error(`next build failed:\n${build.output}`);
  ({ vault, env } = await startFixtureVault());
  app = await nextStart(APP, env);
});
afterAll(async () => {
  await app?.close();
  await vault?.close();
});

it("an edge route handler reads from the vault", async () => {
  const response = await fetch(`${app.url}/edge`);
  expect(await response.json()).toEqual({ runtime: "string", value: GREETING });
});

it("edge middleware reads from the vault", async () => {
  const response = await fetch(`${app.url}/middleware`);
  expect(await response.json()).toEqual({ runtime: "string", value: GREETING });
});

it("a Node.js route handler writes and reads", async () => {
  const response = await fetch(`${app.url}/node`, { method: "POST", body: "from a route handler" });
  expect(await response.json()).toEqual({ value: "from a route handler" });
  expect(await vault.storeInfo("fixture", env.COFFER_API_KEY)).toMatchObject({
    entryCount: 2,
  });
});

it("a route handler answers a CofferError with cofferErrorResponse", async () => {
  const response = await fetch(`${app.url}/node`);
  expect(response.status).toBe(404);
  expect(await response.json()).toMatchObject({ error: { code: "STORE_NOT_FOUND" } });
});

it("a server component reads from the vault", async () => {
  expect(await (await fetch(app.url)).text()).toContain(`<p id="value">${GREETING}</p>`);
});

it("a Pages Router API route and getServerSideProps read through @coffer/nextjs/pages", async () => {
  expect(await (await fetch(`${app.url}/api/value`)).json()).toEqual({ value: GREETING });
  expect(await (await fetch(`${app.url}/gssp`)).text()).toContain(`<p id="value">${GREETING}</p>`);
});

it("React's taint API stops the secret on its way to a client component", async () => {
  const response = await fetch(`${app.url}/taint`);
  expect(response.status).toBe(500);
  const body = await response.text();
  for (const value of [env.COFFER_SECRET, env.COFFER_API_KEY]) expect(body).not.toContain(value);
  expect(app.output()).toContain("A Coffer credential (COFFER_API_KEY, COFFER_SECRET");
});
