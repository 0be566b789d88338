// The example app as its README runs it: compiled to CommonJS by tsc, started with `node
// dist/main.js` (loading the ESM-only @coffer/nestjs through require(esm)), driven over HTTP
// against a real vault service.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { generateSecret } from "@coffer/core";
import { startVault, type TestVault } from "@coffer/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const appDir = new URL("..", import.meta.url).pathname;

let vault: TestVault;
let env: Record<string, string>;
let app: Started;
beforeAll(async () => {
  // Builds @coffer/core, @coffer/nestjs and this app (turbo: cached when unchanged).
  await promisify(execFile)(
    "pnpm",
    [
      "exec",
      "turbo",
      "run",
      "build",
      "--filter=@coffer/example-nestjs...",
      "--output-logs=errors-only",
    ],
    { cwd: appDir, env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" } },
  );
  vault = await startVault("sqlite");
  await vault.createStore("oauth-tokens");
  await vault.createStore("recovery-codes");
  env = {
    COFFER_URL: vault.url,
    COFFER_API_KEY: await vault.createApiKey(),
    COFFER_SECRET: generateSecret(),
  };
  app = await start(env);
});
afterAll(async () => {
  app?.child.kill();
  await vault?.close();
});

interface Started {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

/** `node dist/main.js` on a free port; resolves with its URL once it listens. */
async function start(vars: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ["dist/main.js"], {
    cwd: appDir,
    env: { PATH: process.env.PATH ?? "", PORT: "0", ...vars },
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const match = /Listening on (http:\/\/\S+)/.exec(stdout);
      if (match?.[1]) resolve(match[1]);
    });
    child.on("exit", (code) => reject(new Error(`exited with ${code}:\n${stdout}\n${stderr}`)));
  });
  return { child, url, stderr: () => stderr };
}

async function call(method: string, path: string, user?: string, body?: unknown) {
  const response = await fetch(`${app.url}${path}`, {
    method,
    headers: {
      ...(user === undefined ? {} : { "x-user-id": user }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

it("runs as CommonJS that require()s the ESM-only packages, with no warning", () => {
  const compiled = readFileSync(`${appDir}dist/app.module.js`, "utf8");
  expect(compiled).toMatch(/^"use strict";/);
  expect(compiled).toContain('require("@coffer/nestjs")');
  expect(app.stderr()).toBe("");
});

it("asks for the fake user's header", async () => {
  expect(await call("GET", "/oauth-tokens/github")).toMatchObject({ status: 401 });
  expect(await call("GET", "/oauth-tokens/github", "bad id!")).toMatchObject({ status: 401 });
});

describe("OAuth tokens", () => {
  it("keeps each user's tokens apart", async () => {
    expect(await call("PUT", "/oauth-tokens/github", "alice", { token: "gho_alice" })).toEqual({
      status: 204,
      body: undefined,
    });
    expect(await call("PUT", "/oauth-tokens/github", "bob", { token: "gho_bob" })).toMatchObject({
      status: 204,
    });
    expect(await call("GET", "/oauth-tokens/github", "alice")).toEqual({
      status: 200,
      body: { provider: "github", token: "gho_alice" },
    });
    expect(await call("GET", "/oauth-tokens/github", "bob")).toEqual({
      status: 200,
      body: { provider: "github", token: "gho_bob" },
    });
    expect(await call("GET", "/oauth-tokens/github", "carol")).toMatchObject({ status: 404 });
    expect(await call("GET", "/oauth-tokens/gitlab", "alice")).toMatchObject({ status: 404 });

    expect(await call("DELETE", "/oauth-tokens/github", "alice")).toMatchObject({ status: 204 });
    expect(await call("GET", "/oauth-tokens/github", "alice")).toMatchObject({ status: 404 });
    expect(await call("DELETE", "/oauth-tokens/github", "alice")).toMatchObject({ status: 404 });
    expect(await call("GET", "/oauth-tokens/github", "bob")).toMatchObject({ status: 200 });
  });

  it("rejects a request without a token", async () => {
    expect(await call("PUT", "/oauth-tokens/github", "alice", {})).toMatchObject({ status: 400 });
  });
});

describe("recovery codes", () => {
  it("are shown once, and each one works once, for its own user", async () => {
    const { status, body } = await call("POST", "/recovery-codes", "alice");
    expect(status).toBe(201);
    const codes: string[] = body.codes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    expect(await call("GET", "/recovery-codes", "alice")).toMatchObject({ status: 404 });

    expect(await call("POST", "/recovery-codes/redeem", "bob", { code: codes[0] })).toMatchObject({
      status: 401,
    });
    expect(await call("POST", "/recovery-codes/redeem", "alice", { code: codes[0] })).toEqual({
      status: 200,
      body: { redeemed: true },
    });
    expect(await call("POST", "/recovery-codes/redeem", "alice", { code: codes[0] })).toMatchObject(
      { status: 401 },
    );

    // Two sign-ins racing with one code: one wins.
    const race = await Promise.all(
      [1, 2, 3].map(() => call("POST", "/recovery-codes/redeem", "alice", { code: codes[1] })),
    );
    expect(race.map((r) => r.status).sort()).toEqual([200, 401, 401]);
  });

  it("new codes revoke the old ones", async () => {
    const old: string[] = (await call("POST", "/recovery-codes", "dave")).body.codes;
    const fresh: string[] = (await call("POST", "/recovery-codes", "dave")).body.codes;
    expect(await call("POST", "/recovery-codes/redeem", "dave", { code: old[0] })).toMatchObject({
      status: 401,
    });
    expect(await call("POST", "/recovery-codes/redeem", "dave", { code: fresh[0] })).toMatchObject({
      status: 200,
    });
  });

  it("new codes made at the same time: only one batch works", async () => {
    const batches = await Promise.all(
      [1, 2, 3, 4].map(() => call("POST", "/recovery-codes", "erin")),
    );
    const redeemed = [];
    for (const { body } of batches) {
      redeemed.push(
        (await call("POST", "/recovery-codes/redeem", "erin", { code: body.codes[0] })).status,
      );
    }
    expect(redeemed.sort()).toEqual([200, 401, 401, 401]);
  });

  it("a code that is not a string is a 401, not a 500", async () => {
    for (const code of [{ toString: 1 }, ["abcde-fghjk"], 12345, null]) {
      expect(await call("POST", "/recovery-codes/redeem", "alice", { code })).toMatchObject({
        status: 401,
      });
    }
  });
});

describe("a store deleted from the vault", () => {
  beforeAll(async () => {
    await vault.deleteStore("oauth-tokens");
    await vault.deleteStore("recovery-codes");
  });

  it("answers 404 with the code STORE_NOT_FOUND, through the exception filter", async () => {
    expect(await call("POST", "/recovery-codes", "alice")).toEqual({
      status: 404,
      body: {
        error: {
          code: "STORE_NOT_FOUND",
          message: expect.stringContaining("recovery-codes"),
          details: { storeId: "recovery-codes" },
        },
      },
    });
  });

  it("stops the app at startup when it injects that store", async () => {
    await expect(start(env)).rejects.toThrow(/exited with 1:[\s\S]*STORE_NOT_FOUND/);
  });
});
