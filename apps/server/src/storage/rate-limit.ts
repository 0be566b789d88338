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

/** Adds `add` hits to a bucket's window in the shared database; returns the window's new total. */
export type AddHits = (bucket: string, windowStart: number, add: number) => Promise<number>;

interface SharedWindow {
  windowStart: number;
  /** The database's total as last read (our sent hits included). */
  shared: number;
  /** Sent, not yet confirmed. */
  inflight: number;
  /** Counted here, not yet sent. */
  pending: number;
  lastSync: number;
}

/**
 * Counters shared by several processes through the database, without a database write per request:
 * hits are counted in memory and sent as one increment per busy bucket at most every `syncMs`,
 * which also brings back what the other processes counted. A hit's count is the last shared total
 * plus the hits not yet in it, so together N processes may overshoot a limit by what they accept
 * within one sync interval.
 */
export class SharedRateLimiter {
  private readonly windows = new Map<string, SharedWindow>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly addHits: AddHits,
    private readonly syncMs = 250,
  ) {
    // Quiet buckets still get their last hits sent.
    this.timer = setInterval(() => {
      for (const bucket of this.windows.keys()) this.sync(bucket);
    }, syncMs);
    this.timer.unref();
  }

  hit(bucket: string, windowStart: number, now = Date.now()): number {
    let window = this.windows.get(bucket);
    if (window === undefined || windowStart > window.windowStart) {
      window = {
        windowStart,
        shared: 0,
        inflight: 0,
        pending: 0,
        lastSync: Number.NEGATIVE_INFINITY,
      };
      this.windows.set(bucket, window);
    }
    window.pending += 1;
    if (now - window.lastSync >= this.syncMs) this.sync(bucket, now);
    return window.shared + window.inflight + window.pending;
  }

  /** Sends what is pending and stops the timer. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.windows.keys()].map((bucket) => this.sync(bucket)));
  }

  private sync(bucket: string, now = Date.now()): Promise<void> | undefined {
    const window = this.windows.get(bucket);
    if (window === undefined || window.inflight > 0) return undefined;
    if (window.pending === 0) {
      // Forget buckets quiet for longer than any window (they would start afresh anyway).
      if (now - window.lastSync > STALE_WINDOW_MS) this.windows.delete(bucket);
      return undefined;
    }
    const add = window.pending;
    window.pending = 0;
    window.inflight = add;
    window.lastSync = now;
    return this.addHits(bucket, window.windowStart, add).then(
      (total) => {
        window.inflight = 0;
        window.shared = Math.max(window.shared + add, total);
      },
      () => {
        // The database is away: keep the hits and send them with the next sync.
        window.inflight = 0;
        window.pending += add;
      },
    );
  }
}
