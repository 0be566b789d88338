// `fetch` wrappers handed to createVault({ fetch }): they record every request the SDK makes and
// can delay, fail or forward it to the global fetch.

export interface FetchCall {
  method: string;
  /** Path and query, e.g. `/v1/stores/main/entries/batch-get`. */
  path: string;
  /** The JSON body as sent, if any. */
  body: string | undefined;
}

export type Handler = (call: FetchCall, next: () => Promise<Response>) => Promise<Response>;

export interface TappedFetch {
  fetch: typeof fetch;
  calls: FetchCall[];
  /** Calls whose path ends with `suffix` (and of `method`, if given). */
  count(suffix: string, method?: string): number;
}

/** A fetch that records each call, then hands it to `handler` (default: the global fetch). */
export function tapFetch(handler?: Handler): TappedFetch {
  const calls: FetchCall[] = [];
  const wrapped: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const call: FetchCall = {
      method: init?.method ?? "GET",
      path: url.pathname + url.search,
      body: typeof init?.body === "string" ? init.body : undefined,
    };
    calls.push(call);
    const next = () => fetch(input, init);
    return handler ? handler(call, next) : next();
  };
  return {
    fetch: wrapped,
    calls,
    count: (suffix, method) =>
      calls.filter((c) => c.path.endsWith(suffix) && (method === undefined || c.method === method))
        .length,
  };
}

/** What undici throws when the connection fails: the SDK must see it as a network error. */
export function networkError(): TypeError {
  return new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED (simulated)") });
}

/** A promise with its resolver, to hold a request until the test lets it through. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

export interface HeldFetch {
  fetch: typeof fetch;
  /** Settles when the first matching call has been made (and is being held). */
  sent: Promise<void>;
  /** Lets the held calls through. */
  release: () => void;
}

/** A fetch that holds every call `matches` picks until `release()`; the others go straight on. */
export function holdFetch(matches: (call: FetchCall) => boolean): HeldFetch {
  const sent = gate();
  const released = gate();
  const { fetch } = tapFetch(async (call, next) => {
    if (!matches(call)) return next();
    sent.open();
    await released.promise;
    return next();
  });
  return { fetch, sent: sent.promise, release: released.open };
}
