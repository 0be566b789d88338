// The two clients the end-to-end suite drives with the same workload: Coffer's SDK against the
// vault service, and a plain fetch loop against the baseline. Both use Node's global fetch (its
// default keep-alive agent), so connection handling is the same.
import { createVault, type DataVaultStore } from "@coffer/core";

export interface Client {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  getMany(keys: string[]): Promise<number>;
  /** Population, not measured: large batches. */
  populate(entries: Array<[string, string]>): Promise<void>;
}

export async function cofferClient(options: {
  url: string;
  apiKey: string;
  secret: string;
  previousSecrets?: string[];
  store: string;
}): Promise<Client & { store: DataVaultStore }> {
  const vault = createVault({
    url: options.url,
    apiKey: options.apiKey,
    secret: options.secret,
    ...(options.previousSecrets ? { previousSecrets: options.previousSecrets } : {}),
  });
  const store = await vault.getDataVaultStore(options.store);
  return {
    store,
    get: (key) => store.getValue(key),
    set: (key, value) => store.setValue(key, value),
    getMany: async (keys) => (await store.getValues(keys)).size,
    populate: (entries) => store.setValues(entries),
  };
}

const JSON_HEADERS = { accept: "application/json", "content-type": "application/json" };

async function call(url: string, init: RequestInit): Promise<unknown> {
  const response = await fetch(url, init);
  const body = await response.json();
  if (!response.ok && response.status !== 404) throw new Error(`baseline: HTTP ${response.status}`);
  return response.status === 404 ? null : body;
}

export function baselineClient(base: string): Client {
  return {
    async get(key) {
      const body = (await call(`${base}/kv/${encodeURIComponent(key)}`, {
        headers: { accept: "application/json" },
      })) as { value: string } | null;
      return body?.value ?? null;
    },
    async set(key, value) {
      await call(`${base}/kv/${encodeURIComponent(key)}`, {
        method: "PUT",
        headers: JSON_HEADERS,
        body: JSON.stringify({ value }),
      });
    },
    async getMany(keys) {
      const body = (await call(`${base}/kv/batch-get`, {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify({ ids: keys }),
      })) as { entries: unknown[] };
      return body.entries.length;
    },
    async populate(entries) {
      await call(`${base}/kv/batch-put`, {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify({ entries: entries.map(([id, value]) => ({ id, value })) }),
      });
    },
  };
}

/** A printable value of exactly `bytes` ASCII characters (1 KiB values in the e2e suite). */
export function makeValue(bytes: number, seed: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  let out = "";
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < bytes; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out += alphabet[(x >>> 16) & 63];
  }
  return out;
}

export const keyOf = (i: number): string => `user:${String(i).padStart(7, "0")}`;

/**
 * Writes `count` entries in chunks (several chunks in flight), reporting progress on stderr.
 */
export async function populate(
  client: Client,
  count: number,
  value: (i: number) => string,
  label: string,
  { chunk = 500, inFlight = 4, offset = 0 } = {},
): Promise<void> {
  let next = 0;
  let done = 0;
  let lastPrint = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const from = next;
      next = Math.min(count, next + chunk);
      const entries: Array<[string, string]> = [];
      for (let i = from; i < next; i++) entries.push([keyOf(offset + i), value(offset + i)]);
      await client.populate(entries);
      done += entries.length;
      const now = performance.now();
      if (now - lastPrint > 2000 || done === count) {
        lastPrint = now;
        const rate = done / ((now - started) / 1000);
        const eta = (count - done) / rate;
        progress(
          `${label}: ${done.toLocaleString("en")}/${count.toLocaleString("en")} (${Math.round(rate).toLocaleString("en")}/s, ${eta.toFixed(0)} s left)`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/** One status line on stderr (the table goes to stdout). */
export function progress(line: string): void {
  process.stderr.write(`  … ${line}\n`);
}
