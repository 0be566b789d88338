// Sealing per operation: runs packages/core's own benchmark (bench/seal.bench.ts, interleaved
// batches) with --json in a child process and keeps its figures.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Row as SealRow } from "../../../packages/core/bench/seal.bench.js";
import { REPO } from "../processes.js";
import type { Settings } from "../settings.js";

export interface SealResult {
  rows: SealRow[];
  firstSeal: Record<"generated" | "passphrase", { coldMs: number; warmMs: number }>;
  targets: Array<{ name: string; ok: boolean; figure: string }>;
}

export async function runSeal(settings: Settings): Promise<SealResult> {
  const core = join(REPO, "packages/core");
  const args = ["--conditions=dev-source", "--import", "tsx", "bench/seal.bench.ts", "--json"];
  if (settings.quick) args.push("--quick");
  const { stdout } = await promisify(execFile)(process.execPath, args, {
    cwd: core,
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as SealResult;
}
