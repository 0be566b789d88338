// End-to-end tests of the SDK (@coffer/core) against a real vault service over HTTP, on SQLite
// and on PostgreSQL. Every test talks to the server through createVault, as an application would.
import { randomBytes } from "node:crypto";
import { createServer, type Socket } from "node:net";
import {
  CofferError,
  type CofferErrorCode,
  createSealer,
  createVault,
  type DataVaultStore,
  generateSecret,
  isCofferError,
  type RotateProgress,
  type VaultOptions,
} from "@coffer/core";
import { type Engine, startVault, type TestVault } from "@coffer/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holdFetch, networkError, tapFetch } from "./helpers/fetch.js";

const MiB = 1024 * 1024;

/** The CofferError a promise rejects with (fails the test on success or on another error). */
async function rejection(promise: Promise<unknown>): Promise<CofferError> {
  try {
    await promise;
  } catch (error) {
    if (isCofferError(error)) return error;
    throw error;
  }
  throw new Error("expected the call to reject with a CofferError, but it resolved");
}

/** The CofferError a synchronous call throws. */
function thrown(fn: () => unknown): CofferError {
  try {
    fn();
  } catch (error) {
    if (isCofferError(error)) return error;
    throw error;
  }
  throw new Error("expected the call to throw a CofferError");
}

function expectCode(error: CofferError, code: CofferErrorCode, status?: number): void {
  expect(error).toBeInstanceOf(CofferError);
  expect(error.code).toBe(code);
  if (status !== undefined) expect(error.status).toBe(status);
}

const keyIdOf = (secret: string) => createSealer({ secret }).keyId();

/** Keys `${prefix}0` … and a distinct value for each. */
function entries(prefix: string, count: number): Array<[string, string]> {
  return Array.from({ length: count }, (_, i) => [`${prefix}${i}`, `value ${i} of ${prefix}`]);
}

/** Every key the iterator yields, in order. */
async function collect(iterator: AsyncIterable<string>): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of iterator) keys.push(key);
  return keys;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for a step of a choreographed test; fails fast (not at the test timeout) if it never comes. */
async function within(promise: Promise<void>, what: string, ms = 5_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe.each<Engine>(["sqlite", "postgres"])("the SDK against a %s vault", (engine) => {
  let server: TestVault;
  let apiKey: string;
  const secret = generateSecret();
  let storeSeq = 0;

  /** A vault client on the test server, with the suite's API key and secret unless overridden. */
  const vaultWith = (options: Partial<VaultOptions> = {}) =>
    createVault({ url: server.url, apiKey, secret, ...options });

  /** A new, empty store on the server; returns its id. */
  async function newStore(): Promise<string> {
    const id = `${engine}-${++storeSeq}`;
    await server.createStore(id);
    return id;
  }

  /** A new store opened through a vault client (default: the suite's secret). */
  async function openNewStore(options: Partial<VaultOptions> = {}): Promise<DataVaultStore> {
    return vaultWith(options).getDataVaultStore(await newStore());
  }

  beforeAll(async () => {
    server = await startVault(engine);
    apiKey = await server.createApiKey();
  });

  afterAll(async () => {
    await server?.close();
  });

  it("opens an existing store; an unknown one is STORE_NOT_FOUND (404)", async () => {
    const id = await newStore();
    const vault = vaultWith();
    expect((await vault.getDataVaultStore(id)).id).toBe(id);
    expectCode(await rejection(vault.getDataVaultStore("no-such-store")), "STORE_NOT_FOUND", 404);
    // An id the server could never hold is refused before any request.
    const tap = tapFetch();
    const error = await rejection(vaultWith({ fetch: tap.fetch }).getDataVaultStore("Not/Valid"));
    expectCode(error, "INVALID_ARGUMENT");
    expect(tap.calls).toEqual([]);
  });

  it("stores a value and reads it back", async () => {
    const store = await openNewStore();
    await store.setValue("gh:42", "ghp_refresh_token_value");
    expect(await store.getValue("gh:42")).toBe("ghp_refresh_token_value");
    expect(await store.hasValue("gh:42")).toBe(true);
    // A second client (another process) with the same secret reads it too.
    const other = await vaultWith().getDataVaultStore(store.id);
    expect(await other.getValue("gh:42")).toBe("ghp_refresh_token_value");
  });

  it("round-trips JSON strings exactly", async () => {
    const store = await openNewStore();
    const documents = {
      token: { access: "a.b.c", refresh: "r", expiresAt: 1_767_225_600_000, scopes: ["repo"] },
      nested: { a: [1, 2.5, -3e-7, null, true, false], b: { "": "", ü: "\u00e9\u0301" } },
      escapes: { s: 'quote " backslash \\ newline \n tab \t nul \u0000 line-sep \u2028' },
      array: [{ id: 1 }, { id: 2 }, []],
    };
    for (const [key, doc] of Object.entries(documents)) {
      await store.setValue(key, JSON.stringify(doc));
    }
    for (const [key, doc] of Object.entries(documents)) {
      const text = await store.getValue(key);
      expect(text).toBe(JSON.stringify(doc));
      expect(JSON.parse(text as string)).toEqual(doc);
    }
  });

  it("reads a missing key as null, in an empty store and in one with entries", async () => {
    const store = await openNewStore();
    expect(await store.getValue("nothing")).toBeNull();
    expect(await store.getBytes("nothing")).toBeNull();
    expect(await store.hasValue("nothing")).toBe(false);
    await store.setValue("something", "here");
    expect(await store.getValue("nothing")).toBeNull();
    expect(await store.getBytes("nothing")).toBeNull();
    expect(await store.hasValue("nothing")).toBe(false);
    expect([...(await store.getValues(["nothing", "else"]))]).toEqual([
      ["nothing", null],
      ["else", null],
    ]);
  });

  it("stores and reads a 1 MiB value", async () => {
    const store = await openNewStore();
    const value = randomBytes(MiB).toString("base64").slice(0, MiB);
    expect(value.length).toBe(MiB);
    await store.setValue("big", value);
    expect(await store.getValue("big")).toBe(value);
    const bytes = await store.getBytes("big");
    expect(bytes?.length).toBe(MiB);
  });

  it("refuses a value over the server's 1 MiB limit with 413, from setValue and setValues", async () => {
    const store = await openNewStore();
    const tooBig = "x".repeat(MiB + 200_000);
    const single = await rejection(store.setValue("too-big", tooBig));
    expect(["VALUE_TOO_LARGE", "PAYLOAD_TOO_LARGE"]).toContain(single.code);
    expect(single.status).toBe(413);
    expect(await store.getValue("too-big")).toBeNull();
    // The same value in a batch must be refused the same way: the caller's code should not
    // depend on which method it used. (Today: INVALID_REQUEST 400 from the route's schema.)
    const batch = await rejection(store.setValues([["too-big", tooBig]]));
    expect(["VALUE_TOO_LARGE", "PAYLOAD_TOO_LARGE"]).toContain(batch.code);
    expect(batch.status).toBe(413);
    expect(await store.getValue("too-big")).toBeNull();
  });

  it("stores bytes; getBytes returns them, getValue refuses them", async () => {
    const store = await openNewStore();
    const bytes = new Uint8Array(randomBytes(4096));
    await store.setValue("blob", bytes);
    expect(await store.getBytes("blob")).toEqual(bytes);
    expectCode(await rejection(store.getValue("blob")), "INVALID_ARGUMENT");
    // Text comes back from getBytes as its UTF-8.
    await store.setValue("text", "héllo");
    expect(await store.getBytes("text")).toEqual(new TextEncoder().encode("héllo"));
  });

  it("a wrong secret is WRONG_SECRET, never null or false (getValue, getBytes, hasValue, getValues, deleteValue)", async () => {
    const store = await openNewStore();
    await store.setValues(entries("k", 3));
    const wrong = await vaultWith({ secret: generateSecret() }).getDataVaultStore(store.id);
    const calls = [
      () => wrong.getValue("k0"), // present under the right secret
      () => wrong.getValue("absent"),
      () => wrong.getBytes("k1"),
      () => wrong.hasValue("k1"),
      () => wrong.hasValue("absent"),
      () => wrong.getValues(["k0", "k1", "absent"]), // the batch path
      () => wrong.getValues(["k2"]), // one key: the single-entry path
      // A delete under the wrong secret removes nothing: "there was no value" would be a lie.
      () => wrong.deleteValue("k0"),
      () => wrong.deleteValue("absent"),
      () => store.deleteValue("k1", { secret: generateSecret() }),
    ];
    for (const call of calls) {
      const error = await rejection(call());
      expectCode(error, "WRONG_SECRET", 500);
      expect(error.message).toContain(store.id);
    }
    // The right secret still reads everything.
    expect(await store.getValue("k0")).toBe("value 0 of k");
    expect(await store.getValue("k1")).toBe("value 1 of k");
  });

  it("keeps the same key in two stores separate", async () => {
    const [one, two] = [await openNewStore(), await openNewStore()];
    await one.setValue("shared-key", "in store one");
    await two.setValue("shared-key", "in store two");
    expect(await one.getValue("shared-key")).toBe("in store one");
    expect(await two.getValue("shared-key")).toBe("in store two");
    expect(await one.deleteValue("shared-key")).toBe(true);
    expect(await one.getValue("shared-key")).toBeNull();
    expect(await two.getValue("shared-key")).toBe("in store two");
  });

  it("overwrites a value: the latest wins and the store holds one entry", async () => {
    const store = await openNewStore();
    await store.setValue("k", "first");
    await store.setValue("k", "second");
    expect(await store.getValue("k")).toBe("second");
    await store.setValues([["k", "third"]]);
    expect(await store.getValue("k")).toBe("third");
    expect((await server.storeInfo(store.id, apiKey)).entryCount).toBe(1);
  });

  it("accepts keys with spaces, colons, slashes, dots, unicode and 1,000 characters", async () => {
    const store = await openNewStore();
    const keys = [
      "with spaces in it",
      " leading and trailing ",
      "gh:user:42",
      "path/to/../the/key/",
      "/",
      "a.b.c",
      ".",
      "..",
      "?query=1&x=%20#hash",
      "ключ-日本語-🔑-e\u0301",
      "\u00e9", // é precomposed …
      "e\u0301", // … and decomposed: two different keys
      "k".repeat(1000),
      "é".repeat(1000), // 2,000 bytes of UTF-8
    ];
    for (const [i, key] of keys.entries()) await store.setValue(key, `value #${i}`);
    for (const [i, key] of keys.entries()) expect(await store.getValue(key)).toBe(`value #${i}`);
    const listed = await collect(store.keys());
    expect(listed.sort()).toEqual([...keys].sort());
    // The batch path finds them too.
    const values = await store.getValues(keys);
    expect([...values.values()]).toEqual(keys.map((_, i) => `value #${i}`));
    // Keys over 4,096 bytes are refused before any request; the empty key is a key like any other.
    const tap = tapFetch();
    const checked = await vaultWith({ fetch: tap.fetch }).getDataVaultStore(store.id);
    const before = tap.calls.length;
    expectCode(await rejection(checked.setValue("k".repeat(4097), "v")), "INVALID_ARGUMENT");
    expect(tap.calls.length).toBe(before);
    await checked.setValue("", "empty key");
    expect(await checked.getValue("")).toBe("empty key");
  });

  it("keeps values with newlines, tabs, quotes, emoji, HTML and the empty string", async () => {
    const store = await openNewStore();
    const values: Record<string, string> = {
      newlines: "line 1\nline 2\r\nline 3\n",
      tabs: "\tcol1\tcol2\t",
      quotes: `single ' double " back \` backslash \\`,
      emoji: "🔐🗝️👩‍👩‍👧‍👦 flag 🇫🇷",
      html: "<script>alert(\"x\")</script><b onclick='y'>&amp;&lt;</b>",
      empty: "",
      spaces: "   ",
      nul: "a\u0000b",
    };
    for (const [key, value] of Object.entries(values)) await store.setValue(key, value);
    for (const [key, value] of Object.entries(values)) {
      expect(await store.getValue(key)).toBe(value);
    }
    // The empty string is a value, not an absence.
    expect(await store.hasValue("empty")).toBe(true);
    expect((await store.getValues(["empty", "missing"])).get("empty")).toBe("");
  });

  it("refuses a weak per-call secret before any request", async () => {
    const tap = tapFetch();
    const store = await vaultWith({ fetch: tap.fetch }).getDataVaultStore(await newStore());
    const before = tap.calls.length;
    expectCode(await rejection(store.getValue("k", { secret: "too short" })), "WEAK_SECRET");
    expectCode(await rejection(store.setValue("k", "v", { secret: "too short" })), "WEAK_SECRET");
    // Options that are not an object are refused, not read as "no per-call secret".
    const notOptions = "coffer_secret_…" as unknown as { secret: string };
    expectCode(await rejection(store.getValue("k", notOptions)), "INVALID_ARGUMENT");
    expectCode(await rejection(store.deleteValue("k", notOptions)), "INVALID_ARGUMENT");
    expect(tap.calls.length).toBe(before);
  });

  it("100 concurrent writes, then 100 concurrent reads, of different keys", async () => {
    const store = await openNewStore();
    const data = entries("concurrent-", 100);
    await Promise.all(data.map(([key, value]) => store.setValue(key, value)));
    const read = await Promise.all(data.map(([key]) => store.getValue(key)));
    expect(read).toEqual(data.map(([, value]) => value));
    expect((await server.storeInfo(store.id, apiKey)).entryCount).toBe(100);
  });

  it("200 concurrent reads of one key", async () => {
    const store = await openNewStore();
    await store.setValue("hot", "hot value");
    const read = await Promise.all(Array.from({ length: 200 }, () => store.getValue("hot")));
    expect(read).toEqual(Array(200).fill("hot value"));
  });

  it("350 concurrent mixed operations from one vault: writes, reads, batches, deletes", async () => {
    const store = await openNewStore();
    const data = entries("mixed-", 100);
    await store.setValues(data);
    const fresh = entries("fresh-", 100);
    const results = await Promise.all([
      ...fresh.map(([key, value]) => store.setValue(key, value)),
      ...data.map(([key]) => store.getValue(key)),
      ...data.slice(0, 50).map(([key]) => store.hasValue(key)),
      ...data.slice(50).map(([key]) => store.deleteValue(key)),
      ...Array.from({ length: 50 }, (_, i) =>
        store.getValues(data.slice(i, i + 10).map(([key]) => key)),
      ),
    ]);
    const reads = results.slice(100, 200) as Array<string | null>;
    // A read racing its key's delete sees the value or nothing, never anything else.
    for (const [i, value] of reads.entries()) {
      if (i < 50) expect(value).toBe(data[i]?.[1]);
      else expect([data[i]?.[1], null]).toContain(value);
    }
    expect(results.slice(200, 250)).toEqual(Array(50).fill(true));
    expect(results.slice(250, 300)).toEqual(Array(50).fill(true));
    expect(Object.fromEntries(await store.getValues(fresh.map(([key]) => key)))).toEqual(
      Object.fromEntries(fresh),
    );
    expect((await server.storeInfo(store.id, apiKey)).entryCount).toBe(150);
  });

  it("deleteValue: true, then false; the key then reads as null", async () => {
    const store = await openNewStore();
    await store.setValue("gone", "soon");
    await store.setValue("kept", "stays");
    expect(await store.deleteValue("gone")).toBe(true);
    expect(await store.deleteValue("gone")).toBe(false);
    expect(await store.deleteValue("never-was")).toBe(false);
    expect(await store.getValue("gone")).toBeNull();
    expect(await store.hasValue("gone")).toBe(false);
    expect(await store.getValue("kept")).toBe("stays");
  });

  it("getValues and setValues: one request per 100 keys, the caller's order, missing → null", async () => {
    const tap = tapFetch();
    const store = await vaultWith({ fetch: tap.fetch }).getDataVaultStore(await newStore());
    const data = entries("batch-", 100);

    let before = tap.calls.length;
    await store.setValues(data);
    expect(tap.calls.slice(before).map((c) => `${c.method} ${c.path}`)).toEqual([
      `POST /v1/stores/${store.id}/entries/batch-put`,
    ]);

    // Shuffled, with misses in between: 99 present + 1 missing = 100 keys, one request.
    const wanted = data
      .map(([key]) => key)
      .slice(0, 99)
      .reverse();
    wanted.splice(50, 0, "missing-key");
    before = tap.calls.length;
    const values = await store.getValues(wanted);
    expect(tap.calls.slice(before).map((c) => `${c.method} ${c.path}`)).toEqual([
      `POST /v1/stores/${store.id}/entries/batch-get`,
    ]);
    expect([...values.keys()]).toEqual(wanted);
    expect(values.get("missing-key")).toBeNull();
    for (const [key, value] of data.slice(0, 99)) expect(values.get(key)).toBe(value);

    // The object form, and 250 entries: three requests each way.
    const more = Object.fromEntries(entries("more-", 250));
    before = tap.calls.length;
    await store.setValues(more);
    expect(tap.calls.length - before).toBe(3);
    expect(tap.count("/batch-put")).toBe(4);
    before = tap.calls.length;
    const read = await store.getValues(Object.keys(more));
    expect(tap.calls.length - before).toBe(3);
    expect(Object.fromEntries(read)).toEqual(more);

    // Duplicates are asked for once; an empty list asks nothing.
    expect([...(await store.getValues(["batch-1", "batch-1", "batch-2"])).keys()]).toEqual([
      "batch-1",
      "batch-2",
    ]);
    before = tap.calls.length;
    expect((await store.getValues([])).size).toBe(0);
    expect(tap.calls.length).toBe(before);
  });

  it("setValues with a key given twice: one request, the last value wins; bad arguments are refused", async () => {
    const tap = tapFetch();
    const store = await vaultWith({ fetch: tap.fetch }).getDataVaultStore(await newStore());
    await store.setValues([
      ["dup", "first"],
      ["other", "x"],
      ["dup", "last"],
    ]);
    expect(tap.count("/batch-put", "POST")).toBe(1);
    expect(await store.getValue("dup")).toBe("last");
    expect((await server.storeInfo(store.id, apiKey)).entryCount).toBe(2);

    const before = tap.calls.length;
    const refused: Array<[string, Promise<unknown>]> = [
      ["setValues(null)", store.setValues(null as never)],
      ["setValues('ab')", store.setValues("ab" as never)],
      ["setValues([['k']])", store.setValues([["k"]] as never)],
      ["setValues(['kv'])", store.setValues(["kv"] as never)],
      ["getValues(null)", store.getValues(null as never)],
      ["getValues('abc')", store.getValues("abc")],
      ["rotate({ onProgress: 1 })", store.rotate({ onProgress: 1 as never })],
      ["rotate({ concurrency: 0 })", store.rotate({ concurrency: 0 })],
      ["rotate(null)", store.rotate(null as never)],
    ];
    for (const [call, promise] of refused) {
      expect((await rejection(promise)).code, call).toBe("INVALID_ARGUMENT");
    }
    expect(tap.calls.length).toBe(before);
  });

  it("keys() lists 2,500 entries, each exactly once", async () => {
    const store = await openNewStore();
    const data = entries("iter-", 2500);
    await store.setValues(data);
    const started = performance.now();
    const listed = await collect(store.keys());
    const ms = performance.now() - started;
    console.log(`[${engine}] keys() over 2,500 entries: ${ms.toFixed(0)} ms`);
    expect(listed.length).toBe(2500);
    expect(new Set(listed).size).toBe(2500);
    expect(listed.sort()).toEqual(data.map(([key]) => key).sort());
  });

  it("rotate: 2,000 entries to a new secret, interrupted halfway, then resumed", async () => {
    const secretA = generateSecret();
    const secretB = generateSecret();
    const [keyIdA, keyIdB] = [await keyIdOf(secretA), await keyIdOf(secretB)];
    const storeId = await newStore();
    const data = entries("rot-", 2000);
    await (await vaultWith({ secret: secretA }).getDataVaultStore(storeId)).setValues(data);
    expect((await server.storeInfo(storeId, apiKey)).keyIds).toEqual([
      { keyId: keyIdA, count: 2000 },
    ]);

    // First run: the server stops answering moves after 1,000 of them.
    const inFlight = new Set<Promise<Response>>();
    const refused: string[] = [];
    let sent = 0;
    let succeeded = 0;
    const failing = tapFetch(async (call, next) => {
      if (!call.path.endsWith("/entries/move")) return next();
      if (sent >= 1000) {
        refused.push(
          (JSON.parse(call.body ?? "{}") as { from: { blindedId: string } }).from.blindedId,
        );
        throw networkError();
      }
      sent++;
      const response = next();
      inFlight.add(response);
      try {
        const answered = await response;
        if (answered.ok) succeeded++;
        return answered;
      } finally {
        inFlight.delete(response);
      }
    });
    const rotating = await vaultWith({
      secret: secretB,
      previousSecrets: [secretA],
      fetch: failing.fetch,
    }).getDataVaultStore(storeId);
    const progress: RotateProgress[] = [];
    let started = performance.now();
    const error = await rejection(
      rotating.rotate({ onProgress: (p) => progress.push(p), concurrency: 8 }),
    );
    const interruptedMs = performance.now() - started;
    expectCode(error, "NETWORK_ERROR");
    await Promise.allSettled([...inFlight]);
    // Long enough for any retry's backoff (100 ms, then 200 ms): a move is never sent twice.
    await sleep(500);
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused).size).toBe(refused.length);
    expect(failing.count("/entries/move")).toBe(1000 + refused.length);
    expect(succeeded).toBe(1000);
    expect(progress[0]).toEqual({ rotated: 0, total: 2000 });
    expect(progress.at(-1)).toEqual({ rotated: 1000, total: 2000 });

    // Half-way: what moved is under B, the rest is still under A. Nothing lost, nothing doubled.
    const half = await server.storeInfo(storeId, apiKey);
    expect(half.entryCount).toBe(2000);
    expect(Object.fromEntries(half.keyIds.map((k) => [k.keyId, k.count]))).toEqual({
      [keyIdA]: 1000,
      [keyIdB]: 1000,
    });

    // Second run, healthy network: it finishes what is left.
    const resumed = await vaultWith({
      secret: secretB,
      previousSecrets: [secretA],
    }).getDataVaultStore(storeId);
    started = performance.now();
    const result = await resumed.rotate();
    const resumedMs = performance.now() - started;
    console.log(
      `[${engine}] rotate of 2,000 entries: interrupted run ${interruptedMs.toFixed(0)} ms (1,000 moved), resumed run ${resumedMs.toFixed(0)} ms (1,000 moved)`,
    );
    expect(result).toEqual({ rotated: 1000, total: 1000 });

    const info = await server.storeInfo(storeId, apiKey);
    expect(info.entryCount).toBe(2000);
    expect(info.keyIds).toEqual([{ keyId: keyIdB, count: 2000 }]);

    // Everything reads back through a vault that holds only B.
    const onlyB = await vaultWith({ secret: secretB }).getDataVaultStore(storeId);
    const values = await onlyB.getValues(data.map(([key]) => key));
    expect(Object.fromEntries(values)).toEqual(Object.fromEntries(data));
    expect((await collect(onlyB.keys())).length).toBe(2000);
    // And A alone no longer opens anything.
    const onlyA = await vaultWith({ secret: secretA }).getDataVaultStore(storeId);
    expectCode(await rejection(onlyA.getValue("rot-0")), "WRONG_SECRET");
    // A third run has nothing to do.
    expect(await resumed.rotate()).toEqual({ rotated: 0, total: 0 });
  });

  it("lazy rotation: reading an entry under a previous secret moves it under the current one", async () => {
    const secretA = generateSecret();
    const secretB = generateSecret();
    const [keyIdA, keyIdB] = [await keyIdOf(secretA), await keyIdOf(secretB)];
    const storeId = await newStore();
    await (await vaultWith({ secret: secretA }).getDataVaultStore(storeId)).setValues(
      entries("lazy-", 6),
    );
    const both = await vaultWith({ secret: secretB, previousSecrets: [secretA] }).getDataVaultStore(
      storeId,
    );
    const onlyB = await vaultWith({ secret: secretB }).getDataVaultStore(storeId);

    expect(await both.getValue("lazy-0")).toBe("value 0 of lazy-");
    let info = await server.storeInfo(storeId, apiKey);
    expect(info.entryCount).toBe(6);
    expect(Object.fromEntries(info.keyIds.map((k) => [k.keyId, k.count]))).toEqual({
      [keyIdA]: 5,
      [keyIdB]: 1,
    });
    expect(await onlyB.getValue("lazy-0")).toBe("value 0 of lazy-");
    // Not yet moved: a B-only vault does not see it (the store holds B entries, so it is a miss).
    expect(await onlyB.getValue("lazy-1")).toBeNull();

    // getValues moves what it reads too.
    const read = await both.getValues(["lazy-1", "lazy-2"]);
    expect([...read.values()]).toEqual(["value 1 of lazy-", "value 2 of lazy-"]);
    expect(await onlyB.getValue("lazy-1")).toBe("value 1 of lazy-");
    expect(await onlyB.getValue("lazy-2")).toBe("value 2 of lazy-");

    // Many concurrent readers of one stale entry: every read answers, and the entry is moved once.
    const reads = await Promise.all(Array.from({ length: 50 }, () => both.getValue("lazy-3")));
    expect(reads).toEqual(Array(50).fill("value 3 of lazy-"));
    info = await server.storeInfo(storeId, apiKey);
    expect(info.entryCount).toBe(6);
    expect(Object.fromEntries(info.keyIds.map((k) => [k.keyId, k.count]))).toEqual({
      [keyIdA]: 2,
      [keyIdB]: 4,
    });

    // A write through B+[A] lands under B and removes the A entry.
    await both.setValue("lazy-4", "rewritten");
    info = await server.storeInfo(storeId, apiKey);
    expect(info.entryCount).toBe(6);
    expect(Object.fromEntries(info.keyIds.map((k) => [k.keyId, k.count]))).toEqual({
      [keyIdA]: 1,
      [keyIdB]: 5,
    });
    expect(await onlyB.getValue("lazy-4")).toBe("rewritten");
    // A delete through B+[A] removes an entry still under A.
    expect(await both.deleteValue("lazy-5")).toBe(true);
    expect(await both.getValue("lazy-5")).toBeNull();
    expect((await server.storeInfo(storeId, apiKey)).keyIds).toEqual([{ keyId: keyIdB, count: 5 }]);
  });

  it("lazy rotation of many entries at once: at most 16 moves in flight, every entry moved", async () => {
    const secretA = generateSecret();
    const secretB = generateSecret();
    const storeId = await newStore();
    await (await vaultWith({ secret: secretA }).getDataVaultStore(storeId)).setValues(
      entries("many-", 400),
    );
    let inFlight = 0;
    let most = 0;
    const tap = tapFetch(async (call, next) => {
      if (!call.path.endsWith("/entries/move")) return next();
      most = Math.max(most, ++inFlight);
      try {
        return await next();
      } finally {
        inFlight--;
      }
    });
    const both = await vaultWith({
      secret: secretB,
      previousSecrets: [secretA],
      fetch: tap.fetch,
    }).getDataVaultStore(storeId);
    const keys = Array.from({ length: 400 }, (_, i) => `many-${i}`);
    // One getValues over 300 stale entries and 100 concurrent getValue calls: before, 400 moves
    // went out at once and every other request of the process queued behind them.
    const [read, ...single] = await Promise.all([
      both.getValues(keys.slice(0, 300)),
      ...keys.slice(300).map((key) => both.getValue(key)),
    ]);
    expect([...(read as Map<string, string | null>).values()]).toEqual(
      keys.slice(0, 300).map((_, i) => `value ${i} of many-`),
    );
    expect(single).toEqual(keys.slice(300).map((_, i) => `value ${300 + i} of many-`));
    expect(tap.count("/entries/move")).toBe(400);
    expect(most).toBeLessThanOrEqual(16);
    expect((await server.storeInfo(storeId, apiKey)).keyIds).toEqual([
      { keyId: await keyIdOf(secretB), count: 400 },
    ]);
  });

  it("a lazy move that fails is not retried, and the value is still returned", async () => {
    const secretA = generateSecret();
    const secretB = generateSecret();
    const keyIdA = await keyIdOf(secretA);
    const storeId = await newStore();
    await (await vaultWith({ secret: secretA }).getDataVaultStore(storeId)).setValue("k", "v");
    const tap = tapFetch(async (call, next) => {
      if (call.path.endsWith("/entries/move")) throw networkError();
      return next();
    });
    const both = await vaultWith({
      secret: secretB,
      previousSecrets: [secretA],
      fetch: tap.fetch,
    }).getDataVaultStore(storeId);
    expect(await both.getValue("k")).toBe("v");
    await sleep(400); // any retry would have been sent by now
    expect(tap.count("/entries/move")).toBe(1);
    // The entry stayed where it was, still readable, and left for rotate().
    expect((await server.storeInfo(storeId, apiKey)).keyIds).toEqual([{ keyId: keyIdA, count: 1 }]);
    expect(await both.getValue("k")).toBe("v");
  });

  it("the { secret } option overrides the vault's secret for that call", async () => {
    const other = generateSecret();
    const [keyIdOwn, keyIdOther] = [await keyIdOf(secret), await keyIdOf(other)];
    const store = await openNewStore();
    await store.setValue("own", "under the vault's secret");
    await store.setValue("k", "under the option's secret", { secret: other });

    expect(await store.getValue("k", { secret: other })).toBe("under the option's secret");
    expect(await store.hasValue("k", { secret: other })).toBe(true);
    expect(Object.fromEntries(await store.getValues(["k"], { secret: other }))).toEqual({
      k: "under the option's secret",
    });
    expect(
      Object.fromEntries(
        (await server.storeInfo(store.id, apiKey)).keyIds.map((k) => [k.keyId, k.count]),
      ),
    ).toEqual({ [keyIdOwn]: 1, [keyIdOther]: 1 });

    // Under the vault's secret the key does not exist: the store holds entries under that secret,
    // so it is a miss (null), not WRONG_SECRET.
    expect(await store.getValue("k")).toBeNull();
    expect(await store.hasValue("k")).toBe(false);
    // … and the vault's own entry is not visible under the option's secret (a miss: the store
    // holds an entry under it).
    expect(await store.getValue("own", { secret: other })).toBeNull();
    // keys() lists what the vault's secret opens only.
    expect(await collect(store.keys())).toEqual(["own"]);

    // In a store whose entries are all under the option's secret, the vault's secret is wrong.
    const only = await openNewStore();
    await only.setValue("k", "v", { secret: other });
    expect(await only.getValue("k", { secret: other })).toBe("v");
    expectCode(await rejection(only.getValue("k")), "WRONG_SECRET");
    expectCode(await rejection(only.hasValue("k")), "WRONG_SECRET");

    // The option replaces the vault's secret, WRONG_SECRET included: a secret under which the
    // store holds nothing is wrong, on every read path, never a silent null.
    const wrong = generateSecret();
    const onlyOwn = await openNewStore();
    await onlyOwn.setValues(entries("w", 3));
    for (const call of [
      () => onlyOwn.getValue("w0", { secret: wrong }),
      () => onlyOwn.getValue("absent", { secret: wrong }),
      () => onlyOwn.getBytes("w1", { secret: wrong }),
      () => onlyOwn.hasValue("w1", { secret: wrong }),
      () => onlyOwn.getValues(["w0", "w1", "absent"], { secret: wrong }),
      () => only.getValues(["x", "y"], { secret: wrong }),
    ]) {
      expectCode(await rejection(call()), "WRONG_SECRET", 500);
    }
    expect(await onlyOwn.getValue("w0")).toBe("value 0 of w");

    // Deletes follow the same secret.
    expect(await store.deleteValue("k")).toBe(false);
    expect(await store.deleteValue("k", { secret: other })).toBe(true);
    expect((await server.storeInfo(store.id, apiKey)).keyIds).toEqual([
      { keyId: keyIdOwn, count: 1 },
    ]);
    // Now the store holds nothing under `other`: reading with it is a wrong secret.
    expectCode(await rejection(store.getValue("k", { secret: other })), "WRONG_SECRET");
    expect(await store.getValue("k")).toBeNull();
  });

  it("a vault that answers one key with another key's entry: TAMPERED, never the other value", async () => {
    const store = await openNewStore();
    await store.setValues([
      ["alice", "alice-token"],
      ["bob", "bob-token"],
    ]);
    const sealer = createSealer({ secret });
    const alice = await sealer.blindKey(store.id, "alice");
    const bob = await sealer.blindKey(store.id, "bob");
    // A lying vault (or whoever sits in its place): asked for alice's entry, it sends bob's,
    // under either blinded id.
    for (const relabel of [false, true]) {
      const lying = tapFetch(async (call, next) => {
        if (call.method !== "GET" || !call.path.endsWith(`/entries/${alice}`)) return next();
        const response = await fetch(`${server.url}${call.path.replace(alice, bob)}`, {
          headers: { authorization: `Bearer ${apiKey}`, "user-agent": "node" },
        });
        const entry = (await response.json()) as Record<string, unknown>;
        return Response.json(relabel ? { ...entry, blindedId: alice } : entry);
      });
      const victim = await vaultWith({ fetch: lying.fetch }).getDataVaultStore(store.id);
      expectCode(await rejection(victim.getValue("alice")), "TAMPERED");
      expectCode(await rejection(victim.getBytes("alice")), "TAMPERED");
      expect(lying.count(`/entries/${alice}`, "GET")).toBe(2);
    }
    expect(await store.getValue("alice")).toBe("alice-token");
  });

  it("retries a read and a write whose first attempt hit a network error", async () => {
    const store = await openNewStore();
    await store.setValue("k", "v");
    let failNext = 0;
    const tap = tapFetch(async (_call, next) => {
      if (failNext > 0) {
        failNext--;
        throw networkError();
      }
      return next();
    });
    const flaky = await vaultWith({ fetch: tap.fetch }).getDataVaultStore(store.id);
    const entryPath = (c: { path: string }) => c.path.startsWith(`/v1/stores/${store.id}/entries/`);

    failNext = 1;
    expect(await flaky.getValue("k")).toBe("v");
    expect(tap.calls.filter((c) => c.method === "GET" && entryPath(c)).length).toBe(2);

    failNext = 1;
    await flaky.setValue("k", "v2");
    expect(tap.calls.filter((c) => c.method === "PUT" && entryPath(c)).length).toBe(2);
    expect(await store.getValue("k")).toBe("v2");

    // Past the retries (2 by default: 3 attempts), the network error surfaces.
    failNext = 3;
    const before = tap.calls.length;
    expectCode(await rejection(flaky.getValue("k")), "NETWORK_ERROR");
    expect(tap.calls.length - before).toBe(3);
    // retries: 0 means one attempt.
    const once = tapFetch(async () => {
      throw networkError();
    });
    const noRetry = vaultWith({ fetch: once.fetch, retries: 0 });
    expectCode(await rejection(noRetry.getDataVaultStore(store.id)), "NETWORK_ERROR");
    expect(once.calls.length).toBe(1);
  });

  it("plain http:// to a host that is not loopback: refused unless allowInsecureHttp", async () => {
    const port = new URL(server.url).port;
    const remote = `http://coffer.internal:${port}`;
    const tap = tapFetch((call) =>
      // Stands for the network: sends coffer.internal to the test server.
      fetch(`${server.url}${call.path}`, {
        method: call.method,
        headers: { authorization: `Bearer ${apiKey}`, "user-agent": "@coffer/core" },
      }),
    );
    const error = thrown(() => vaultWith({ url: remote, fetch: tap.fetch }));
    expectCode(error, "INVALID_ARGUMENT");
    expect(error.message).toContain("coffer.internal");
    expect(tap.calls).toEqual([]);
    // Loopback names are fine without it.
    expect(() => vaultWith({ url: `http://localhost:${port}` })).not.toThrow();

    const storeId = await newStore();
    const store = await vaultWith({
      url: remote,
      fetch: tap.fetch,
      allowInsecureHttp: true,
    }).getDataVaultStore(storeId);
    expect(store.id).toBe(storeId);
    expect(tap.calls.map((c) => c.path)).toEqual([`/v1/stores/${storeId}`]);
  });

  it("server errors keep their code and status: read-only, other store, revoked key", async () => {
    const storeId = await newStore();
    await (await vaultWith().getDataVaultStore(storeId)).setValue("k", "v");

    const readOnly = await vaultWith({
      apiKey: await server.createApiKey({ readOnly: true }),
    }).getDataVaultStore(storeId);
    expect(await readOnly.getValue("k")).toBe("v");
    for (const write of [
      () => readOnly.setValue("k", "changed"),
      () => readOnly.setValues([["k2", "v2"]]),
      () => readOnly.deleteValue("k"),
    ]) {
      const error = await rejection(write());
      expectCode(error, "FORBIDDEN", 403);
      expect(error.message).toMatch(/read-only/);
    }
    expect(await readOnly.getValue("k")).toBe("v");

    const elsewhere = await newStore();
    const scoped = vaultWith({ apiKey: await server.createApiKey({ storeIds: [elsewhere] }) });
    expect((await scoped.getDataVaultStore(elsewhere)).id).toBe(elsewhere);
    expectCode(await rejection(scoped.getDataVaultStore(storeId)), "FORBIDDEN", 403);

    const revocable = await server.createApiKey();
    const store = await vaultWith({ apiKey: revocable }).getDataVaultStore(storeId);
    expect(await store.getValue("k")).toBe("v");
    await server.revokeApiKey(revocable);
    // Refused from the very next request, though the store handle was opened before.
    expectCode(await rejection(store.getValue("k")), "UNAUTHORIZED", 401);
    expectCode(
      await rejection(vaultWith({ apiKey: revocable }).getDataVaultStore(storeId)),
      "UNAUTHORIZED",
      401,
    );
    // A key the server never issued.
    expectCode(
      await rejection(
        vaultWith({ apiKey: "coffer_key_unknown_secret" }).getDataVaultStore(storeId),
      ),
      "UNAUTHORIZED",
      401,
    );
  });

  it("a store deleted after it was opened answers STORE_NOT_FOUND", async () => {
    const store = await openNewStore();
    await store.setValue("k", "v");
    await server.deleteStore(store.id);
    expectCode(await rejection(store.getValue("k")), "STORE_NOT_FOUND", 404);
    expectCode(await rejection(store.setValue("k", "v")), "STORE_NOT_FOUND", 404);
    expectCode(await rejection(vaultWith().getDataVaultStore(store.id)), "STORE_NOT_FOUND", 404);
  });

  it("over the rate limit: RATE_LIMITED (429) with Retry-After, not retried with retries: 0", async () => {
    const limited = await startVault(engine, { rateLimitPerMinute: 5 });
    try {
      await limited.createStore("limited");
      const key = await limited.createApiKey();
      const tap = tapFetch();
      const vault = createVault({
        url: limited.url,
        apiKey: key,
        secret,
        retries: 0,
        fetch: tap.fetch,
      });
      const store = await vault.getDataVaultStore("limited"); // request 1
      // 12 requests in all: even across a minute boundary, one window sees more than 5.
      let error: CofferError | undefined;
      let succeeded = 1;
      for (let i = 1; i < 12 && error === undefined; i++) {
        try {
          await store.getValue("k");
          succeeded++;
        } catch (caught) {
          if (!isCofferError(caught)) throw caught;
          error = caught;
        }
      }
      expect(error).toBeDefined();
      expectCode(error as CofferError, "RATE_LIMITED", 429);
      expect(succeeded).toBeGreaterThanOrEqual(5);
      expect(tap.calls.length).toBe(succeeded + 1); // the refused request was sent once
      const retryAfter = (error as CofferError).details?.retryAfter;
      expect(typeof retryAfter).toBe("number");
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
    } finally {
      await limited.close();
    }
  });

  // Lost updates. The server's move overwrites its target unconditionally, and the SDK sends it
  // without `to.ifVersion: 0`, so a stale entry moved under the current secret replaces a newer
  // value already written there.
  it("rotate keeps a newer value written under the current secret (no lost update)", async () => {
    const secretA = generateSecret();
    const secretB = generateSecret();
    const storeId = await newStore();
    await (await vaultWith({ secret: secretA }).getDataVaultStore(storeId)).setValue("k", "old");
    // A writer that holds B only (another process already on B alone, or `{ secret: B }`).
    const onlyB = await vaultWith({ secret: secretB }).getDataVaultStore(storeId);
    await onlyB.setValue("k", "new");
    const both = await vaultWith({ secret: secretB, previousSecrets: [secretA] }).getDataVaultStore(
      storeId,
    );
    expect(await both.getValue("k")).toBe("new"); // the current secret's entry is preferred
    await both.rotate();
    expect(await onlyB.getValue("k")).toBe("new");
    expect(await both.getValue("k")).toBe("new");
    // And the rotation is complete: the stale entry is gone, not left behind under A.
    expect((await server.storeInfo(storeId, apiKey)).keyIds).toEqual([
      { keyId: await keyIdOf(secretB), count: 1 },
    ]);
  });

  it("keys() lists a key once while it has entries under the current and a previous secret", async () => {
    const secretA = generateSecret();
    const secretB = generateSecret();
    const storeId = await newStore();
    await (await vaultWith({ secret: secretA }).getDataVaultStore(storeId)).setValue("k", "old");
    await (await vaultWith({ secret: secretB }).getDataVaultStore(storeId)).setValue("k", "new");
    const both = await vaultWith({ secret: secretB, previousSecrets: [secretA] }).getDataVaultStore(
      storeId,
    );
    expect((await server.storeInfo(storeId, apiKey)).entryCount).toBe(2);
    expect(await collect(both.keys())).toEqual(["k"]);
  });

  it("a lazy move racing a newer write does not bring the old value back", async () => {
    const secretA = generateSecret();
    const secretB = generateSecret();
    const storeId = await newStore();
    await (await vaultWith({ secret: secretA }).getDataVaultStore(storeId)).setValue("k", "old");

    // Process 1 reads k (under A) and is about to move it under B …
    const move = holdFetch((call) => call.path.endsWith("/entries/move"));
    const reader = await vaultWith({
      secret: secretB,
      previousSecrets: [secretA],
      fetch: move.fetch,
    }).getDataVaultStore(storeId);
    // … while process 2 writes a new value: PUT under B, then DELETE of the A entry.
    const del = holdFetch((call) => call.method === "DELETE");
    const writer = await vaultWith({
      secret: secretB,
      previousSecrets: [secretA],
      fetch: del.fetch,
    }).getDataVaultStore(storeId);

    const reading = reader.getValue("k");
    await within(move.sent, "the reader's move");
    const writing = writer.setValue("k", "new");
    await within(del.sent, "the writer's delete"); // the new value is under B now
    move.release();
    expect(await reading).toBe("old"); // it read before the write: fine
    del.release();
    await writing;

    const onlyB = await vaultWith({ secret: secretB }).getDataVaultStore(storeId);
    expect(await onlyB.getValue("k")).toBe("new");
    expect((await server.storeInfo(storeId, apiKey)).keyIds).toEqual([
      { keyId: await keyIdOf(secretB), count: 1 },
    ]);
  });

  it("a lazy move racing deleteValue does not bring the deleted value back", async () => {
    const secretA = generateSecret();
    const secretB = generateSecret();
    const storeId = await newStore();
    await (await vaultWith({ secret: secretA }).getDataVaultStore(storeId)).setValue("k", "v");
    const underA = await createSealer({ secret: secretA }).blindKey(storeId, "k");

    // Process 1 deletes k (it holds B and A): its DELETE of the entry under A is held …
    const del = holdFetch((call) => call.method === "DELETE" && call.path.includes(underA));
    const deleter = await vaultWith({
      secret: secretB,
      previousSecrets: [secretA],
      fetch: del.fetch,
    }).getDataVaultStore(storeId);
    const reader = await vaultWith({
      secret: secretB,
      previousSecrets: [secretA],
    }).getDataVaultStore(storeId);
    const deleting = deleter.deleteValue("k");
    await within(del.sent, "the deleter's DELETE under A");
    // … while process 2 reads k and moves it under B (done before the read returns).
    expect(await reader.getValue("k")).toBe("v");
    del.release();

    expect(await deleting).toBe(true);
    expect(await reader.getValue("k")).toBeNull();
    expect((await server.storeInfo(storeId, apiKey)).entryCount).toBe(0);
  });
});

describe("the SDK's checks and transport, without a vault", () => {
  const apiKey = "coffer_key_0123456789abcdef_notarealsecret";

  it("a missing or weak secret throws at createVault, before any request", () => {
    const tap = tapFetch();
    const base = { url: "http://127.0.0.1:9", apiKey, fetch: tap.fetch };
    const cases: Array<[Record<string, unknown>, CofferErrorCode]> = [
      [{}, "INVALID_ARGUMENT"], // no secret at all
      [{ secret: undefined }, "INVALID_ARGUMENT"],
      [{ secret: 42 }, "INVALID_ARGUMENT"],
      [{ secret: "" }, "WEAK_SECRET"],
      [{ secret: "short passphrase" }, "WEAK_SECRET"],
      [{ secret: "x".repeat(31) }, "WEAK_SECRET"],
      // A generated secret cut short by a copy and paste.
      [{ secret: generateSecret().slice(0, -3) }, "INVALID_ARGUMENT"],
      [{ secret: generateSecret(), previousSecrets: ["too weak"] }, "WEAK_SECRET"],
      [{ secret: generateSecret(), previousSecrets: "not an array" }, "INVALID_ARGUMENT"],
    ];
    for (const [options, code] of cases) {
      const error = thrown(() => createVault({ ...base, ...options } as unknown as VaultOptions));
      expectCode(error, code);
    }
    // A sound secret with other bad options is refused too, still without a request.
    expectCode(
      thrown(() => createVault({ ...base, secret: generateSecret(), apiKey: "not-a-key" })),
      "INVALID_ARGUMENT",
    );
    expectCode(
      thrown(() => createVault({ ...base, secret: generateSecret(), url: "ftp://x" })),
      "INVALID_ARGUMENT",
    );
    expect(tap.calls).toEqual([]);
    // A 32-character passphrase is accepted.
    expect(() => createVault({ ...base, secret: "x".repeat(32) })).not.toThrow();
    expect(tap.calls).toEqual([]);
  });

  it("server down: NETWORK_ERROR quickly, retries included, naming the URL", async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const url = `http://127.0.0.1:${port}`;

    let attempts = 0;
    const vault = createVault({
      url,
      apiKey,
      secret: generateSecret(),
      fetch: (input, init) => {
        attempts++;
        return fetch(input, init);
      },
    });
    const started = performance.now();
    const error = await rejection(vault.getDataVaultStore("oauth-tokens"));
    const ms = performance.now() - started;
    expectCode(error, "NETWORK_ERROR", 503);
    expect(error.message).toContain(url);
    expect(attempts).toBe(3); // 1 + the 2 default retries
    expect(ms).toBeLessThan(2_000); // the default timeout is 10 s
  });

  it("a fetch that never answers: TIMEOUT after timeoutMs, each attempt", async () => {
    let attempts = 0;
    // Like a real fetch to a server that never responds: it settles only when aborted.
    const silent: typeof fetch = (_input, init) => {
      attempts++;
      return new Promise<Response>((_resolve, reject) => {
        const signal = init?.signal;
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      });
    };
    const vault = createVault({
      url: "https://vault.example.com",
      apiKey,
      secret: generateSecret(),
      fetch: silent,
      timeoutMs: 200,
      retries: 0,
    });
    let started = performance.now();
    const error = await rejection(vault.getDataVaultStore("oauth-tokens"));
    let ms = performance.now() - started;
    expectCode(error, "TIMEOUT", 504);
    expect(error.message).toContain("https://vault.example.com");
    expect(error.message).toContain("200 ms");
    expect(attempts).toBe(1);
    expect(ms).toBeGreaterThanOrEqual(180);
    expect(ms).toBeLessThan(1_500);

    // With retries, each attempt gets its own 200 ms.
    attempts = 0;
    const retrying = createVault({
      url: "https://vault.example.com",
      apiKey,
      secret: generateSecret(),
      fetch: silent,
      timeoutMs: 200,
      retries: 2,
    });
    started = performance.now();
    expectCode(await rejection(retrying.getDataVaultStore("oauth-tokens")), "TIMEOUT");
    ms = performance.now() - started;
    expect(attempts).toBe(3);
    expect(ms).toBeGreaterThanOrEqual(3 * 180);
    expect(ms).toBeLessThan(3_000);
  });

  it("a server that accepts the connection but never answers: TIMEOUT", async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = silent.address() as { port: number };
      const vault = createVault({
        url: `http://127.0.0.1:${port}`,
        apiKey,
        secret: generateSecret(),
        timeoutMs: 200,
        retries: 0,
      });
      const started = performance.now();
      expectCode(await rejection(vault.getDataVaultStore("oauth-tokens")), "TIMEOUT", 504);
      expect(performance.now() - started).toBeLessThan(1_500);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
