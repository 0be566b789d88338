// Resident memory of processes, read from /proc/<pid>/status (Linux), sampled every 100 ms.
import { readFileSync } from "node:fs";
import { rssBytes } from "@coffer/testing";

export interface RssPeaks {
  /** Peak RSS of each sampled pid, in bytes. */
  byPid: Map<number, number>;
  /** Peak of the sum over the pids at one sampling instant. */
  total: number;
}

/** Samples the pids every `intervalMs` until stop(), which returns the peaks. */
export function sampleRss(pids: readonly number[], intervalMs = 100): { stop(): RssPeaks } {
  const byPid = new Map<number, number>(pids.map((pid) => [pid, 0]));
  let total = 0;
  const sample = () => {
    let sum = 0;
    for (const pid of pids) {
      const rss = rssBytes(pid);
      if (!Number.isFinite(rss)) continue;
      sum += rss;
      if (rss > (byPid.get(pid) ?? 0)) byPid.set(pid, rss);
    }
    total = Math.max(total, sum);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { byPid, total };
    },
  };
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat; NaN if unknown. */
export function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces): utime is the 14th, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}
const CLOCK_TICKS = 100; // USER_HZ on Linux
