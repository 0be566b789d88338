// The human report (plain-text tables, also valid Markdown) and the targets with PASS/MISS.

import { fmtBytes, fmtMs, fmtPct, fmtRate, fmtRatio, fmtUs } from "./stats.js";
import type { ColdStartResult } from "./suites/cold-start.js";
import type { E2eResult } from "./suites/e2e.js";
import type { ScaleEngineResult } from "./suites/scale.js";
import type { SealResult } from "./suites/seal.js";

export interface Machine {
  cpu: string;
  cores: number;
  ramBytes: number;
  node: string;
  os: string;
  postgres: string | null;
  loadAverageAtStart: number[];
}

export interface Results {
  machine: Machine;
  startedAt: string;
  seconds: number;
  options: { quick: boolean; source: boolean; suites: string[]; engines: string[] };
  skipped: string[];
  seal?: SealResult;
  e2e?: E2eResult;
  scale?: ScaleEngineResult[];
  coldStart?: ColdStartResult;
  targets: Target[];
}

export interface Target {
  name: string;
  pass: boolean;
  measured: string;
}

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function targets(r: Omit<Results, "targets">): Target[] {
  const out: Target[] = [];
  for (const t of r.seal?.targets ?? []) {
    out.push({
      name: `sealing: ${t.name.replaceAll("x ", "× ")}`,
      pass: t.ok,
      measured: t.figure.replace(/(\d)x\b/g, "$1×"),
    });
  }
  const cell = (op: string, c: number) =>
    r.e2e?.cells.find((x) => x.engine === "sqlite" && x.op === op && x.concurrency === c);
  const ratio = (op: string, c: number, min: number) => {
    const x = cell(op, c);
    if (!x) return;
    out.push({
      name: `${op} throughput at c${c} on SQLite ≥ ${min * 100}% of baseline`,
      pass: x.throughputRatio >= min,
      measured: `${fmtPct(x.throughputRatio)} (${fmtRate(x.coffer.opsPerSec)}/s vs ${fmtRate(x.baseline.opsPerSec)}/s)`,
    });
  };
  ratio("getValue", 64, 0.5);
  ratio("setValue", 64, 0.4);
  for (const op of ["getValue", "setValue"]) {
    const x = cell(op, 16);
    if (x) {
      out.push({
        name: `${op} p99 at c16 on SQLite under 10 ms`,
        pass: x.coffer.p99Ms < 10,
        measured: `${fmtMs(x.coffer.p99Ms)} (baseline ${fmtMs(x.baseline.p99Ms)})`,
      });
    }
  }
  for (const s of r.scale ?? []) {
    out.push({
      name: `${s.engine}: getValue p50 on ${s.entries.toLocaleString("en")} entries within 1.5× of ${s.smallEntries.toLocaleString("en")}`,
      pass: s.latency.p50Ratio <= 1.5,
      measured: `${fmtRatio(s.latency.p50Ratio)} (${fmtMs(s.latency.large.p50Ms)} vs ${fmtMs(s.latency.small.p50Ms)})`,
    });
    const worst = Math.max(...s.bytes.map((b) => b.beyondPadded));
    out.push({
      name: `${s.engine}: storage per entry ≤ 160 B beyond the padded value`,
      pass: worst <= 160,
      measured: s.bytes.map((b) => `${b.valueBytes} B: ${Math.round(b.beyondPadded)} B`).join(", "),
    });
  }
  if (r.coldStart) {
    const ms = r.coldStart.beyondNodeMs.generated;
    out.push({
      name: "cold start with a generated secret < 100 ms beyond plain Node",
      pass: ms < 100,
      measured: `${fmtMs(ms)} (node alone ${fmtMs(r.coldStart.wallMs.node)}; a bare fetch alone +${fmtMs(r.coldStart.beyondNodeMs.fetch)}, so Coffer's own share +${fmtMs(r.coldStart.wallMs.generated - r.coldStart.wallMs.fetch)})`,
    });
  }
  return out;
}

function sealSection(seal: SealResult): string {
  const rows = seal.rows.map((x) => [
    x.size,
    x.op,
    fmtUs(x.cofferUs),
    fmtUs(x.nobleUs),
    fmtUs(x.nativeUs),
    fmtUs(x.stackAuthUs),
    fmtRatio(x.vsNative),
    `${Math.round(x.vsStackAuth).toLocaleString("en")}×`,
  ]);
  const { generated, passphrase } = seal.firstSeal;
  return [
    "## Sealing (per operation, packages/core/bench/seal.bench.ts)",
    "",
    "Medians of interleaved batches. noble = @noble/ciphers XChaCha20-Poly1305 alone on the padded payload;",
    "native = node:crypto ChaCha20-Poly1305 on the bare value; stack auth = the PBKDF2 ×2 + AES-GCM scheme.",
    "",
    table(
      [
        "size",
        "op",
        "coffer",
        "noble aead",
        "native",
        "stack auth",
        "coffer/native",
        "stack/coffer",
      ],
      rows,
    ),
    "",
    `First seal of a new sealer (fresh process, cold JIT / warm): generated secret ${fmtMs(generated.coldMs)} / ${fmtMs(generated.warmMs)}; passphrase ${fmtMs(passphrase.coldMs)} / ${fmtMs(passphrase.warmMs)}.`,
  ].join("\n");
}

function e2eSection(e2e: E2eResult): string {
  const s = e2e.settings;
  const parts = [
    "## End to end over loopback (SDK → vault service → storage) against the baseline",
    "",
    `${fmtBytes(s.valueBytes)} values, ${s.keyspace.toLocaleString("en")} keys, getValues in batches of ${s.batch}. Closed loop at concurrency c;`,
    `${s.rounds} alternating rounds of ${s.durationMs / 1000} s (after ${s.warmupMs / 1000} s warm-up) per side; medians of rounds. Ratio = coffer/baseline.`,
    "Baseline: the same Fastify and database, plaintext get/put, no auth, no crypto, driven by plain fetch; on SQLite it",
    "groups concurrent writes into one transaction as the server does (else it would pay one fsync per write).",
    "Server: COFFER_LOG_LEVEL=warn (request logging would dominate), rate limiter on at 10^9/min (paid, never refusing).",
    "getValues counts batches per second. RSS: peak of the server process during a round. CPU/op: user+system time of the",
    "server process (/proc) and of the client (the harness: SDK or plain fetch) per operation; client and server share the cores.",
  ];
  for (const engine of Object.keys(e2e.idleRss)) {
    const idle = e2e.idleRss[engine];
    parts.push(
      "",
      `### ${engine === "sqlite" ? "SQLite" : "PostgreSQL"} (idle server RSS after population: coffer ${fmtBytes(idle?.coffer ?? Number.NaN)}, baseline ${fmtBytes(idle?.baseline ?? Number.NaN)})`,
      "",
      table(
        [
          "op",
          "c",
          "coffer ops/s",
          "baseline ops/s",
          "ratio",
          "p50 coffer",
          "p50 base",
          "p99 coffer",
          "p99 base",
          "RSS coffer",
          "RSS base",
          "server CPU/op",
          "base",
          "client CPU/op",
          "base",
        ],
        e2e.cells
          .filter((c) => c.engine === engine)
          .map((c) => [
            c.op,
            String(c.concurrency),
            fmtRate(c.coffer.opsPerSec),
            fmtRate(c.baseline.opsPerSec),
            fmtPct(c.throughputRatio),
            fmtMs(c.coffer.p50Ms),
            fmtMs(c.baseline.p50Ms),
            fmtMs(c.coffer.p99Ms),
            fmtMs(c.baseline.p99Ms),
            fmtBytes(c.coffer.serverRssBytes),
            fmtBytes(c.baseline.serverRssBytes),
            fmtUs(c.coffer.serverCpuUsPerOp),
            fmtUs(c.baseline.serverCpuUsPerOp),
            fmtUs(c.coffer.clientCpuUsPerOp),
            fmtUs(c.baseline.clientCpuUsPerOp),
          ]),
      ),
    );
    const errors = e2e.cells.filter(
      (c) => c.engine === engine && c.coffer.errors + c.baseline.errors > 0,
    );
    for (const c of errors) {
      parts.push(
        `  errors in ${c.op} c${c.concurrency}: coffer ${c.coffer.errors}, baseline ${c.baseline.errors}`,
      );
    }
  }
  return parts.join("\n");
}

function scaleSection(scale: ScaleEngineResult[]): string {
  const parts = ["## Scale", ""];
  const first = scale[0];
  if (first) {
    parts.push(
      `Large store: ${first.entries.toLocaleString("en")} entries of ${first.valueBytes} B, written through the SDK's setValues; small store: ${first.smallEntries.toLocaleString("en")} entries in a vault of its own.`,
      "getValue at c1 in alternating rounds. keys() and rotate() (new secret, the old one in previousSecrets, default concurrency)",
      "over the whole large store, each in a client process of its own; RSS = peak (sampled every 100 ms) of that client and of the server.",
      "",
    );
  }
  parts.push(
    table(
      [
        "engine",
        "populate",
        "getValue p50 small",
        "p50 large",
        "large/small",
        "p99 small",
        "p99 large",
      ],
      scale.map((s) => [
        s.engine,
        `${fmtRate(s.populate.opsPerSec)}/s (${fmtMs(s.populate.seconds * 1000)})`,
        fmtMs(s.latency.small.p50Ms),
        fmtMs(s.latency.large.p50Ms),
        fmtRatio(s.latency.p50Ratio),
        fmtMs(s.latency.small.p99Ms),
        fmtMs(s.latency.large.p99Ms),
      ]),
    ),
    "",
    "Bytes per entry (growth of the entries table and its indexes, divided by entries) against the sealed envelope",
    "(81 B + padded payload) and the padded payload (key + value after padding); 'whole db' includes audit events.",
    "",
    table(
      [
        "engine",
        "value",
        "entries",
        "envelope",
        "padded",
        "db/entry",
        "beyond envelope",
        "beyond padded",
        "whole db/entry",
      ],
      scale.flatMap((s) =>
        s.bytes.map((b) => [
          s.engine,
          `${b.valueBytes} B`,
          b.entries.toLocaleString("en"),
          `${b.envelopeBytes} B`,
          `${b.paddedBytes} B`,
          `${Math.round(b.dbBytesPerEntry)} B`,
          `${Math.round(b.beyondEnvelope)} B`,
          `${Math.round(b.beyondPadded)} B`,
          `${Math.round(b.dbTotalBytesPerEntry)} B`,
        ]),
      ),
    ),
    "",
    ...scale.map((s) => {
      const b = s.bytes[0];
      const objects = Object.entries(b?.perObject ?? {})
        .map(([name, n]) => `${name} ${Math.round(n)} B`)
        .join(", ");
      return `Per entry by object, ${s.engine}, ${b?.entries.toLocaleString("en")} entries: ${objects}.`;
    }),
    "",
    table(
      [
        "engine",
        "whole store",
        "entries",
        "time",
        "ops/s",
        "peak client RSS",
        "peak server RSS",
        "note",
      ],
      scale.flatMap((s) =>
        (["keys", "rotate"] as const).map((what) => {
          const run = s[what];
          return [
            s.engine,
            `${what}()`,
            run.entries.toLocaleString("en"),
            fmtMs(run.seconds * 1000),
            fmtRate(run.opsPerSec),
            fmtBytes(run.clientRssBytes),
            fmtBytes(run.serverRssBytes),
            run.complete
              ? ""
              : `stopped at the budget; whole store ≈ ${fmtMs(run.projectedSeconds * 1000)}`,
          ];
        }),
      ),
    ),
  );
  return parts.join("\n");
}

function coldStartSection(c: ColdStartResult): string {
  return [
    "## Cold start (spawn → first completed getValue → exit; medians of " +
      `${c.runs} runs, interleaved)`,
    "",
    table(
      ["secret", "wall", "beyond `node -e`", "in-process (performance.now())"],
      [
        ['(plain node -e "")', fmtMs(c.wallMs.node), "", ""],
        [
          "(node, one bare fetch: the floor of any fetch client)",
          fmtMs(c.wallMs.fetch),
          fmtMs(c.beyondNodeMs.fetch),
          "",
        ],
        [
          "generated",
          fmtMs(c.wallMs.generated),
          fmtMs(c.beyondNodeMs.generated),
          fmtMs(c.inProcessMs.generated),
        ],
        [
          "passphrase",
          fmtMs(c.wallMs.passphrase),
          fmtMs(c.beyondNodeMs.passphrase),
          fmtMs(c.inProcessMs.passphrase),
        ],
      ],
    ),
  ].join("\n");
}

export function render(r: Results): string {
  const m = r.machine;
  const parts = [
    `# Coffer benchmarks${r.options.quick ? " (--quick: smaller sizes, short rounds; not for the record)" : ""}`,
    "",
    `Machine: ${m.cpu}, ${m.cores} cores, ${fmtBytes(m.ramBytes)} RAM, Node ${m.node}, ${m.os}${m.postgres ? `, ${m.postgres}` : ""}; load average at start ${m.loadAverageAtStart.map((x) => x.toFixed(2)).join(" ")}.`,
    `Run ${r.startedAt}, ${Math.round(r.seconds)} s; server from ${r.options.source ? "source (tsx)" : "apps/server/dist"}.`,
  ];
  for (const s of r.skipped) parts.push(`Skipped: ${s}`);
  if (r.seal) parts.push("", sealSection(r.seal));
  if (r.e2e) parts.push("", e2eSection(r.e2e));
  if (r.scale?.length) parts.push("", scaleSection(r.scale));
  if (r.coldStart) parts.push("", coldStartSection(r.coldStart));
  parts.push(
    "",
    "## Targets",
    "",
    table(
      ["", "target", "measured"],
      r.targets.map((t) => [t.pass ? "PASS" : "MISS", t.name, t.measured]),
    ),
  );
  return `${parts.join("\n")}\n`;
}
