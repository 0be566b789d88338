// Per-API-key rate limit: 429 RATE_LIMITED with Retry-After past the budget, on both engines
// (PostgreSQL keeps the counter in the database so several processes share one budget).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgresStorage } from "../src/storage/postgres.js";
import { startPostgres, type TestPostgres } from "../src/testing/postgres.js";
import { type Engine, startTestServer, type TestServer } from "./helpers/vault-server.js";

describe.each<Engine>(["sqlite", "postgres"])("rate limit on %s", (engine) => {
  let vault: TestServer;
  beforeAll(async () => {
    vault = await startTestServer(engine, { rateLimitPerMinute: 3 });
    await vault.call("POST", "/v1/admin/projects/default/stores", {
      token: vault.adminToken,
      body: { id: "oauth-tokens" },
    });
  });
  afterAll(async () => {
    await vault?.close();
  });

  it("answers 429 with Retry-After once a key spends its budget, and other keys are unaffected", async () => {
    const newKey = async () =>
      (
        await vault.call("POST", "/v1/admin/projects/default/keys", {
          token: vault.adminToken,
          body: {},
        })
      ).body.apiKey as string;
    // Five requests within one fixed window; if a minute boundary fell inside, burst again.
    const burst = async (token: string) => {
      const minute = Math.floor(Date.now() / 60_000);
      const responses = [];
      for (let i = 0; i < 5; i++)
        responses.push(await vault.call("GET", "/v1/stores/oauth-tokens", { token }));
      return { responses, oneWindow: minute === Math.floor(Date.now() / 60_000) };
    };
    let result = await burst(await newKey());
    if (!result.oneWindow) result = await burst(await newKey());
    expect(result.responses.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
    const limited = result.responses[3];
    expect(limited?.body.error.code).toBe("RATE_LIMITED");
    const retryAfter = Number(limited?.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(
      (await vault.call("GET", "/v1/stores/oauth-tokens", { token: await newKey() })).status,
    ).toBe(200);
  });
});

describe("the PostgreSQL budget is shared", () => {
  let pg: TestPostgres;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await pg?.stop();
  });

  it("by processes on one database: hits counted by one are seen by the other within a sync", async () => {
    const [a, b] = [openPostgresStorage({ url: pg.url }), openPostgresStorage({ url: pg.url })];
    try {
      await a.migrate();
      const window = Date.now() - (Date.now() % 60_000);
      for (let i = 1; i <= 5; i++) expect(await a.hitRateLimit("key:shared", window)).toBe(i);
      // Counted in memory, sent within a quarter second: the other process then starts from there.
      await new Promise((resolve) => setTimeout(resolve, 600));
      await b.hitRateLimit("key:shared", window); // its first hit fetches the shared total
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(await b.hitRateLimit("key:shared", window)).toBe(7);
      expect(await a.hitRateLimit("key:other", window)).toBe(1);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
