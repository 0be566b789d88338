// Figures a suite measured (latencies, RSS, counts), printed and collected in results/latest.json so
// that RELIABILITY.md can quote the full run.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { FULL } from "./size.js";

const RESULTS = fileURLToPath(new URL("../results/", import.meta.url));

export function report(suite: string, figures: Record<string, unknown>): void {
  console.log(`[reliability] ${suite}: ${JSON.stringify(figures)}`);
  const file = `${RESULTS}${FULL ? "full" : "reduced"}.json`;
  mkdirSync(RESULTS, { recursive: true });
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    // first figure of this run
  }
  all[suite] = { ...figures, at: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
}
