// `pnpm bench` at the root: every benchmark, one human report (also written to
// bench/results/latest.md) and the same figures by name in bench/results/latest.json.
//   --json           print the JSON on stdout instead of the report (progress stays on stderr)
//   --quick          smaller sizes and short rounds, for development and CI smoke (~3 min)
//   --only a,b       suites among seal, e2e, scale, cold-start
//   --engines a,b    sqlite, postgres (default both; postgres is skipped if not installed)
//   --source         run the server from source instead of apps/server/dist
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { postgresUnavailable } from "./engines.js";
import { checkBuilds, RESULTS } from "./processes.js";
import { type Machine, type Results, render, targets } from "./report.js";
import { type Engine, SUITES, type SuiteName, settingsFor } from "./settings.js";
import { runColdStart } from "./suites/cold-start.js";
import { runE2e } from "./suites/e2e.js";
import { runScale } from "./suites/scale.js";
import { runSeal } from "./suites/seal.js";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    engines: { type: "string", default: "sqlite,postgres" },
    source: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  process.stdout.write(
    "pnpm bench [--json] [--quick] [--only seal,e2e,scale,cold-start] [--engines sqlite,postgres] [--source]\n",
  );
  process.exit(0);
}

function list<T extends string>(text: string, allowed: readonly T[], what: string): T[] {
  const items = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T)) {
      process.stderr.write(`Unknown ${what} "${item}": expected one of ${allowed.join(", ")}.\n`);
      process.exit(2);
    }
  }
  return items as T[];
}

const suites = values.only ? list(values.only, SUITES, "suite") : [...SUITES];
let engines = list(values.engines, ["sqlite", "postgres"] as const, "engine") as Engine[];
const skipped: string[] = [];
const noPostgres = engines.includes("postgres") ? postgresUnavailable() : undefined;
if (noPostgres) {
  engines = engines.filter((e) => e !== "postgres");
  skipped.push(`PostgreSQL suites: ${noPostgres}.`);
}

const needsServer = suites.some((s) => s !== "seal");
const problems = needsServer ? checkBuilds(values.source) : [];
for (const problem of problems) process.stderr.write(`bench: ${problem}\n`);
if (problems.some((p) => p.includes("missing"))) process.exit(1);

function postgresVersion(): string | null {
  if (!engines.includes("postgres")) return null;
  const root = "/usr/lib/postgresql";
  const bin = existsSync(root)
    ? readdirSync(root)
        .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
        .map((v) => join(root, v, "bin", "postgres"))
        .find((p) => existsSync(p))
    : undefined;
  if (!bin) return "PostgreSQL (external, COFFER_TEST_DATABASE_URL)";
  return execFileSync(bin, ["--version"], { encoding: "utf8" }).trim();
}

const machine: Machine = {
  cpu: os.cpus()[0]?.model.trim() ?? "unknown CPU",
  cores: os.cpus().length,
  ramBytes: os.totalmem(),
  node: process.version,
  os: `${os.platform()} ${os.release()} ${os.arch()}`,
  postgres: postgresVersion(),
  loadAverageAtStart: os.loadavg(),
};

const settings = settingsFor(values.quick, values.source, engines);
const startedAt = new Date();
const started = performance.now();
const results: Omit<Results, "targets"> = {
  machine,
  startedAt: startedAt.toISOString(),
  seconds: 0,
  options: { quick: values.quick, source: values.source, suites, engines },
  skipped,
};

const run: Record<SuiteName, () => Promise<void>> = {
  seal: async () => {
    results.seal = await runSeal(settings);
  },
  e2e: async () => {
    results.e2e = await runE2e(settings);
  },
  scale: async () => {
    results.scale = await runScale(settings);
  },
  "cold-start": async () => {
    results.coldStart = await runColdStart(settings);
  },
};
for (const suite of suites) {
  process.stderr.write(`bench: ${suite}…\n`);
  const t0 = performance.now();
  await run[suite]();
  process.stderr.write(
    `bench: ${suite} done in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`,
  );
}
results.seconds = (performance.now() - started) / 1000;
const full: Results = { ...results, targets: targets(results) };
const report = render(full);
mkdirSync(RESULTS, { recursive: true });
writeFileSync(join(RESULTS, "latest.json"), `${JSON.stringify(full, null, 2)}\n`);
writeFileSync(join(RESULTS, "latest.md"), report);
if (values.json) process.stdout.write(`${JSON.stringify(full, null, 2)}\n`);
else process.stdout.write(report);
process.stderr.write(`bench: written ${join(RESULTS, "latest.json")} and latest.md\n`);
