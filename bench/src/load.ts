// A closed-loop load driver: `concurrency` workers each issue one operation, wait for it, and
// issue the next, for a warm-up period (discarded) and then a measured window.
import { percentileSorted } from "./stats.js";

export interface LoadOptions {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** One operation; `worker` and `seq` let it pick keys without shared state. */
  op: (worker: number, seq: number) => Promise<unknown>;
}

export interface LoadResult {
  /** Operations completed inside the measured window. */
  ops: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  errors: number;
  firstError?: string;
}

/**
 * Throughput counts completions inside the window (whenever the operation started), which is
 * unbiased in steady state; latencies are those of the operations completed in the window.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { concurrency, warmupMs, durationMs, op } = options;
  const start = performance.now();
  const windowStart = start + warmupMs;
  const windowEnd = windowStart + durationMs;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const worker = async (w: number) => {
    for (let seq = 0; ; seq++) {
      const t0 = performance.now();
      if (t0 >= windowEnd) return;
      try {
        await op(w, seq);
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        continue;
      }
      const t1 = performance.now();
      if (t1 >= windowStart && t1 <= windowEnd) latencies.push(t1 - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  latencies.sort((a, b) => a - b);
  const total = latencies.reduce((sum, x) => sum + x, 0);
  return {
    ops: latencies.length,
    opsPerSec: latencies.length / (durationMs / 1000),
    p50Ms: percentileSorted(latencies, 50),
    p99Ms: percentileSorted(latencies, 99),
    meanMs: latencies.length ? total / latencies.length : Number.NaN,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
  };
}
