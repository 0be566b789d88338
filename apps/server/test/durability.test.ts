// What the vault survives: kill -9 during a stream of writes, SIGTERM under load, PostgreSQL going
// away and coming back, and two server processes sharing one PostgreSQL. Real processes, real
// databases, real envelopes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSealer, generateSecret } from "@coffer/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateMasterKeyString } from "../src/crypto/master-key.js";
import { startPostgres, type TestPostgres } from "../src/testing/postgres.js";
import { type CliProcess, cli, spawnCli } from "./helpers/cli.js";

const sealer = createSealer({ secret: generateSecret() });
const STORE = "oauth-tokens";

interface Started {
  proc: CliProcess;
  url: string;
  adminToken?: string;
}

async function start(args: string[], env: NodeJS.ProcessEnv): Promise<Started> {
  const proc = spawnCli(["start", "--port", "0", "--json", ...args], env);
  const [line] = await proc.waitFor(/^\{.*\}$/m);
  const info = JSON.parse(line) as { url: string; adminToken?: string };
  return { proc, url: info.url, ...(info.adminToken ? { adminToken: info.adminToken } : {}) };
}

async function api(url: string, token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { "content-type": "application/json" } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies loosely and assert on them
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function setUp(server: Started): Promise<string> {
  const admin = server.adminToken as string;
  expect(
    (await api(server.url, admin, "POST", "/v1/admin/projects/default/stores", { id: STORE }))
      .status,
  ).toBe(201);
  return (await api(server.url, admin, "POST", "/v1/admin/projects/default/keys", {})).body
    .apiKey as string;
}

/** Writes distinct entries, 8 in flight, until stopped; returns the values each acknowledged id holds. */
function streamWrites(url: string, apiKey: string) {
  const acknowledged = new Map<string, string>();
  let running = true;
  let n = 0;
  const worker = async () => {
    while (running) {
      const value = `value-${n++}-${Math.random()}`;
      const sealed = await sealer.seal(STORE, `user:${value}`, value);
      try {
        const response = await api(
          url,
          apiKey,
          "PUT",
          `/v1/stores/${STORE}/entries/${sealed.blindedId}`,
          {
            keyId: sealed.keyId,
            envelope: Buffer.from(sealed.envelope).toString("base64url"),
          },
        );
        if (response.status === 200) acknowledged.set(sealed.blindedId, value);
      } catch {
        // Connection refused or reset by the kill: not acknowledged, so not expected to survive.
      }
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  return {
    acknowledged,
    stop: async () => {
      running = false;
      await Promise.all(workers);
    },
  };
}

async function expectAllReadable(url: string, apiKey: string, acknowledged: Map<string, string>) {
  const ids = [...acknowledged.keys()];
  for (let i = 0; i < ids.length; i += 100) {
    const batch = ids.slice(i, i + 100);
    const response = await api(url, apiKey, "POST", `/v1/stores/${STORE}/entries/batch-get`, {
      blindedIds: batch,
    });
    expect(response.status).toBe(200);
    expect(response.body.missing).toEqual([]);
    for (const entry of response.body.entries as Array<{ blindedId: string; envelope: string }>) {
      const opened = await sealer.open(
        STORE,
        entry.blindedId,
        Buffer.from(entry.envelope, "base64url"),
      );
      expect(opened.value).toBe(acknowledged.get(entry.blindedId));
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(["sqlite", "postgres"] as const)("kill -9 on %s", (engine) => {
  let pg: TestPostgres | undefined;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "coffer-kill-"));
    env = { COFFER_DATA_DIR: dataDir, COFFER_LOG_LEVEL: "warn" };
    if (engine === "postgres") {
      pg = await startPostgres();
      env = { ...env, COFFER_DATABASE_URL: pg.url, COFFER_MASTER_KEY: generateMasterKeyString() };
    }
  });
  afterAll(async () => {
    await pg?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("keeps every acknowledged write across 3 kills at random moments", async () => {
    let server = await start([], env);
    const apiKey = await setUp(server);
    const acknowledged = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      const stream = streamWrites(server.url, apiKey);
      await sleep(300 + Math.random() * 700);
      server.proc.child.kill("SIGKILL");
      await server.proc.exited;
      await stream.stop();
      for (const [id, value] of stream.acknowledged) acknowledged.set(id, value);
      server = await start([], env);
      expect(server.adminToken).toBeUndefined(); // not a fresh vault: no second bootstrap
    }
    expect(acknowledged.size).toBeGreaterThan(20);
    await expectAllReadable(server.url, apiKey, acknowledged);
    server.proc.child.kill("SIGTERM");
    expect((await server.proc.exited).code).toBe(0);
  });
});

describe("graceful shutdown", () => {
  it("SIGTERM under load finishes in-flight requests and exits 0", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "coffer-term-"));
    try {
      const server = await start([], { COFFER_DATA_DIR: dataDir, COFFER_LOG_LEVEL: "warn" });
      const apiKey = await setUp(server);
      const stream = streamWrites(server.url, apiKey);
      await sleep(500);
      // Requests in flight at the signal must complete; after it, new connections are refused.
      const inFlight = Array.from({ length: 16 }, async (_, i) => {
        const sealed = await sealer.seal(STORE, `term:${i}`, `v${i}`);
        return api(server.url, apiKey, "PUT", `/v1/stores/${STORE}/entries/${sealed.blindedId}`, {
          keyId: sealed.keyId,
          envelope: Buffer.from(sealed.envelope).toString("base64url"),
        }).then(
          (r) => r.status,
          () => "refused" as const,
        );
      });
      await sleep(5);
      server.proc.child.kill("SIGTERM");
      const statuses = await Promise.all(inFlight);
      await stream.stop();
      expect((await server.proc.exited).code).toBe(0);
      // Each was either answered (200, or 503 once closing) or never connected: none was cut off mid-way.
      for (const status of statuses) expect([200, 503, "refused"]).toContain(status);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
      const restarted = await start([], { COFFER_DATA_DIR: dataDir, COFFER_LOG_LEVEL: "warn" });
      await expectAllReadable(restarted.url, apiKey, stream.acknowledged);
      restarted.proc.child.kill("SIGTERM");
      await restarted.proc.exited;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("PostgreSQL", () => {
  let pg: TestPostgres;
  let env: NodeJS.ProcessEnv;
  let dataDir: string;
  beforeAll(async () => {
    pg = await startPostgres();
    dataDir = mkdtempSync(join(tmpdir(), "coffer-pg-"));
    env = {
      COFFER_DATABASE_URL: pg.url,
      COFFER_MASTER_KEY: generateMasterKeyString(),
      COFFER_DATA_DIR: dataDir,
      COFFER_LOG_LEVEL: "warn",
    };
  });
  afterAll(async () => {
    await pg?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("two servers on one database behave as one service", async () => {
    const a = await start([], env);
    const b = await start([], env);
    try {
      const apiKey = await setUp(a);
      const sealed = await sealer.seal(STORE, "gh:shared", "written through A");
      const body = {
        keyId: sealed.keyId,
        envelope: Buffer.from(sealed.envelope).toString("base64url"),
      };
      expect(
        (await api(a.url, apiKey, "PUT", `/v1/stores/${STORE}/entries/${sealed.blindedId}`, body))
          .status,
      ).toBe(200);
      const read = await api(
        b.url,
        apiKey,
        "GET",
        `/v1/stores/${STORE}/entries/${sealed.blindedId}`,
      );
      expect(read.status).toBe(200);
      expect(
        (await sealer.open(STORE, sealed.blindedId, Buffer.from(read.body.envelope, "base64url")))
          .value,
      ).toBe("written through A");
      // A key revoked through one server (its admin API) fails on both at once: nothing is cached.
      const listed = await api(
        b.url,
        a.adminToken as string,
        "GET",
        "/v1/admin/projects/default/keys",
      );
      const keyId = listed.body.keys[0].id as string;
      expect(
        (
          await api(
            b.url,
            a.adminToken as string,
            "DELETE",
            `/v1/admin/projects/default/keys/${keyId}`,
          )
        ).status,
      ).toBe(200);
      expect((await api(a.url, apiKey, "GET", `/v1/stores/${STORE}`)).status).toBe(401);
      expect((await api(b.url, apiKey, "GET", `/v1/stores/${STORE}`)).status).toBe(401);
    } finally {
      a.proc.child.kill("SIGTERM");
      b.proc.child.kill("SIGTERM");
      await Promise.all([a.proc.exited, b.proc.exited]);
    }
  });

  it("answers 503 fast while PostgreSQL is down and recovers by itself when it returns", async () => {
    const server = await start([], env);
    try {
      const admin = (
        await cli(
          "key",
          "create",
          "--json",
          "--database-url",
          pg.url,
          "--master-key",
          env.COFFER_MASTER_KEY as string,
        )
      ).json();
      const apiKey = admin.apiKey as string;
      const sealed = await sealer.seal(STORE, "gh:outage", "before the outage");
      const body = {
        keyId: sealed.keyId,
        envelope: Buffer.from(sealed.envelope).toString("base64url"),
      };
      expect(
        (
          await api(
            server.url,
            apiKey,
            "PUT",
            `/v1/stores/${STORE}/entries/${sealed.blindedId}`,
            body,
          )
        ).status,
      ).toBe(200);

      await pg.pgStop();
      const started = Date.now();
      const during = await api(
        server.url,
        apiKey,
        "GET",
        `/v1/stores/${STORE}/entries/${sealed.blindedId}`,
      );
      expect(during.status).toBe(503);
      expect(during.body.error.code).toBe("SERVICE_UNAVAILABLE");
      expect(Date.now() - started).toBeLessThan(8000);
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(503);

      await pg.pgStart();
      const back = Date.now();
      let status = 0;
      while (Date.now() - back < 5000) {
        status = (
          await api(server.url, apiKey, "GET", `/v1/stores/${STORE}/entries/${sealed.blindedId}`)
        ).status;
        if (status === 200) break;
        await sleep(100);
      }
      expect(status).toBe(200);
      expect(Date.now() - back).toBeLessThan(5000);
    } finally {
      server.proc.child.kill("SIGTERM");
      await server.proc.exited;
    }
  });
});
