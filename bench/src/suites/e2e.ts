// End to end over loopback: SDK → vault service → storage, against the baseline (the same Fastify
// and database serving plaintext, driven by a plain fetch loop), in alternating rounds.
import { generateSecret } from "@coffer/core";
import {
  baselineClient,
  type Client,
  cofferClient,
  keyOf,
  makeValue,
  populate,
  progress,
} from "../clients.js";
import { openEngine } from "../engines.js";
import { type LoadResult, runLoad } from "../load.js";
import { startBaselineServer, startCofferServer } from "../processes.js";
import { cpuMsOf, sampleRss } from "../rss.js";
import type { Engine, Settings } from "../settings.js";
import { median } from "../stats.js";

export const E2E_OPS = ["getValue", "setValue", "getValues", "mix 90/10"] as const;
export type E2eOp = (typeof E2E_OPS)[number];

export interface SideFigures {
  /** Medians over rounds. */
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Peak server RSS during a round, median over rounds. */
  serverRssBytes: number;
  /** CPU time per operation (user + system), median over rounds: where the cost is. */
  serverCpuUsPerOp: number;
  clientCpuUsPerOp: number;
  errors: number;
  rounds: LoadResult[];
}

export interface E2eCell {
  engine: Engine;
  op: E2eOp;
  concurrency: number;
  baseline: SideFigures;
  coffer: SideFigures;
  /** coffer / baseline. */
  throughputRatio: number;
  p50Ratio: number;
  p99Ratio: number;
  rssRatio: number;
}

export interface E2eResult {
  settings: Settings["e2e"];
  /** Idle server RSS after population, per engine. */
  idleRss: Record<string, { baseline: number; coffer: number }>;
  cells: E2eCell[];
}

function operation(op: E2eOp, client: Client, keyspace: number, batch: number, value: string) {
  const randomKey = () => keyOf(Math.floor(Math.random() * keyspace));
  const get = async () => {
    if ((await client.get(randomKey())) === null) throw new Error("a populated key read as null");
  };
  const set = () => client.set(randomKey(), value);
  switch (op) {
    case "getValue":
      return get;
    case "setValue":
      return set;
    case "getValues":
      return async () => {
        const keys = new Set<string>();
        while (keys.size < batch) keys.add(randomKey());
        if ((await client.getMany([...keys])) !== batch) throw new Error("a batch came back short");
      };
    case "mix 90/10":
      return () => (Math.random() < 0.9 ? get() : set());
  }
}

interface Round {
  load: LoadResult;
  rss: number;
  serverCpuUsPerOp: number;
  clientCpuUsPerOp: number;
}

function summarise(rounds: Round[]): SideFigures {
  return {
    opsPerSec: median(rounds.map((r) => r.load.opsPerSec)),
    p50Ms: median(rounds.map((r) => r.load.p50Ms)),
    p99Ms: median(rounds.map((r) => r.load.p99Ms)),
    serverRssBytes: median(rounds.map((r) => r.rss)),
    serverCpuUsPerOp: median(rounds.map((r) => r.serverCpuUsPerOp)),
    clientCpuUsPerOp: median(rounds.map((r) => r.clientCpuUsPerOp)),
    errors: rounds.reduce((n, r) => n + r.load.errors, 0),
    rounds: rounds.map((r) => r.load),
  };
}

async function runEngine(engine: Engine, settings: Settings, result: E2eResult): Promise<void> {
  const s = settings.e2e;
  const home = await openEngine(engine);
  const coffer = await startCofferServer({
    ...(await home.cofferPlace("coffer")),
    source: settings.source,
  });
  const baseline = await startBaselineServer(await home.baselinePlace("baseline"));
  try {
    await coffer.createStore("bench");
    const sides = {
      baseline: { client: baselineClient(baseline.url), pid: baseline.pid },
      coffer: {
        client: await cofferClient({
          url: coffer.url,
          apiKey: coffer.apiKey,
          secret: generateSecret(),
          store: "bench",
        }),
        pid: coffer.pid,
      },
    };
    const value = makeValue(s.valueBytes, 1);
    for (const [name, side] of Object.entries(sides)) {
      await populate(side.client, s.keyspace, () => value, `${engine} e2e: populating ${name}`);
    }
    result.idleRss[engine] = {
      baseline: sampleRss([baseline.pid]).stop().total,
      coffer: sampleRss([coffer.pid]).stop().total,
    };
    for (const op of E2E_OPS) {
      for (const concurrency of s.concurrencies) {
        const rounds = { baseline: [] as Round[], coffer: [] as Round[] };
        for (let round = 0; round < s.rounds; round++) {
          // Alternate who goes first, so a drift in machine load favours neither.
          const order =
            round % 2 === 0 ? (["baseline", "coffer"] as const) : (["coffer", "baseline"] as const);
          for (const name of order) {
            const side = sides[name];
            const sampler = sampleRss([side.pid]);
            const serverCpu = cpuMsOf(side.pid);
            const clientCpu = process.cpuUsage();
            const load = await runLoad({
              concurrency,
              warmupMs: s.warmupMs,
              durationMs: s.durationMs,
              op: operation(op, side.client, s.keyspace, s.batch, value),
            });
            // Over warm-up and window alike: per operation completed in both (rate × total time).
            const ops = load.opsPerSec * ((s.warmupMs + s.durationMs) / 1000);
            const client = process.cpuUsage(clientCpu);
            rounds[name].push({
              load,
              rss: sampler.stop().total,
              serverCpuUsPerOp: ((cpuMsOf(side.pid) - serverCpu) * 1000) / ops,
              clientCpuUsPerOp: (client.user + client.system) / ops,
            });
          }
        }
        const b = summarise(rounds.baseline);
        const c = summarise(rounds.coffer);
        const cell: E2eCell = {
          engine,
          op,
          concurrency,
          baseline: b,
          coffer: c,
          throughputRatio: c.opsPerSec / b.opsPerSec,
          p50Ratio: c.p50Ms / b.p50Ms,
          p99Ratio: c.p99Ms / b.p99Ms,
          rssRatio: c.serverRssBytes / b.serverRssBytes,
        };
        result.cells.push(cell);
        progress(
          `${engine} ${op} c${concurrency}: coffer ${Math.round(c.opsPerSec)}/s, baseline ${Math.round(b.opsPerSec)}/s (${(cell.throughputRatio * 100).toFixed(0)}%)`,
        );
        for (const side of [b, c]) {
          const failed = side.rounds.find((r) => r.firstError);
          if (failed) progress(`  ${side.errors} errors, first: ${failed.firstError}`);
        }
      }
    }
  } finally {
    await Promise.all([coffer.stop(), baseline.stop()]);
    await home.close();
  }
}

export async function runE2e(settings: Settings): Promise<E2eResult> {
  const result: E2eResult = { settings: settings.e2e, idleRss: {}, cells: [] };
  for (const engine of settings.engines) await runEngine(engine, settings, result);
  return result;
}
