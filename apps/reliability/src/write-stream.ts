// A client streaming writes at a server, as raw HTTP so that every answer is seen: new entries,
// overwrites, deletes and batch-puts of new entries, several in flight, each recorded in a Ledger
// before it is sent and acknowledged when the server answers success.
import { call, sleep } from "./http.js";
import type { Ledger } from "./ledger.js";

export interface StreamCounts {
  /** Operations the server acknowledged (a batch-put counts once). */
  acknowledged: number;
  /** Entries written or deleted by acknowledged operations. */
  acknowledgedEntries: number;
  /** HTTP answers other than success, by status and code (e.g. "503 SERVICE_UNAVAILABLE"). */
  httpErrors: Record<string, number>;
  /** Requests that got no answer, by failure (ECONNREFUSED, UND_ERR_SOCKET, TIMEOUT…). */
  networkErrors: Record<string, number>;
  /** The longest time any request took, answered or not. */
  maxMs: number;
}

export interface WriteStream {
  counts: StreamCounts;
  /** Every answer, for suites that examine timings around an event. */
  answers: Array<{
    started: number;
    ended: number;
    ms: number;
    status: number;
    code: string | undefined;
  }>;
  /** Resolves once `n` more operations were acknowledged (or the stream stopped). */
  acknowledgedAtLeast(n: number): Promise<void>;
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<StreamCounts>;
}

let streamId = 0;

export function streamWrites(options: {
  url: string;
  apiKey: string;
  ledger: Ledger;
  concurrency?: number;
  /** Pause after a request that got no answer (the server is down): no busy loop. */
  pauseAfterFailureMs?: number;
  timeoutMs?: number;
  /** Called after each acknowledged single write (cross-server read checks). */
  onAcknowledged?: (key: string, value: string) => Promise<void> | void;
}): WriteStream {
  const { url, apiKey, ledger } = options;
  const store = ledger.store;
  const id = streamId++;
  const counts: StreamCounts = {
    acknowledged: 0,
    acknowledgedEntries: 0,
    httpErrors: {},
    networkErrors: {},
    maxMs: 0,
  };
  const answers: WriteStream["answers"] = [];
  const waiters: Array<{ target: number; resolve: () => void }> = [];
  let running = true;

  const settle = (answer: Awaited<ReturnType<typeof call>>): boolean => {
    counts.maxMs = Math.max(counts.maxMs, answer.ms);
    answers.push({
      started: answer.started,
      ended: answer.ended,
      ms: answer.ms,
      status: answer.status,
      code: answer.code,
    });
    if (answer.status === 200) {
      counts.acknowledged++;
      for (const waiter of waiters.filter((w) => counts.acknowledged >= w.target)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      return true;
    }
    const bucket = answer.status === 0 ? counts.networkErrors : counts.httpErrors;
    const name = answer.status === 0 ? String(answer.code) : `${answer.status} ${answer.code}`;
    bucket[name] = (bucket[name] ?? 0) + 1;
    return false;
  };

  const worker = async (w: number) => {
    // Keys this worker created whose last operation was acknowledged: safe to overwrite or delete.
    const settled: string[] = [];
    let n = 0;
    const fresh = () => `s${id}-w${w}-k${n++}`;
    const value = () =>
      `v-${Math.random().toString(36).slice(2)}-${"x".repeat(Math.random() * 300)}`;
    /** Writes `key` (new or overwritten) with a fresh value; true once acknowledged. */
    const put = async (key: string): Promise<boolean> => {
      const v = value();
      const { blindedId, body } = await ledger.sealWrite(key, v);
      const acknowledged = settle(
        await call(
          url,
          apiKey,
          "PUT",
          `/v1/stores/${store}/entries/${blindedId}`,
          body,
          options.timeoutMs,
        ),
      );
      if (acknowledged) {
        ledger.ack(key, v);
        counts.acknowledgedEntries++;
        settled.push(key);
        await options.onAcknowledged?.(key, v);
      }
      return acknowledged;
    };
    while (running) {
      const roll = Math.random();
      let ok: boolean;
      if (roll < 0.12 && settled.length > 0) {
        // Overwrite an existing entry.
        const key = settled.splice(Math.floor(Math.random() * settled.length), 1)[0] as string;
        ok = await put(key);
      } else if (roll < 0.22 && settled.length > 0) {
        // Delete one.
        const key = settled.splice(Math.floor(Math.random() * settled.length), 1)[0] as string;
        const blindedId = await ledger.beginDelete(key);
        ok = settle(
          await call(
            url,
            apiKey,
            "DELETE",
            `/v1/stores/${store}/entries/${blindedId}`,
            undefined,
            options.timeoutMs,
          ),
        );
        if (ok) {
          ledger.ack(key, null);
          counts.acknowledgedEntries++;
        }
      } else if (roll < 0.32) {
        // A batch-put of 10 new entries: all or nothing.
        const keys = Array.from({ length: 10 }, fresh);
        const values = keys.map(value);
        const sealed = await Promise.all(
          keys.map((key, i) => ledger.sealWrite(key, values[i] as string)),
        );
        const batch = ledger.batchSent(keys, values);
        ok = settle(
          await call(
            url,
            apiKey,
            "POST",
            `/v1/stores/${store}/entries/batch-put`,
            { entries: sealed.map((s) => ({ blindedId: s.blindedId, ...s.body })) },
            options.timeoutMs,
          ),
        );
        if (ok) {
          ledger.batchAcked(batch);
          counts.acknowledgedEntries += keys.length;
          settled.push(...keys);
        }
      } else {
        // A new entry.
        ok = await put(fresh());
      }
      if (!ok) await sleep(options.pauseAfterFailureMs ?? 20);
    }
  };

  const workers = Array.from({ length: options.concurrency ?? 8 }, (_, w) => worker(w));
  return {
    counts,
    answers,
    acknowledgedAtLeast(n) {
      const target = counts.acknowledged + n;
      if (!running) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ target, resolve }));
    },
    async stop() {
      running = false;
      for (const waiter of waiters.splice(0)) waiter.resolve();
      await Promise.all(workers);
      return counts;
    },
  };
}
