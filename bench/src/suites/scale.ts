// Scale: a large store (1,000,000 entries; 20,000 with --quick) against a 1,000-entry store in a
// vault of its own (so the B-trees differ), database bytes per entry against value size, and the
// time and memory of keys() and rotate() over the whole large store. Population goes through the
// SDK's setValues, so every entry is really sealed and stored.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { createSealer, generateSecret } from "@coffer/core";
import { cofferClient, keyOf, makeValue, populate, progress } from "../clients.js";
import { type DbBytes, postgresBytes, sqliteBytes } from "../db-bytes.js";
import { type EngineHome, openEngine } from "../engines.js";
import { type LoadResult, runLoad } from "../load.js";
import { type CofferServer, compile, startCofferServer } from "../processes.js";
import { sampleRss } from "../rss.js";
import type { Engine, Settings } from "../settings.js";
import { median } from "../stats.js";

const STORE = "scale";

export interface BytesPerEntry {
  engine: Engine;
  valueBytes: number;
  entries: number;
  /** Sealed envelope of one entry (SPEC.md §4: 81 + padded payload). */
  envelopeBytes: number;
  /** The padded payload: key and value after Padmé/bucket padding. */
  paddedBytes: number;
  /** Growth of the entries table (and indexes) per entry. */
  dbBytesPerEntry: number;
  /** Growth of the whole database per entry (audit events of the writes included). */
  dbTotalBytesPerEntry: number;
  beyondEnvelope: number;
  beyondPadded: number;
  method: string;
  /** Bytes per entry of each object (table, indexes, TOAST). */
  perObject: Record<string, number>;
}

export interface WholeStoreRun {
  entries: number;
  seconds: number;
  opsPerSec: number;
  /** Peak RSS during the run. */
  clientRssBytes: number;
  serverRssBytes: number;
  totalRssBytes: number;
  /** rotate only: false when stopped at the time budget (the total is then projected). */
  complete: boolean;
  projectedSeconds: number;
}

export interface ScaleEngineResult {
  engine: Engine;
  entries: number;
  smallEntries: number;
  valueBytes: number;
  populate: { seconds: number; opsPerSec: number; serverRssBytes: number };
  latency: {
    small: { p50Ms: number; p99Ms: number; opsPerSec: number; rounds: LoadResult[] };
    large: { p50Ms: number; p99Ms: number; opsPerSec: number; rounds: LoadResult[] };
    p50Ratio: number;
  };
  bytes: BytesPerEntry[];
  keys: WholeStoreRun;
  rotate: WholeStoreRun;
}

type Place = { dataDir: string; databaseUrl?: string; masterKey?: string };

function dbBytes(place: Place): Promise<DbBytes> {
  return place.databaseUrl
    ? postgresBytes(place.databaseUrl)
    : Promise.resolve(sqliteBytes(place.dataDir));
}

async function vaultWith(
  home: EngineHome,
  name: string,
  settings: Settings,
): Promise<{ server: CofferServer; place: Place }> {
  const place = await home.cofferPlace(name);
  const server = await startCofferServer({ ...place, source: settings.source });
  await server.createStore(STORE);
  return { server, place };
}

function envelopeSize(secret: string, valueBytes: number): Promise<number> {
  return createSealer({ secret })
    .seal(STORE, keyOf(0), makeValue(valueBytes, 0))
    .then((s) => s.envelope.length);
}

async function bytesPerEntry(
  home: EngineHome,
  settings: Settings,
  valueBytes: number,
  entries: number,
  existing?: { server: CofferServer; place: Place; before: DbBytes; secret: string },
): Promise<BytesPerEntry> {
  const secret = existing?.secret ?? generateSecret();
  const own = existing ? undefined : await vaultWith(home, `bytes-${valueBytes}`, settings);
  let before = existing?.before;
  const target = existing ?? own;
  if (!target) throw new Error("unreachable");
  try {
    if (!existing) {
      before = await dbBytes(target.place);
      const client = await cofferClient({
        url: target.server.url,
        apiKey: target.server.apiKey,
        secret,
        store: STORE,
      });
      await populate(
        client,
        entries,
        (i) => makeValue(valueBytes, i),
        `${home.engine}: ${valueBytes} B values`,
      );
    }
    const after = await dbBytes(target.place);
    const envelopeBytes = await envelopeSize(secret, valueBytes);
    const perEntry = (after.entries - (before?.entries ?? 0)) / entries;
    return {
      engine: home.engine,
      valueBytes,
      entries,
      envelopeBytes,
      paddedBytes: envelopeBytes - 81,
      dbBytesPerEntry: perEntry,
      dbTotalBytesPerEntry: (after.total - (before?.total ?? 0)) / entries,
      beyondEnvelope: perEntry - envelopeBytes,
      beyondPadded: perEntry - (envelopeBytes - 81),
      method: after.method,
      perObject: Object.fromEntries(
        Object.entries(after.objects).map(([name, n]) => [
          name,
          (n - (before?.objects[name] ?? 0)) / entries,
        ]),
      ),
    };
  } finally {
    await own?.server.stop();
  }
}

/**
 * keys() or rotate() over the whole store in a child process (src/whole-store-client.ts), with
 * the RSS of that client and of the server sampled meanwhile.
 */
async function wholeStore(
  server: CofferServer,
  entries: number,
  env: Record<string, string>,
  label: string,
): Promise<WholeStoreRun> {
  const child = spawn(process.execPath, [compile("whole-store-client")], {
    env: {
      ...process.env,
      BENCH_URL: server.url,
      BENCH_API_KEY: server.apiKey,
      BENCH_STORE: STORE,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid ?? 0;
  const sampler = sampleRss([pid, server.pid]);
  const start = performance.now();
  let final: { entries: number; complete: boolean; seconds: number } | undefined;
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout });
  lines.on("line", (line) => {
    const message = JSON.parse(line) as {
      progress?: number;
      entries?: number;
      complete?: boolean;
      seconds?: number;
    };
    if (message.progress !== undefined) {
      const rate = message.progress / ((performance.now() - start) / 1000);
      progress(
        `${label}: ${message.progress.toLocaleString("en")}/${entries.toLocaleString("en")} (${Math.round(rate)}/s)`,
      );
    } else final = message as typeof final;
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  const peaks = sampler.stop();
  if (code !== 0 || !final) throw new Error(`${label} failed (exit ${code}): ${stderr}`);
  const opsPerSec = final.entries / final.seconds;
  return {
    entries: final.entries,
    seconds: final.seconds,
    opsPerSec,
    clientRssBytes: peaks.byPid.get(pid) ?? Number.NaN,
    serverRssBytes: peaks.byPid.get(server.pid) ?? Number.NaN,
    totalRssBytes: peaks.total,
    complete: final.complete,
    projectedSeconds: final.complete ? final.seconds : entries / opsPerSec,
  };
}

async function runEngine(engine: Engine, settings: Settings): Promise<ScaleEngineResult> {
  const s = settings.scale;
  const home = await openEngine(engine);
  const servers: CofferServer[] = [];
  try {
    const small = await vaultWith(home, "small", settings);
    servers.push(small.server);
    const large = await vaultWith(home, "large", settings);
    servers.push(large.server);
    const secret = generateSecret();
    const value = (i: number) => makeValue(s.valueBytes, i);
    const smallClient = await cofferClient({
      url: small.server.url,
      apiKey: small.server.apiKey,
      secret,
      store: STORE,
    });
    const largeClient = await cofferClient({
      url: large.server.url,
      apiKey: large.server.apiKey,
      secret,
      store: STORE,
    });
    await populate(smallClient, s.smallEntries, value, `${engine}: small store`);
    const before = await dbBytes(large.place);
    const populateRss = sampleRss([large.server.pid]);
    const started = performance.now();
    await populate(largeClient, s.entries, value, `${engine}: large store`, { chunk: 1000 });
    const populateSeconds = (performance.now() - started) / 1000;
    const populateServerRss = populateRss.stop().total;

    // getValue latency, one request at a time, alternating stores round by round.
    const rounds = { small: [] as LoadResult[], large: [] as LoadResult[] };
    for (let round = 0; round < s.rounds; round++) {
      const order = round % 2 === 0 ? (["small", "large"] as const) : (["large", "small"] as const);
      for (const name of order) {
        const client = name === "small" ? smallClient : largeClient;
        const n = name === "small" ? s.smallEntries : s.entries;
        rounds[name].push(
          await runLoad({
            concurrency: 1,
            warmupMs: 300,
            durationMs: s.durationMs,
            op: async () => {
              if ((await client.get(keyOf(Math.floor(Math.random() * n)))) === null) {
                throw new Error("a populated key read as null");
              }
            },
          }),
        );
      }
    }
    const figures = (rs: LoadResult[]) => ({
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      opsPerSec: median(rs.map((r) => r.opsPerSec)),
      rounds: rs,
    });
    const latency = { small: figures(rounds.small), large: figures(rounds.large) };
    progress(
      `${engine}: getValue p50 ${latency.large.p50Ms.toFixed(3)} ms on the large store, ${latency.small.p50Ms.toFixed(3)} ms on the small one`,
    );

    const bytes = [
      await bytesPerEntry(home, settings, s.valueBytes, s.entries, { ...large, before, secret }),
    ];
    for (const size of s.sizes)
      bytes.push(await bytesPerEntry(home, settings, size, s.sizeEntries));

    const keys = await wholeStore(
      large.server,
      s.entries,
      { BENCH_MODE: "keys", BENCH_SECRET: secret },
      `${engine}: keys()`,
    );
    progress(
      `${engine}: keys() listed ${keys.entries.toLocaleString("en")} in ${keys.seconds.toFixed(1)} s`,
    );
    const rotate = await wholeStore(
      large.server,
      s.entries,
      {
        BENCH_MODE: "rotate",
        BENCH_SECRET: generateSecret(),
        BENCH_PREVIOUS_SECRET: secret,
        BENCH_BUDGET_MS: String(s.rotateBudgetMs),
      },
      `${engine}: rotate()`,
    );
    progress(
      `${engine}: rotate() re-sealed ${rotate.entries.toLocaleString("en")} in ${rotate.seconds.toFixed(1)} s${rotate.complete ? "" : " (stopped at the time budget)"}`,
    );
    return {
      engine,
      entries: s.entries,
      smallEntries: s.smallEntries,
      valueBytes: s.valueBytes,
      populate: {
        seconds: populateSeconds,
        opsPerSec: s.entries / populateSeconds,
        serverRssBytes: populateServerRss,
      },
      latency: { ...latency, p50Ratio: latency.large.p50Ms / latency.small.p50Ms },
      bytes,
      keys,
      rotate,
    };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await home.close();
  }
}

export async function runScale(settings: Settings): Promise<ScaleEngineResult[]> {
  const results: ScaleEngineResult[] = [];
  for (const engine of settings.engines) results.push(await runEngine(engine, settings));
  return results;
}
