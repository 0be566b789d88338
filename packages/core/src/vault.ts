// The SDK: a vault (one per process) hands out stores; a store seals on this side and talks to
// the vault service through the transport. The service sees blinded ids and envelopes only.
import { CofferError } from "./errors.js";
import { assertStoreId, fromBase64Url, invalidArgument, toBase64Url } from "./internal/bytes.js";
import {
  createSealer,
  type OpenedEntry,
  type Padding,
  type SealedEntry,
  type Sealer,
} from "./sealer.js";
import { Transport, type TransportOptions } from "./transport.js";

export interface VaultOptions extends TransportOptions {
  /** The application's secret (from `generateSecret()`): values are sealed under it. */
  secret: string;
  /** Older secrets: their entries still read, and are re-sealed under `secret` as they are read. */
  previousSecrets?: readonly string[] | undefined;
  /** Size privacy of envelopes: `"buckets"` (default) or `"none"`. */
  padding?: Padding | undefined;
}

/** Per-call options of a store. */
export interface ValueOptions {
  /**
   * Use this secret instead of the vault's for this call (no previous secrets). It replaces them
   * entirely: a store that holds entries, none under this secret, answers WRONG_SECRET.
   */
  secret?: string | undefined;
}

export interface RotateProgress {
  /** Entries re-sealed under the current secret so far. */
  rotated: number;
  /** Entries that were under a previous secret when the rotation started. */
  total: number;
}

/** What the vault service says of a store; it cannot see keys or values. */
export interface StoreInfo {
  id: string;
  name: string;
  createdAt: string;
  entryCount: number;
  bytes: number;
  lastWriteAt: string | null;
  /** How many entries each secret (by key id) sealed. */
  keyIds: Array<{ keyId: string; count: number }>;
}

/** An entry as the vault keeps it: a blinded id and an envelope only the secret opens. */
export interface SealedEntryRecord {
  blindedId: string;
  keyId: string;
  envelope: Uint8Array;
  version: number;
}

/** The vault's sealed side, which needs an API key but no secret (exports, audits of key ids). */
export interface VaultClient {
  storeInfo(storeId: string): Promise<StoreInfo>;
  /** Every entry of the store, still sealed, a page at a time. */
  sealedEntries(storeId: string): AsyncIterableIterator<SealedEntryRecord>;
}

export interface Vault {
  /** The store with this id; throws STORE_NOT_FOUND if the vault has none (create it once, from the dashboard or CLI). */
  getDataVaultStore(storeId: string): Promise<DataVaultStore>;
}

export interface DataVaultStore {
  readonly id: string;
  /** Entry count, bytes, and how many entries each secret (key id) sealed. */
  info(): Promise<StoreInfo>;
  /** The value of a key, or null if there is none. Throws WRONG_SECRET if the store's entries are all under other secrets. */
  getValue(key: string, options?: ValueOptions): Promise<string | null>;
  /** Like getValue, for values stored as bytes (text values come back as their UTF-8 bytes). */
  getBytes(key: string, options?: ValueOptions): Promise<Uint8Array | null>;
  /** Seals and stores a value (a string, or a Uint8Array for binary data). */
  setValue(key: string, value: string | Uint8Array, options?: ValueOptions): Promise<void>;
  /** Deletes a key; true if there was a value. Throws WRONG_SECRET (not false) if the store's entries are all under other secrets. */
  deleteValue(key: string, options?: ValueOptions): Promise<boolean>;
  hasValue(key: string, options?: ValueOptions): Promise<boolean>;
  /** Many values in one round trip (per 100 keys): a Map from each key to its value or null. */
  getValues(keys: Iterable<string>, options?: ValueOptions): Promise<Map<string, string | null>>;
  /** Many values in one round trip (per 100 entries), all or nothing. */
  setValues(
    entries: Iterable<readonly [string, string | Uint8Array]> | Record<string, string | Uint8Array>,
    options?: ValueOptions,
  ): Promise<void>;
  /** Every logical key of the store, decrypted here (the server cannot list them). */
  keys(): AsyncIterableIterator<string>;
  /** Re-seals every entry still under a previous secret; safe to interrupt and run again. */
  rotate(options?: {
    onProgress?: (progress: RotateProgress) => void;
    concurrency?: number;
  }): Promise<RotateProgress>;
}

interface WireEntry {
  blindedId: string;
  keyId: string;
  envelope: string;
  version: number;
}

const BATCH = 100;
const SEALER_CACHE_LIMIT = 64;
// Lazy moves in flight at once per vault: a getValues over thousands of stale entries queues its
// moves instead of sending them all at once (which starved every other request of the process).
const LAZY_MOVES = 16;

/**
 * A client of the vault's sealed side: store info and sealed entries, with no secret involved.
 *
 * @example
 * ```ts
 * const client = createVaultClient({ url: process.env.COFFER_URL!, apiKey: process.env.COFFER_API_KEY! });
 * for await (const entry of client.sealedEntries("oauth-tokens")) backup.write(entry);
 * ```
 */
export function createVaultClient(options: TransportOptions): VaultClient {
  return new SealedClient(new Transport(options));
}

class SealedClient implements VaultClient {
  readonly #transport: Transport;
  constructor(transport: Transport) {
    this.#transport = transport;
  }

  async storeInfo(storeId: string): Promise<StoreInfo> {
    assertStoreId(storeId);
    return this.#transport.request<StoreInfo>("GET", `/v1/stores/${storeId}`, { idempotent: true });
  }

  async *sealedEntries(storeId: string): AsyncIterableIterator<SealedEntryRecord> {
    for await (const entry of this.wireEntries(storeId)) {
      yield {
        blindedId: entry.blindedId,
        keyId: entry.keyId,
        envelope: fromBase64Url(entry.envelope) ?? new Uint8Array(),
        version: entry.version,
      };
    }
  }

  async *wireEntries(storeId: string): AsyncIterableIterator<WireEntry> {
    assertStoreId(storeId);
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=${BATCH}&cursor=${cursor}` : `?limit=${BATCH}`;
      const page: { entries: WireEntry[]; nextCursor: string | null } =
        await this.#transport.request("GET", `/v1/stores/${storeId}/entries${query}`, {
          idempotent: true,
        });
      yield* page.entries;
      cursor = page.nextCursor;
    } while (cursor);
  }
}

/**
 * Creates the vault client. Validates everything (URL, API key, secrets) before any request:
 * a missing or weak secret throws here.
 *
 * @example
 * ```ts
 * import { createVault } from "@coffer/core";
 * const vault = createVault({ url: process.env.COFFER_URL!, apiKey: process.env.COFFER_API_KEY!, secret: process.env.COFFER_SECRET! });
 * const store = await vault.getDataVaultStore("oauth-tokens");
 * await store.setValue(`gh:${user.id}`, refreshToken);
 * const token = await store.getValue(`gh:${user.id}`); // string | null
 * ```
 */
export function createVault(options: VaultOptions): Vault {
  if (typeof options !== "object" || options === null) {
    throw invalidArgument(
      "createVault takes an options object: { url, apiKey, secret, previousSecrets? }.",
    );
  }
  const sealer = createSealer({
    secret: options.secret,
    previousSecrets: options.previousSecrets,
    padding: options.padding,
  });
  const transport = new Transport(options);
  const client = new SealedClient(transport);
  const overrides = new Map<string, Sealer>();
  const sealerFor = (secret: string | undefined): Sealer => {
    if (secret === undefined) return sealer;
    let found = overrides.get(secret);
    if (!found) {
      if (overrides.size >= SEALER_CACHE_LIMIT) overrides.clear();
      found = createSealer({ secret, padding: options.padding });
      overrides.set(secret, found);
    }
    return found;
  };
  // One existence check per store per vault: later calls reuse it (a store deleted since then
  // surfaces as STORE_NOT_FOUND from the operations themselves).
  const stores = new Map<string, Promise<DataVaultStore>>();
  const lazyMoves = limiter(LAZY_MOVES);
  return {
    async getDataVaultStore(storeId) {
      assertStoreId(storeId);
      let store = stores.get(storeId);
      if (!store) {
        store = transport
          .request("GET", `/v1/stores/${storeId}`, { idempotent: true })
          .then(() => new Store(storeId, transport, client, sealerFor, lazyMoves));
        stores.set(storeId, store);
        store.catch(() => stores.delete(storeId));
      }
      return store;
    },
  };
}

class Store implements DataVaultStore {
  readonly id: string;
  readonly #transport: Transport;
  readonly #client: SealedClient;
  readonly #sealerFor: (secret: string | undefined) => Sealer;
  readonly #base: string;
  readonly #lazyMoves: Limiter;

  constructor(
    id: string,
    transport: Transport,
    client: SealedClient,
    sealerFor: (secret: string | undefined) => Sealer,
    lazyMoves: Limiter,
  ) {
    this.id = id;
    this.#transport = transport;
    this.#client = client;
    this.#sealerFor = sealerFor;
    this.#lazyMoves = lazyMoves;
    this.#base = `/v1/stores/${id}/entries`;
  }

  info(): Promise<StoreInfo> {
    return this.#client.storeInfo(this.id);
  }

  async getValue(key: string, options?: ValueOptions): Promise<string | null> {
    const opened = await this.#read(key, options);
    return opened === null ? null : asText(opened);
  }

  async getBytes(key: string, options?: ValueOptions): Promise<Uint8Array | null> {
    const opened = await this.#read(key, options);
    if (opened === null) return null;
    return typeof opened.value === "string" ? new TextEncoder().encode(opened.value) : opened.value;
  }

  async setValue(key: string, value: string | Uint8Array, options?: ValueOptions): Promise<void> {
    const sealer = this.#sealerFor(secretOf(options));
    const sealed = await sealer.seal(this.id, key, value);
    await this.#transport.request("PUT", `${this.#base}/${sealed.blindedId}`, {
      idempotent: true,
      body: { keyId: sealed.keyId, envelope: toBase64Url(sealed.envelope) },
    });
    await this.#dropPrevious(sealer, [key]);
  }

  async deleteValue(key: string, options?: ValueOptions): Promise<boolean> {
    const sealer = this.#sealerFor(secretOf(options));
    const [current, ...previous] = await sealer.blindKeys(this.id, key);
    const remove = ({ blindedId }: { blindedId: string }) =>
      this.#transport.request<{ deleted: boolean }>("DELETE", `${this.#base}/${blindedId}`, {
        idempotent: true,
      });
    // Entries under previous secrets first, then the current one: a concurrent read's lazy move
    // (previous → current) that lands between the two is then deleted too, never resurrected.
    const results = await Promise.all(previous.map(remove));
    if (current) results.push(await remove(current));
    if (results.some((r) => r.deleted)) return true;
    // Nothing deleted: a miss, or a wrong secret (the value is still there under another one),
    // which must not pass for "there was nothing" (WRONG_SECRET, as a read would say).
    await this.#find(sealer, [key]);
    return false;
  }

  async hasValue(key: string, options?: ValueOptions): Promise<boolean> {
    const sealer = this.#sealerFor(secretOf(options));
    const found = await this.#find(sealer, [key]);
    return found.get(key) !== undefined;
  }

  async getValues(
    keys: Iterable<string>,
    options?: ValueOptions,
  ): Promise<Map<string, string | null>> {
    if (!isIterable(keys) || typeof keys === "string") {
      throw invalidArgument("getValues takes an iterable of keys, such as an array of strings.");
    }
    const sealer = this.#sealerFor(secretOf(options));
    const unique = [...new Set(keys)];
    const found = await this.#find(sealer, unique);
    const result = new Map<string, string | null>();
    await Promise.all(
      unique.map(async (key) => {
        const entry = found.get(key);
        result.set(key, entry ? asText(await this.#open(sealer, entry, key)) : null);
      }),
    );
    // Keep the caller's order.
    return new Map(unique.map((key) => [key, result.get(key) ?? null]));
  }

  async setValues(
    entries: Iterable<readonly [string, string | Uint8Array]> | Record<string, string | Uint8Array>,
    options?: ValueOptions,
  ): Promise<void> {
    if (typeof entries !== "object" || entries === null) {
      throw invalidArgument(
        "setValues takes [key, value] pairs (an array or a Map) or an object of values.",
      );
    }
    const sealer = this.#sealerFor(secretOf(options));
    const pairs = isIterable(entries) ? [...entries] : Object.entries(entries);
    for (const pair of pairs) {
      if (!Array.isArray(pair))
        throw invalidArgument("Each entry of setValues is a [key, value] pair.");
    }
    // A key given twice: the last value wins, as with consecutive setValue calls (the server
    // refuses a batch that writes one blinded id twice).
    const list = [...new Map(pairs.map(([key, value]) => [key, value] as const))];
    const sealed = await Promise.all(list.map(([key, value]) => sealer.seal(this.id, key, value)));
    for (let i = 0; i < sealed.length; i += BATCH) {
      await this.#transport.request("POST", `${this.#base}/batch-put`, {
        idempotent: true,
        body: { entries: sealed.slice(i, i + BATCH).map(wire) },
      });
    }
    await this.#dropPrevious(
      sealer,
      list.map(([key]) => key),
    );
  }

  async *keys(): AsyncIterableIterator<string> {
    const sealer = this.#sealerFor(undefined);
    const ours = new Set(await sealer.keyIds());
    // Mid-rotation, a key can have entries under two secrets: remember keys to list each once.
    const seen = ours.size > 1 ? new Set<string>() : undefined;
    let foreign = 0;
    let listed = 0;
    for await (const entry of this.#client.wireEntries(this.id)) {
      if (!ours.has(entry.keyId)) {
        foreign++; // sealed under a secret this vault does not hold
        continue;
      }
      const { key } = await sealer.open(
        this.id,
        entry.blindedId,
        fromBase64Url(entry.envelope) ?? new Uint8Array(),
      );
      if (seen) {
        if (seen.has(key)) continue;
        seen.add(key);
      }
      listed++;
      yield key;
    }
    if (foreign > 0 && listed === 0) {
      throw new CofferError(
        "WRONG_SECRET",
        `Store "${this.id}" holds ${foreign} entries, none sealed under a secret this vault has. Check COFFER_SECRET.`,
      );
    }
  }

  async rotate(
    options: { onProgress?: (progress: RotateProgress) => void; concurrency?: number } = {},
  ): Promise<RotateProgress> {
    if (typeof options !== "object" || options === null) {
      throw invalidArgument("rotate takes an options object: { onProgress?, concurrency? }.");
    }
    if (options.onProgress !== undefined && typeof options.onProgress !== "function") {
      throw invalidArgument("onProgress must be a function.");
    }
    if (
      options.concurrency !== undefined &&
      !(Number.isInteger(options.concurrency) && options.concurrency >= 1)
    ) {
      throw invalidArgument("concurrency must be a whole number ≥ 1.");
    }
    const sealer = this.#sealerFor(undefined);
    const [current, ...previous] = await sealer.keyIds();
    const stale = new Set(previous);
    const info = await this.info();
    const progress: RotateProgress = {
      rotated: 0,
      total: info.keyIds.filter((k) => stale.has(k.keyId)).reduce((n, k) => n + k.count, 0),
    };
    options.onProgress?.({ ...progress });
    const concurrency = options.concurrency ?? 8;
    // A few passes: an entry rewritten concurrently (VERSION_CONFLICT) is picked up by the next.
    for (let pass = 0; pass < 3; pass++) {
      let conflicts = 0;
      let batch: WireEntry[] = [];
      const flush = async () => {
        const results = await Promise.all(batch.map((entry) => this.#rekey(sealer, entry)));
        for (const moved of results) {
          if (moved) progress.rotated++;
          else conflicts++;
        }
        batch = [];
        options.onProgress?.({ ...progress });
      };
      for await (const entry of this.#client.wireEntries(this.id)) {
        if (entry.keyId === current || !stale.has(entry.keyId)) continue;
        batch.push(entry);
        if (batch.length >= concurrency) await flush();
      }
      if (batch.length) await flush();
      if (conflicts === 0) break;
    }
    return progress;
  }

  /** Finds the key's entry under any held secret, in one request, and opens it (lazily re-sealing a stale one). */
  async #read(key: string, options?: ValueOptions): Promise<OpenedEntry | null> {
    const sealer = this.#sealerFor(secretOf(options));
    const entry = (await this.#find(sealer, [key])).get(key);
    return entry ? this.#open(sealer, entry, key) : null;
  }

  /** Opens the entry found for `key`; TAMPERED if it holds another key's value. */
  async #open(sealer: Sealer, entry: WireEntry, key: string): Promise<OpenedEntry> {
    const opened = await sealer.open(
      this.id,
      entry.blindedId,
      fromBase64Url(entry.envelope) ?? new Uint8Array(),
    );
    if (opened.key !== key) {
      // The envelope opens, so the secret sealed it: for another key of this store, handed back
      // for this one. The blinded ids of #find rule that out; this keeps it ruled out.
      throw new CofferError(
        "TAMPERED",
        "The vault answered with another key's entry: the envelope does not belong to this key.",
      );
    }
    if (opened.stale) {
      // Lazy rotation: best effort. A failure leaves the entry readable and for `rotate` to finish.
      await this.#lazyMoves(() => this.#moveTo(sealer, entry, opened)).catch(() => false);
    }
    return opened;
  }

  /**
   * The entries of `keys` under the sealer's secrets (current preferred), by key. Missing keys
   * are absent; if the store holds entries but none under the sealer's secrets, WRONG_SECRET. A
   * per-call `secret` replaces the vault's secrets here too: the call holds that secret alone.
   */
  async #find(sealer: Sealer, keys: string[]): Promise<Map<string, WireEntry>> {
    const ids = await Promise.all(keys.map((key) => sealer.blindKeys(this.id, key)));
    const ownerOf = new Map<string, { key: string; rank: number }>();
    for (const [i, candidates] of ids.entries()) {
      for (const [rank, { blindedId }] of candidates.entries()) {
        ownerOf.set(blindedId, { key: keys[i] as string, rank });
      }
    }
    const all = [...ownerOf.keys()];
    const found = new Map<string, { entry: WireEntry; rank: number }>();
    let storeKeyIds: string[] | undefined;
    if (all.length === 1) {
      try {
        const entry = await this.#transport.request<WireEntry>("GET", `${this.#base}/${all[0]}`, {
          idempotent: true,
        });
        // Opened under the blinded id asked for, never the one the answer claims: an envelope of
        // another key handed back for this one then fails its commitment (TAMPERED).
        found.set(keys[0] as string, { entry: { ...entry, blindedId: all[0] as string }, rank: 0 });
      } catch (error) {
        if (!(error instanceof CofferError) || error.code !== "ENTRY_NOT_FOUND") throw error;
        storeKeyIds = (error.details?.keyIds as string[] | undefined) ?? [];
      }
    } else {
      const pages = [];
      for (let i = 0; i < all.length; i += BATCH) pages.push(all.slice(i, i + BATCH));
      const responses = await Promise.all(
        pages.map((blindedIds) =>
          this.#transport.request<{ entries: WireEntry[]; missing: string[]; keyIds?: string[] }>(
            "POST",
            `${this.#base}/batch-get`,
            {
              idempotent: true,
              body: { blindedIds },
            },
          ),
        ),
      );
      for (const response of responses) {
        if (response.keyIds) storeKeyIds = response.keyIds;
        for (const entry of response.entries) {
          const owner = ownerOf.get(entry.blindedId);
          if (!owner) continue;
          const best = found.get(owner.key);
          if (!best || owner.rank < best.rank) found.set(owner.key, { entry, rank: owner.rank });
        }
      }
    }
    if (found.size < keys.length && storeKeyIds && storeKeyIds.length > 0) {
      const ours = new Set(await sealer.keyIds());
      if (!storeKeyIds.some((id) => ours.has(id))) {
        throw new CofferError(
          "WRONG_SECRET",
          `Store "${this.id}" holds entries, but none sealed under a secret this call holds (the vault's, or the call's secret option). Check COFFER_SECRET, or add the old secret to COFFER_PREVIOUS_SECRETS.`,
          { details: { storeKeyIds, keyIds: [...ours] } },
        );
      }
    }
    return new Map([...found].map(([key, { entry }]) => [key, entry]));
  }

  /**
   * Moves a stale entry to its blinded id under the current secret, re-sealed. The target must
   * not exist: if it does, it holds a newer value (written under the current secret since), so
   * the stale entry is only deleted. Returns false if the source changed or vanished meanwhile.
   */
  async #moveTo(sealer: Sealer, entry: WireEntry, opened: OpenedEntry): Promise<boolean> {
    const sealed = await sealer.seal(this.id, opened.key, opened.value);
    try {
      await this.#transport.request("POST", `${this.#base}/move`, {
        idempotent: false,
        body: {
          from: { blindedId: entry.blindedId, ifVersion: entry.version },
          to: { ...wire(sealed), ifVersion: 0 },
        },
      });
      return true;
    } catch (error) {
      if (!(error instanceof CofferError)) throw error;
      if (error.code === "VERSION_CONFLICT" && error.details?.blindedId === sealed.blindedId) {
        await this.#transport.request(
          "DELETE",
          `${this.#base}/${entry.blindedId}?ifVersion=${entry.version}`,
          { idempotent: true },
        );
        return true;
      }
      if (error.code === "VERSION_CONFLICT" || error.code === "ENTRY_NOT_FOUND") return false;
      throw error;
    }
  }

  /** Re-seals one stale entry; false if it changed or vanished meanwhile (left for another pass). */
  async #rekey(sealer: Sealer, entry: WireEntry): Promise<boolean> {
    const opened = await sealer.open(
      this.id,
      entry.blindedId,
      fromBase64Url(entry.envelope) ?? new Uint8Array(),
    );
    return this.#moveTo(sealer, entry, opened);
  }

  /**
   * After a write under the current secret, removes the same keys' entries under previous
   * secrets: one lookup per 100 ids, then a delete only for those that exist.
   */
  async #dropPrevious(sealer: Sealer, keys: string[]): Promise<void> {
    if ((await sealer.keyIds()).length < 2) return;
    const stale = (await Promise.all(keys.map((key) => sealer.blindKeys(this.id, key)))).flatMap(
      (ids) => ids.slice(1).map((id) => id.blindedId),
    );
    const existing: WireEntry[] = [];
    for (let i = 0; i < stale.length; i += BATCH) {
      const found = await this.#transport.request<{ entries: WireEntry[] }>(
        "POST",
        `${this.#base}/batch-get`,
        {
          idempotent: true,
          body: { blindedIds: stale.slice(i, i + BATCH) },
        },
      );
      existing.push(...found.entries);
    }
    await Promise.all(
      existing.map((entry) =>
        this.#transport
          .request("DELETE", `${this.#base}/${entry.blindedId}?ifVersion=${entry.version}`, {
            idempotent: true,
          })
          .catch((error) => {
            // Already gone or rewritten by someone else: nothing stale is left behind by us.
            if (!(error instanceof CofferError && error.code === "VERSION_CONFLICT")) throw error;
          }),
      ),
    );
  }
}

type Limiter = <T>(run: () => Promise<T>) => Promise<T>;

/** Runs at most `limit` of the functions given at once; the others wait their turn, in order. */
function limiter(limit: number): Limiter {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (run) => {
    if (active < limit) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await run();
    } finally {
      // Hand the slot to the next in line, or give it back.
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

function wire(sealed: SealedEntry) {
  return {
    blindedId: sealed.blindedId,
    keyId: sealed.keyId,
    envelope: toBase64Url(sealed.envelope),
  };
}

function asText(opened: OpenedEntry): string {
  if (typeof opened.value === "string") return opened.value;
  throw new CofferError(
    "INVALID_ARGUMENT",
    "This value was stored as bytes: read it with getBytes().",
  );
}

/** The per-call secret of a call's options: `{ secret }` or nothing, never silently ignored. */
function secretOf(options: ValueOptions | undefined): string | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) {
    throw new CofferError(
      "INVALID_ARGUMENT",
      "The options argument is an object such as { secret }, or left out.",
    );
  }
  return options.secret;
}

function isIterable<T>(value: unknown): value is Iterable<T> {
  return typeof (value as Iterable<T>)?.[Symbol.iterator] === "function";
}
