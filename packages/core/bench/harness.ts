// A small interleaved benchmark runner. Cases are measured round-robin, batch by batch, so a
// noisy neighbour on a shared machine slows every case alike and the ratios stay meaningful.
import os from "node:os";

export interface Case {
  name: string;
  run: () => unknown | Promise<unknown>;
}

export interface Result {
  name: string;
  /** Median time per operation, in microseconds. */
  medianUs: number;
  /** Operations measured in all. */
  ops: number;
}

async function timeBatch(run: Case["run"], ops: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < ops; i++) await run();
  return ((performance.now() - start) * 1000) / ops;
}

/**
 * Measures each case in `rounds` batches, interleaved; a batch lasts about `batchMs`.
 * Returns the median per-op time of each case.
 */
export async function measure(
  cases: Case[],
  { rounds = 15, batchMs = 30 } = {},
): Promise<Result[]> {
  // Calibrate: warm up each case and size its batch to last about batchMs.
  const batchOps = new Map<Case, number>();
  for (const c of cases) {
    let ops = 1;
    let us = await timeBatch(c.run, ops);
    while (us * ops < batchMs * 1000 && ops < 1_000_000) {
      ops *= 2;
      us = await timeBatch(c.run, ops);
    }
    batchOps.set(c, ops);
  }
  const samples = new Map<Case, number[]>(cases.map((c) => [c, []]));
  for (let round = 0; round < rounds; round++) {
    for (const c of cases) samples.get(c)?.push(await timeBatch(c.run, batchOps.get(c) ?? 1));
  }
  return cases.map((c) => {
    const sorted = (samples.get(c) ?? []).sort((a, b) => a - b);
    return {
      name: c.name,
      medianUs: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
      ops: (batchOps.get(c) ?? 0) * rounds,
    };
  });
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
  return `${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}`;
}

export function formatUs(us: number): string {
  if (us >= 1000) return `${(us / 1000).toFixed(2)} ms`;
  return `${us.toFixed(us < 10 ? 2 : 1)} µs`;
}
