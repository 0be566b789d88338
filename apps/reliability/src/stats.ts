// Latency percentiles (nearest rank) and the resident memory of a process, for the figures the
// suites report.
import { rssBytes } from "@coffer/testing";

export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of millisecond samples, rounded to 0.01 ms. */
export function percentiles(samples: ArrayLike<number>): Percentiles {
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number) =>
    sorted.length === 0
      ? 0
      : (sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0);
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    count: sorted.length,
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    max: round(sorted.length === 0 ? 0 : (sorted[sorted.length - 1] ?? 0)),
  };
}

/** Resident set size of a process in MiB (one decimal); undefined once it is gone. */
function rssMiB(pid: number): number | undefined {
  const bytes = rssBytes(pid);
  return Number.isNaN(bytes) ? undefined : Math.round((bytes / 2 ** 20) * 10) / 10;
}

export interface RssSampler {
  samples: Array<{ atMs: number; mib: number }>;
  /** Stops sampling; returns the first, last and highest samples. */
  stop(): { startMiB: number; endMiB: number; peakMiB: number };
}

/** Samples a process's RSS every `everyMs` until stopped. */
export function sampleRss(pid: number, everyMs = 1000): RssSampler {
  const t0 = performance.now();
  const samples: RssSampler["samples"] = [];
  const take = () => {
    const mib = rssMiB(pid);
    if (mib !== undefined) samples.push({ atMs: Math.round(performance.now() - t0), mib });
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    samples,
    stop() {
      clearInterval(timer);
      take();
      const values = samples.map((s) => s.mib);
      return {
        startMiB: values[0] ?? 0,
        endMiB: values[values.length - 1] ?? 0,
        peakMiB: Math.max(0, ...values),
      };
    },
  };
}
