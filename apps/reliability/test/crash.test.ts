// Crash durability: a client streams writes (new entries, overwrites, deletes, batch-puts) while the
// server process is SIGKILLed at random moments, on SQLite and on PostgreSQL. After every restart,
// each write acknowledged so far must be there and open to its value, every stored envelope must
// open, and no batch-put may be half applied.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENGINES, type EngineSetup, engineSetup } from "../src/engine.js";
import { provision, sleep } from "../src/http.js";
import { Ledger } from "../src/ledger.js";
import { report } from "../src/report.js";
import { type ServerProcess, startServerProcess } from "../src/server-process.js";
import { SIZE } from "../src/size.js";
import { streamWrites } from "../src/write-stream.js";

const STORE = "crash";
/** Keys of earlier rounds re-read after each restart, besides every key of the round just killed. */
const SAMPLE = 300;

describe.each(ENGINES)("SIGKILL at random moments on %s", (engine) => {
  let setup: EngineSetup;
  beforeAll(async () => {
    setup = await engineSetup(engine);
  });
  afterAll(async () => {
    await setup?.cleanup();
  });

  it(`keeps every acknowledged write across ${SIZE.kills} kills`, {
    timeout: 600_000,
  }, async () => {
    let server: ServerProcess = await startServerProcess(setup.env);
    expect(server.adminToken).toBeDefined();
    const apiKey = await provision(server.url, server.adminToken as string, STORE);
    const ledger = new Ledger(STORE);
    const totals = {
      kills: 0,
      acknowledgedOps: 0,
      acknowledgedChecks: 0,
      unacknowledgedChecks: 0,
      httpErrors: {} as Record<string, number>,
      networkErrors: {} as Record<string, number>,
    };
    const restartMs: number[] = [];

    for (let round = 0; round < SIZE.kills; round++) {
      const earlier = new Set(ledger.allKeys());
      const stream = streamWrites({ url: server.url, apiKey, ledger, concurrency: 8 });
      // A random moment, once writes are flowing: some kills land mid-request, some mid-batch.
      await stream.acknowledgedAtLeast(20);
      await sleep(Math.random() * 800);
      const killed = await server.kill("SIGKILL");
      expect(killed.signal).toBe("SIGKILL");
      totals.kills++;
      const counts = await stream.stop();
      totals.acknowledgedOps += counts.acknowledged;
      for (const [k, v] of Object.entries(counts.networkErrors))
        totals.networkErrors[k] = (totals.networkErrors[k] ?? 0) + v;
      for (const [k, v] of Object.entries(counts.httpErrors))
        totals.httpErrors[k] = (totals.httpErrors[k] ?? 0) + v;
      // Before the kill the server answered every write with success: errors are only the kill's.
      expect(counts.httpErrors).toEqual({});

      const restarting = performance.now();
      server = await startServerProcess(setup.env);
      restartMs.push(performance.now() - restarting);
      expect(server.adminToken).toBeUndefined(); // the same vault, not a fresh bootstrap

      // Every key this round touched, and a sample of the earlier ones.
      const touched = ledger.allKeys().filter((key) => !earlier.has(key));
      const sample = [...earlier].sort(() => Math.random() - 0.5).slice(0, SAMPLE);
      const checked = await ledger.verify(server.url, apiKey, [...touched, ...sample]);
      expect(checked.problems).toEqual([]);
      totals.acknowledgedChecks += checked.acknowledgedChecked;
      totals.unacknowledgedChecks += checked.unacknowledgedChecked;
    }

    // Everything, once more, and every stored entry opened.
    const final = await ledger.verify(server.url, apiKey);
    expect(final.problems).toEqual([]);
    const scan = await ledger.scan(server.url, apiKey);
    expect(scan.problems).toEqual([]);
    expect(scan.corrupt).toBe(0);
    expect(scan.unknown).toBe(0);
    expect(scan.tornBatches).toBe(0);
    expect(final.acknowledgedChecked).toBeGreaterThan(SIZE.kills * 20);

    const stopped = await server.kill("SIGTERM");
    expect(stopped.code).toBe(0);

    report(`crash-${engine}`, {
      kills: totals.kills,
      acknowledgedOperations: totals.acknowledgedOps,
      keysWritten: ledger.size,
      acknowledgedChecksAfterRestarts: totals.acknowledgedChecks,
      acknowledgedKeysCheckedAtEnd: final.acknowledgedChecked,
      unacknowledgedKeysAtEnd: final.unacknowledgedChecked,
      entriesStoredAtEnd: scan.entries,
      corruptEntries: scan.corrupt,
      unknownEntries: scan.unknown,
      tornBatches: scan.tornBatches,
      lostAcknowledgedWrites: final.problems.length,
      requestsCutByKills: totals.networkErrors,
      httpErrorsBeforeKills: totals.httpErrors,
      restartMsMedian: Math.round(
        restartMs.sort((a, b) => a - b)[Math.floor(restartMs.length / 2)] ?? 0,
      ),
    });
  });
});
