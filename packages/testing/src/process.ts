// What a process is using, read from /proc (Linux): for the reliability suites and the benchmarks.
import { readFileSync } from "node:fs";

/** Resident set size (VmRSS) of a process in bytes; NaN when unknown (not Linux, or it is gone). */
export function rssBytes(pid: number): number {
  try {
    const kib = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kib === undefined ? Number.NaN : Number(kib) * 1024;
  } catch {
    return Number.NaN;
  }
}
