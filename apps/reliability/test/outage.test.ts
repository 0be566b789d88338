// PostgreSQL goes away under load and comes back. Meanwhile every request is answered, fast, with
// success or 503 SERVICE_UNAVAILABLE (no hang past the SDK's timeout, no 500, no dropped
// connection, no crash); within 5 s of its return requests succeed again; nothing acknowledged is
// lost. Raw HTTP writers see exact statuses; an SDK client runs beside them.
import { CofferError, createVault, generateSecret } from "@coffer/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EngineSetup, engineSetup } from "../src/engine.js";
import { call, provision, sleep } from "../src/http.js";
import { Ledger } from "../src/ledger.js";
import { report } from "../src/report.js";
import { type ServerProcess, startServerProcess } from "../src/server-process.js";
import { SIZE } from "../src/size.js";
import { percentiles } from "../src/stats.js";
import { streamWrites } from "../src/write-stream.js";

const STORE = "outage";
/** The SDK's default per-attempt timeout: no request may take longer. */
const SDK_TIMEOUT_MS = 10_000;
/** The bound: requests succeed again within this long after PostgreSQL is back. */
const RECOVERY_BOUND_MS = 5_000;

describe("PostgreSQL stopped under load and started again", () => {
  let setup: EngineSetup;
  let server: ServerProcess;
  let apiKey: string;
  beforeAll(async () => {
    setup = await engineSetup("postgres");
    server = await startServerProcess(setup.env);
    apiKey = await provision(server.url, server.adminToken as string, STORE);
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null) await server.kill("SIGKILL");
    await setup?.cleanup();
  });

  it(`answers 503 during ${SIZE.outages} outage(s) and recovers within 5 s of each return`, {
    timeout: 300_000,
  }, async () => {
    const pg = setup.pg;
    if (!pg) throw new Error("no PostgreSQL");
    const ledger = new Ledger(STORE);
    const stream = streamWrites({
      url: server.url,
      apiKey,
      ledger,
      concurrency: 12,
      pauseAfterFailureMs: 25,
      timeoutMs: SDK_TIMEOUT_MS,
    });

    // The SDK beside them: reads and writes of its own keys, with its default timeout and retries.
    const vault = createVault({ url: server.url, apiKey, secret: generateSecret() });
    const sdkStore = await vault.getDataVaultStore(STORE);
    const sdk = {
      running: true,
      acknowledged: new Map<string, string>(),
      errors: {} as Record<string, number>,
      wrongReads: 0,
      successesAt: [] as number[],
      durations: [] as number[],
    };
    const sdkWorker = async (w: number) => {
      for (let i = 0; sdk.running; i++) {
        const key = `sdk-${w}-${i}`;
        const value = `sdk-value-${Math.random()}`;
        const started = performance.now();
        try {
          await sdkStore.setValue(key, value);
          sdk.acknowledged.set(key, value);
          if ((await sdkStore.getValue(key)) !== value) sdk.wrongReads++;
          sdk.successesAt.push(performance.now());
        } catch (error) {
          const code = error instanceof CofferError ? error.code : String(error);
          sdk.errors[code] = (sdk.errors[code] ?? 0) + 1;
          await sleep(50);
        }
        sdk.durations.push(performance.now() - started);
      }
    };
    const sdkWorkers = [0, 1].map(sdkWorker);

    const outages: Array<Record<string, number>> = [];
    let healthDuring: number[] = [];
    for (let n = 0; n < SIZE.outages; n++) {
      await stream.acknowledgedAtLeast(50);
      const down = performance.now();
      await pg.pgStop();
      const stopped = performance.now();
      // While it is down: /healthz says so, and requests keep being answered.
      const healthEnd = stopped + SIZE.outageMs;
      healthDuring = [];
      while (performance.now() < healthEnd) {
        const health = await call(server.url, "", "GET", "/healthz", undefined, SDK_TIMEOUT_MS);
        healthDuring.push(health.status);
        if (health.status !== 503)
          console.log(health.code, server.child.exitCode, server.output().slice(-3000));
        await sleep(250);
      }
      expect(healthDuring).toEqual(healthDuring.map(() => 503));
      await pg.pgStart();
      const back = performance.now();
      // Wait for the writers to succeed again (the assertion on how soon comes from the answers).
      await Promise.race([stream.acknowledgedAtLeast(50), sleep(20_000)]);
      await sleep(500);

      const window = stream.answers.filter((a) => a.ended >= down);
      const during = window.filter((a) => a.started >= stopped && a.ended <= back);
      const failures = window.filter((a) => a.status !== 200);
      const lastFailureEnd = Math.max(back, ...failures.map((a) => a.ended));
      const firstSuccess = window.find((a) => a.status === 200 && a.started >= back);
      expect(firstSuccess).toBeDefined();
      // Every request that met the outage got success or 503, nothing else.
      for (const answer of window) expect([200, 503]).toContain(answer.status);
      expect(during.filter((a) => a.status === 503).length).toBeGreaterThan(0);
      expect(lastFailureEnd - back).toBeLessThan(RECOVERY_BOUND_MS);
      outages.push({
        stopMs: Math.round(stopped - down),
        downMs: Math.round(back - stopped),
        requestsWhileDown: during.length,
        answered503: failures.length,
        maxResponseMsWhileDown: Math.round(Math.max(0, ...during.map((a) => a.ms)) * 10) / 10,
        firstSuccessAfterReturnMs: Math.round((firstSuccess?.ended ?? back) - back),
        lastFailureAfterReturnMs: Math.round(lastFailureEnd - back),
      });
    }

    const counts = await stream.stop();
    sdk.running = false;
    await Promise.all(sdkWorkers);

    // No request hung to its timeout, none was dropped, and the server never went down.
    expect(counts.maxMs).toBeLessThan(SDK_TIMEOUT_MS);
    expect(counts.networkErrors).toEqual({});
    expect(Object.keys(counts.httpErrors).every((k) => k === "503 SERVICE_UNAVAILABLE")).toBe(true);
    expect(server.child.exitCode).toBeNull();
    // The SDK saw only SERVICE_UNAVAILABLE, after its retries, and worked again after the last outage.
    expect(Object.keys(sdk.errors).every((code) => code === "SERVICE_UNAVAILABLE")).toBe(true);
    expect(sdk.wrongReads).toBe(0);
    expect(Math.max(...sdk.durations)).toBeLessThan(SDK_TIMEOUT_MS * 3);

    // Nothing acknowledged is lost.
    const verified = await ledger.verify(server.url, apiKey);
    expect(verified.problems).toEqual([]);
    const scan = await ledger.scan(server.url, apiKey);
    expect(scan.corrupt).toBe(0);
    expect(scan.tornBatches).toBe(0);
    const sdkRead = await sdkStore.getValues(sdk.acknowledged.keys());
    expect(sdkRead).toEqual(sdk.acknowledged);

    const stopped = await server.kill("SIGTERM");
    expect(stopped.code).toBe(0);

    const all = stream.answers;
    const answered503 = all.filter((a) => a.status === 503);
    report("outage-postgres", {
      outages: outages.length,
      outageMs: SIZE.outageMs,
      perOutage: outages,
      requests: all.length,
      answered503: answered503.length,
      latency503Ms: percentiles(answered503.map((a) => a.ended - a.started)),
      maxResponseMs: Math.round(counts.maxMs * 10) / 10,
      maxFirstSuccessAfterReturnMs: Math.max(
        ...outages.map((o) => o.firstSuccessAfterReturnMs ?? 0),
      ),
      maxLastFailureAfterReturnMs: Math.max(...outages.map((o) => o.lastFailureAfterReturnMs ?? 0)),
      droppedConnections: 0,
      otherErrors: 0,
      acknowledgedKeysChecked: verified.acknowledgedChecked,
      lostAcknowledgedWrites: verified.problems.length,
      sdk: {
        acknowledgedWrites: sdk.acknowledged.size,
        errors: sdk.errors,
        maxCallMs: Math.round(Math.max(...sdk.durations)),
      },
    });
  });
});
