// Fixed-window rate-limit counters. Storage does not know a bucket's window length, so a window is
// forgotten once the same bucket moves on to a newer one, and buckets that go quiet are swept when
// their window started more than a day before the newest one seen (windows are assumed ≤ 1 day).

export const STALE_WINDOW_MS = 24 * 60 * 60 * 1000;
/** How often (in window-start time) to sweep quiet buckets. */
export const SWEEP_EVERY_MS = 60 * 1000;

/** In-process counters, for SQLite (where the service is one process). */
export class MemoryRateLimiter {
  private readonly windows = new Map<string, { windowStart: number; count: number }>();
  private lastSweep = Number.NEGATIVE_INFINITY;

  hit(bucket: string, windowStart: number): number {
    this.sweep(windowStart);
    const current = this.windows.get(bucket);
    if (current === undefined || windowStart > current.windowStart) {
      this.windows.set(bucket, { windowStart, count: 1 });
      return 1;
    }
    // Same window; a late hit for an older window counts against the newer one (never lets more through).
    current.count += 1;
    return current.count;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    for (const [bucket, window] of this.windows) {
      if (window.windowStart < now - STALE_WINDOW_MS) this.windows.delete(bucket);
    }
  }
}
