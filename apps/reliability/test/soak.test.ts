// Soak: many SDK clients at once, for minutes (full run) or seconds (CI), with a realistic mix of
// reads, writes, batch reads and writes, deletes and existence checks. Every answer is checked
// against what each client wrote (each owns its keys), so "zero errors" includes "no wrong value".
// Reports throughput, latency percentiles per operation and the server's RSS over time.
import { CofferError, createVault, type DataVaultStore, generateSecret } from "@coffer/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENGINES, type EngineSetup, engineSetup } from "../src/engine.js";
import { provision } from "../src/http.js";
import { report } from "../src/report.js";
import { type ServerProcess, startServerProcess } from "../src/server-process.js";
import { FULL, SIZE } from "../src/size.js";
import { type Percentiles, percentiles, sampleRss } from "../src/stats.js";

const STORE = "soak";
/** Keys each client owns. */
const KEYS_PER_CLIENT = 100;
/** The per-key rate limit stays on (its bookkeeping is part of every request) but out of reach. */
const RATE_LIMIT = "100000000";

type Op = "getValue" | "setValue" | "getValues" | "setValues" | "deleteValue" | "hasValue";
/** The mix, by cumulative probability. */
const MIX: Array<[Op, number]> = [
  ["getValue", 0.4],
  ["setValue", 0.6],
  ["getValues", 0.7],
  ["setValues", 0.8],
  ["deleteValue", 0.9],
  ["hasValue", 1],
];

const pick = (): Op => {
  const roll = Math.random();
  return (MIX.find(([, p]) => roll < p) ?? MIX[0])?.[0] as Op;
};
const randomValue = () =>
  `${Math.random().toString(36).slice(2)}${"t".repeat(20 + Math.floor(Math.random() * 1500))}`;

interface Tally {
  latencies: Record<Op, number[]>;
  errors: Record<string, number>;
  wrong: number;
}

/** One client: owns `KEYS_PER_CLIENT` keys and knows what each must hold. */
async function client(store: DataVaultStore, id: number, until: number, tally: Tally) {
  const keys = Array.from({ length: KEYS_PER_CLIENT }, (_, i) => `c${id}:k${i}`);
  // What each key holds; a key whose last operation failed is unknown until written again.
  const model = new Map<string, string | null>(keys.map((k) => [k, null]));
  const someKeys = (n: number) =>
    Array.from({ length: n }, () => keys[Math.floor(Math.random() * keys.length)] as string);
  const check = (key: string, got: string | null) => {
    if (model.has(key) && model.get(key) !== got) tally.wrong++;
  };
  while (performance.now() < until) {
    const op = pick();
    const key = someKeys(1)[0] as string;
    const batch = [...new Set(someKeys(10))];
    const started = performance.now();
    try {
      switch (op) {
        case "getValue":
          check(key, await store.getValue(key));
          break;
        case "setValue": {
          const value = randomValue();
          model.delete(key);
          await store.setValue(key, value);
          model.set(key, value);
          break;
        }
        case "getValues":
          for (const [k, v] of await store.getValues(batch)) check(k, v);
          break;
        case "setValues": {
          const entries = batch.map((k) => [k, randomValue()] as const);
          for (const k of batch) model.delete(k);
          await store.setValues(entries);
          for (const [k, v] of entries) model.set(k, v);
          break;
        }
        case "deleteValue": {
          const had = model.get(key);
          model.delete(key);
          const deleted = await store.deleteValue(key);
          if (had !== undefined && deleted !== (had !== null)) tally.wrong++;
          model.set(key, null);
          break;
        }
        case "hasValue": {
          const has = await store.hasValue(key);
          if (model.has(key) && has !== (model.get(key) !== null)) tally.wrong++;
          break;
        }
      }
      tally.latencies[op].push(performance.now() - started);
    } catch (error) {
      const code = error instanceof CofferError ? error.code : String(error);
      tally.errors[code] = (tally.errors[code] ?? 0) + 1;
    }
  }
  // At the end, everything this client knows, in one batch read.
  for (const [k, v] of await store.getValues(keys)) check(k, v);
  return model.size;
}

describe.each(ENGINES)("soak on %s", (engine) => {
  let setup: EngineSetup;
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    setup = await engineSetup(engine);
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null) await server.kill("SIGKILL");
    await setup?.cleanup();
  });

  it(`${SIZE.soakConcurrency} clients for ${SIZE.soakMs / 1000} s: no error, no wrong value, memory stable`, {
    timeout: SIZE.soakMs + 180_000,
  }, async () => {
    server = await startServerProcess(setup.env, ["--rate-limit", RATE_LIMIT]);
    const apiKey = await provision(server.url, server.adminToken as string, STORE);
    const vault = createVault({ url: server.url, apiKey, secret: generateSecret() });
    const store = await vault.getDataVaultStore(STORE);
    const tally: Tally = {
      latencies: {
        getValue: [],
        setValue: [],
        getValues: [],
        setValues: [],
        deleteValue: [],
        hasValue: [],
      },
      errors: {},
      wrong: 0,
    };

    const pid = server.child.pid as number;
    const rss = sampleRss(pid, 1000);
    const started = performance.now();
    const until = started + SIZE.soakMs;
    const clients = Array.from({ length: SIZE.soakConcurrency }, (_, i) =>
      client(store, i, until, tally),
    );
    const known = await Promise.all(clients);
    const elapsed = performance.now() - started;
    const memory = rss.stop();
    // RSS once warmed up (JIT, caches, connection pools): the first sample after a fifth of the run.
    const warm =
      rss.samples.find((s) => s.atMs >= SIZE.soakMs / 5)?.mib ?? rss.samples[0]?.mib ?? 0;

    const info = await store.info();
    expect((await server.kill("SIGTERM")).code).toBe(0);

    const ops = Object.values(tally.latencies).reduce((n, l) => n + l.length, 0);
    const perOperation = Object.fromEntries(
      Object.entries(tally.latencies).map(([op, samples]) => [op, percentiles(samples)]),
    ) as Record<Op, Percentiles>;
    const figures = {
      engine,
      size: FULL ? "full" : "reduced",
      durationS: Math.round(elapsed / 100) / 10,
      concurrency: SIZE.soakConcurrency,
      keys: SIZE.soakConcurrency * KEYS_PER_CLIENT,
      entriesAtEnd: info.entryCount,
      operations: ops,
      operationsPerSecond: Math.round(ops / (elapsed / 1000)),
      errors: tally.errors,
      errorCount: Object.values(tally.errors).reduce((n, c) => n + c, 0),
      wrongValues: tally.wrong,
      latencyMs: perOperation,
      latencyNote:
        "end to end through the SDK (sealing, HTTP, storage, opening) on a shared 2-core machine",
      serverRssMiB: {
        start: memory.startMiB,
        afterWarmup: warm,
        end: memory.endMiB,
        peak: memory.peakMiB,
      },
      rssSamplesMiB: rss.samples
        .filter((_, i) => i % Math.max(1, Math.ceil(rss.samples.length / 30)) === 0)
        .map((s) => s.mib),
    };
    report(`soak-${engine}`, figures);

    expect(tally.errors).toEqual({});
    expect(tally.wrong).toBe(0);
    expect(known.every((n) => n === KEYS_PER_CLIENT)).toBe(true);
    // Memory is stable: no steady growth once warm (a leak over the run would exceed this).
    expect(memory.endMiB).toBeLessThan(warm * 1.5 + 32);
  });
});
