// The example API over HTTP, as its README drives it, against a real vault service on SQLite.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createVaultClient, generateSecret } from "@coffer/core";
import { startVault, type TestVault } from "@coffer/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApp } from "../src/app.js";

let vault: TestVault;
let apiKey: string;
let secret: string;
let base: string;
let close: () => Promise<void>;

beforeAll(async () => {
  vault = await startVault("sqlite");
  await vault.createStore("oauth-tokens");
  await vault.createStore("recovery-codes");
  apiKey = await vault.createApiKey({ storeIds: ["oauth-tokens", "recovery-codes"] });
  secret = generateSecret();
  // What `pnpm coffer init` writes to .env.local, and `start` loads.
  vi.stubEnv("COFFER_URL", vault.url);
  vi.stubEnv("COFFER_API_KEY", apiKey);
  vi.stubEnv("COFFER_SECRET", secret);
  const server = createServer(createApp());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
});
afterAll(async () => {
  await close?.();
  await vault?.close();
});

/** A request as user `as` (the demo's `x-user-id` sign-in); JSON in, status and JSON out. */
async function call(method: string, path: string, as?: string, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(as === undefined ? {} : { "x-user-id": as }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

describe("GitHub tokens", () => {
  it("stores and reads each user's token, and only their own", async () => {
    expect(
      await call("PUT", "/users/alice/github-token", "alice", { token: "gho_alice1" }),
    ).toEqual({ status: 204, body: undefined });
    await call("PUT", "/users/bob/github-token", "bob", { token: "gho_bob" });
    await call("PUT", "/users/alice/github-token", "alice", { token: "gho_alice2" }); // replaces
    expect(await call("GET", "/users/alice/github-token", "alice")).toEqual({
      status: 200,
      body: { token: "gho_alice2" },
    });
    expect(await call("GET", "/users/bob/github-token", "bob")).toEqual({
      status: 200,
      body: { token: "gho_bob" },
    });
    // Bob cannot read or overwrite Alice's token; nobody signed in cannot either.
    expect((await call("GET", "/users/alice/github-token", "bob")).status).toBe(403);
    expect((await call("PUT", "/users/alice/github-token", "bob", { token: "x" })).status).toBe(
      403,
    );
    expect((await call("GET", "/users/alice/github-token")).body.error.code).toBe(
      "UNAUTHENTICATED",
    );
    expect(await call("GET", "/users/carol/github-token", "carol")).toMatchObject({
      status: 404,
      body: { error: { code: "NOT_FOUND" } },
    });
  });

  it("the vault service holds neither tokens nor user ids, only blinded ids and envelopes", async () => {
    await call("PUT", "/users/dave/github-token", "dave", { token: "gho_dave_plaintext" });
    const client = createVaultClient({ url: vault.url, apiKey });
    let count = 0;
    for await (const entry of client.sealedEntries("oauth-tokens")) {
      count++;
      const seen = `${entry.blindedId} ${new TextDecoder("latin1").decode(entry.envelope)}`;
      expect(seen).not.toMatch(/gho_|dave|github:/);
    }
    expect(count).toBeGreaterThanOrEqual(3); // alice, bob, dave
  });

  it("rejects a missing or empty token, or a body that is not JSON, with 400 JSON", async () => {
    expect((await call("PUT", "/users/erin/github-token", "erin", {})).status).toBe(400);
    expect((await call("PUT", "/users/erin/github-token", "erin", { token: "" })).status).toBe(400);
    const response = await fetch(`${base}/users/erin/github-token`, {
      method: "PUT",
      headers: { "x-user-id": "erin", "content-type": "application/json" },
      body: "{not json",
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe("INVALID_REQUEST");
  });
});

describe("recovery codes", () => {
  it("are returned once, ten of them, and each verifies exactly once", async () => {
    const { status, body } = await call("POST", "/users/alice/recovery-codes", "alice");
    expect(status).toBe(201);
    const codes = body.codes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);

    const [first, second] = codes as [string, string];
    expect(
      await call("POST", "/users/alice/recovery-codes/verify", "alice", { code: first }),
    ).toEqual({ status: 200, body: { verified: true, remaining: 9 } });
    expect(
      await call("POST", "/users/alice/recovery-codes/verify", "alice", { code: first }),
    ).toMatchObject({ status: 401, body: { error: { code: "INVALID_CODE" } } });
    // Typed by hand: case and spacing do not matter.
    const typed = ` ${second.toUpperCase().replace("-", " ")} `;
    expect(
      await call("POST", "/users/alice/recovery-codes/verify", "alice", { code: typed }),
    ).toEqual({ status: 200, body: { verified: true, remaining: 8 } });
  });

  it("belong to one user: another user's code does not verify", async () => {
    const alice = (await call("POST", "/users/alice/recovery-codes", "alice")).body.codes;
    await call("POST", "/users/bob/recovery-codes", "bob");
    const code = alice[0];
    expect((await call("POST", "/users/bob/recovery-codes/verify", "bob", { code })).status).toBe(
      401,
    );
    expect((await call("POST", "/users/alice/recovery-codes/verify", "bob", { code })).status).toBe(
      403,
    );
    // Bob's failed attempts did not use up Alice's code.
    expect(
      (await call("POST", "/users/alice/recovery-codes/verify", "alice", { code })).status,
    ).toBe(200);
  });

  it("new codes revoke the old ones", async () => {
    const old = (await call("POST", "/users/frank/recovery-codes", "frank")).body.codes;
    const fresh = (await call("POST", "/users/frank/recovery-codes", "frank")).body.codes;
    const verify = (code: string) =>
      call("POST", "/users/frank/recovery-codes/verify", "frank", { code });
    for (const code of old) expect((await verify(code)).status).toBe(401);
    expect((await verify(fresh[3])).body).toEqual({ verified: true, remaining: 9 });
  });

  it("new codes made by concurrent requests: only one request's codes work, now and after", async () => {
    const verify = (code: string) =>
      call("POST", "/users/heidi/recovery-codes/verify", "heidi", { code });
    const make = async () =>
      (await call("POST", "/users/heidi/recovery-codes", "heidi")).body.codes as string[];
    await make();
    const [a, b] = await Promise.all([make(), make()]);
    const works = async (codes: string[]) => (await verify(codes[0] as string)).status === 200;
    expect([await works(a), await works(b)].sort()).toEqual([false, true]);
    // A later batch revokes the winner's remaining codes; the loser's never worked.
    await make();
    for (const code of [...a.slice(1), ...b.slice(1)])
      expect((await verify(code)).status).toBe(401);
  });

  it("anything that cannot be a code is INVALID_CODE, without asking the vault", async () => {
    await call("POST", "/users/ivan/recovery-codes", "ivan");
    for (const code of [
      "",
      "a".repeat(15_000),
      "k7mq2-x9d4p-extra",
      "ilou0-12345",
      42,
      { code: 1 },
    ]) {
      expect(
        await call("POST", "/users/ivan/recovery-codes/verify", "ivan", { code }),
      ).toMatchObject({ status: 401, body: { error: { code: "INVALID_CODE" } } });
    }
  });

  it("a code sent by concurrent requests succeeds for exactly one of them", async () => {
    const [code] = (await call("POST", "/users/grace/recovery-codes", "grace")).body.codes;
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        call("POST", "/users/grace/recovery-codes/verify", "grace", { code }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401, 401, 401, 401, 401, 401, 401]);
  });
});

it("runs with the start script's command, reading its settings from the env file", async () => {
  // The `start` script, with .env.local swapped for a file like the one `pnpm coffer init` writes.
  await call("PUT", "/users/ivan/github-token", "ivan", { token: "gho_ivan" });
  const dir = mkdtempSync(join(tmpdir(), "coffer-example-"));
  const envFile = join(dir, ".env.local");
  writeFileSync(
    envFile,
    `COFFER_URL=${vault.url}\nCOFFER_API_KEY=${apiKey}\nCOFFER_SECRET=${secret}\n`,
  );
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  const [command, ...args] = (pkg.scripts.start as string).split(" ");
  expect(command).toBe("tsx");
  expect(args).toContain("--env-file=.env.local");
  const { COFFER_URL, COFFER_API_KEY, COFFER_SECRET, ...env } = process.env;
  const child = spawn(
    fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url)),
    args.map((arg) => (arg === "--env-file=.env.local" ? `--env-file=${envFile}` : arg)),
    {
      cwd: new URL("..", import.meta.url),
      env: { ...env, PORT: "0" },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        const match = /http:\/\/localhost:\d+/.exec(chunk.toString());
        if (match) resolve(match[0]);
      });
      child.on("exit", (code) => reject(new Error(`the server exited with ${code}`)));
    });
    const response = await fetch(`${url}/users/ivan/github-token`, {
      headers: { "x-user-id": "ivan" },
    });
    expect(await response.json()).toEqual({ token: "gho_ivan" });
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
