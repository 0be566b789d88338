// Group commit for SQLite. better-sqlite3 commits synchronously and, with synchronous=FULL, every
// commit waits for an fsync while the event loop stands still. Writes that arrive in the same turn
// of the event loop therefore share one IMMEDIATE transaction, and so one fsync. A job must be
// atomic on its own (one statement, or a better-sqlite3 transaction function, which nests as a
// savepoint), so a refused write (a version conflict, a deleted store) rolls back alone; every
// caller hears back only once the shared commit is durable.
import type { Database } from "better-sqlite3";

interface Job {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  failed: boolean;
  outcome: unknown;
}

export interface GroupCommit {
  /** Runs `job` in the next shared transaction; resolves after that transaction commits. */
  write<T>(job: () => T): Promise<T>;
  /** Commits whatever is queued now (before closing the database). */
  flush(): void;
}

export function createGroupCommit(db: Database, toError: (error: unknown) => unknown): GroupCommit {
  let queue: Job[] = [];
  const commit = db.transaction((jobs: Job[]) => {
    for (const job of jobs) {
      try {
        job.outcome = job.run();
      } catch (error) {
        job.failed = true;
        job.outcome = error;
      }
    }
  });

  function flush(): void {
    const jobs = queue;
    queue = [];
    if (jobs.length === 0) return;
    try {
      commit.immediate(jobs);
    } catch (error) {
      // The transaction itself failed (disk full, I/O error, lock timeout): nothing was written.
      const mapped = toError(error);
      for (const job of jobs) job.reject(mapped);
      return;
    }
    for (const job of jobs) {
      if (job.failed) job.reject(toError(job.outcome));
      else job.resolve(job.outcome);
    }
  }

  return {
    write<T>(run: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({
          run,
          resolve: resolve as (value: unknown) => void,
          reject,
          failed: false,
          outcome: undefined,
        });
        if (queue.length === 1) setImmediate(flush);
      });
    },
    flush,
  };
}
