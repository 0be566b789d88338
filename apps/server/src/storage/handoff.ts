// Turns a producer that must stay inside a callback (a PostgreSQL transaction scope) into an async
// generator. One batch is in flight at a time: the producer waits until the consumer has taken it,
// so a slow consumer never makes the producer buffer. If the consumer stops early, the producer's
// pending `push` rejects, which ends its scope (rolling the transaction back).

export class ConsumerGone extends Error {
  constructor() {
    super("The consumer stopped reading.");
    this.name = "ConsumerGone";
  }
}

export async function* handoff<T>(
  produce: (push: (batch: T[]) => Promise<void>) => Promise<void>,
): AsyncGenerator<T> {
  let pending: { batch: T[]; resume: () => void; cancel: (error: Error) => void } | undefined;
  let stopped = false;
  let outcome: { error: unknown } | "done" | undefined;
  let wake: (() => void) | undefined;
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const push = (batch: T[]) =>
    new Promise<void>((resume, cancel) => {
      if (stopped) return cancel(new ConsumerGone());
      pending = { batch, resume, cancel };
      signal();
    });

  const finished = produce(push).then(
    () => {
      outcome = "done";
      signal();
    },
    (error: unknown) => {
      outcome = { error };
      signal();
    },
  );

  try {
    for (;;) {
      if (pending !== undefined) {
        // `pending` stays set while its items are yielded, so an early stop cancels it.
        yield* pending.batch;
        pending.resume();
        pending = undefined;
      } else if (outcome === "done") {
        return;
      } else if (outcome !== undefined) {
        throw outcome.error;
      } else {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    }
  } finally {
    stopped = true;
    pending?.cancel(new ConsumerGone());
    pending = undefined;
    await finished;
  }
}
