// One suite, run against both engines on real databases: SQLite in a temp directory, PostgreSQL
// from test/helpers/postgres.ts. Tests share one migrated database per engine and stay out of each
// other's way through fresh project ids; those that need an exact database content open their own.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CofferError, type CofferErrorCode, isCofferError } from "@coffer/core";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgresStorage } from "../src/storage/postgres.js";
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from "../src/storage/schema.js";
import { openSqliteStorage } from "../src/storage/sqlite.js";
import type {
  AuditEvent,
  EntryRecord,
  EntryWrite,
  Project,
  SnapshotRecord,
  Storage,
  StoreRecord,
} from "../src/storage/types.js";
import { startPostgres, type TestPostgres } from "../src/testing/postgres.js";

interface Engine {
  name: "sqlite" | "postgres";
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A new, empty database; the factory opens Storage instances on it. */
  freshDatabase(): Promise<() => Storage>;
}

function sqliteEngine(): Engine {
  let dir = "";
  let count = 0;
  return {
    name: "sqlite",
    async start() {
      dir = mkdtempSync(join(tmpdir(), "coffer-sqlite-"));
    },
    async stop() {
      rmSync(dir, { recursive: true, force: true });
    },
    async freshDatabase() {
      const file = join(dir, `db-${count++}.db`);
      return () => openSqliteStorage({ file });
    },
  };
}

function postgresEngine(): Engine {
  let pg: TestPostgres | undefined;
  return {
    name: "postgres",
    async start() {
      pg = await startPostgres();
    },
    async stop() {
      await pg?.stop();
    },
    async freshDatabase() {
      if (pg === undefined) throw new Error("start() first");
      const url = await pg.createDatabase();
      return () => openPostgresStorage({ url, max: 4 });
    },
  };
}

const T0 = 1_700_000_000_000;
const KEY_A = "0123456789abcdef";
const KEY_B = "fedcba9876543210";
const ALL_VERSIONS = MIGRATIONS.map((m) => m.version).sort((a, b) => a - b);

let counter = 0;
const uid = (prefix: string) =>
  `${prefix}-${(++counter).toString(36)}-${randomBytes(3).toString("hex")}`;
const bytes = (length: number) => new Uint8Array(randomBytes(length));
/** Like the real thing: 43 base64url characters (mixed case, "-" and "_": ordering matters). */
const newBlindedId = () => randomBytes(32).toString("base64url");

function entryWrite(blindedId = newBlindedId(), ifVersion?: number): EntryWrite {
  return { blindedId, keyId: KEY_A, sealed: bytes(80), size: 40, ifVersion };
}

/** Awaits a rejection and checks it is a CofferError with `code`. */
async function rejection(promise: Promise<unknown>, code: CofferErrorCode): Promise<CofferError> {
  const outcome = await promise.then(
    () => "resolved",
    (error: unknown) => error,
  );
  if (!isCofferError(outcome)) {
    throw new Error(`expected CofferError ${code}, got ${String(outcome)}`, { cause: outcome });
  }
  expect(outcome.code).toBe(code);
  return outcome;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe.each([sqliteEngine(), postgresEngine()])("$name storage", (engine) => {
  let storage: Storage;
  const opened: Storage[] = [];

  async function freshDatabase(): Promise<() => Storage> {
    const factory = await engine.freshDatabase();
    return () => {
      const instance = factory();
      opened.push(instance);
      return instance;
    };
  }

  beforeAll(async () => {
    await engine.start();
    storage = (await freshDatabase())();
    await storage.migrate();
  });

  afterAll(async () => {
    for (const instance of opened) await instance.close();
    await engine.stop();
  });

  async function newProject(into = storage): Promise<Project> {
    const project = { id: uid("proj"), name: "A project", createdAt: T0 };
    await into.createProject(project);
    return project;
  }

  function storeRecord(projectId: string, id = uid("store")): StoreRecord {
    return {
      projectId,
      id,
      name: `Store ${id}`,
      createdAt: T0 + 1,
      dataKeyId: uid("dk"),
      wrappedDataKey: bytes(72),
      masterKeyId: "mk-1",
    };
  }

  async function newStore(projectId?: string, id?: string, into = storage): Promise<StoreRecord> {
    const store = storeRecord(projectId ?? (await newProject(into)).id, id);
    await into.createStore(store);
    return store;
  }

  it("reports its engine and answers ping", async () => {
    expect(storage.engine).toBe(engine.name);
    await storage.ping();
  });

  describe("migrations", () => {
    it("start from version 0, apply everything once, then nothing", async () => {
      const fresh = (await freshDatabase())();
      expect(await fresh.schemaVersion()).toBe(0);
      expect(await fresh.migrate()).toEqual(ALL_VERSIONS);
      expect(await fresh.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      expect(await fresh.migrate()).toEqual([]);
      expect(await fresh.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    });

    it("run concurrently from two instances on one database without failing", async () => {
      const open = await freshDatabase();
      const [a, b] = [open(), open()];
      const results = await Promise.all([a.migrate(), b.migrate()]);
      // Each migration applied by exactly one of them.
      expect(results.flat().sort((x, y) => x - y)).toEqual(ALL_VERSIONS);
      expect(await a.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      expect(await b.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      const project = await newProject(a);
      expect(await b.getProject(project.id)).toEqual(project);
    });
  });

  describe("projects", () => {
    it("are created, read and listed", async () => {
      const project = await newProject();
      expect(await storage.getProject(project.id)).toEqual(project);
      expect(await storage.getProject(uid("missing"))).toBeNull();
      const listed = await storage.listProjects();
      expect(listed).toContainEqual(project);
      expect(listed.map((p) => p.id)).toEqual([...listed.map((p) => p.id)].sort(byteOrder));
    });

    it("refuse a duplicate id with PROJECT_EXISTS", async () => {
      const project = await newProject();
      await rejection(storage.createProject({ ...project, name: "Other" }), "PROJECT_EXISTS");
      expect(await storage.getProject(project.id)).toEqual(project);
    });
  });

  describe("stores", () => {
    it("are created and read back, binary key as a plain Uint8Array", async () => {
      const store = await newStore();
      const read = await storage.getStore(store.projectId, store.id);
      expect(read).toEqual(store);
      expect(Object.getPrototypeOf(read?.wrappedDataKey)).toBe(Uint8Array.prototype);
      expect(await storage.getStore(store.projectId, uid("missing"))).toBeNull();
    });

    it("refuse a duplicate id with STORE_EXISTS and a missing project with PROJECT_NOT_FOUND", async () => {
      const store = await newStore();
      const error = await rejection(
        storage.createStore({ ...storeRecord(store.projectId, store.id) }),
        "STORE_EXISTS",
      );
      expect(error.details).toEqual({ storeId: store.id });
      await rejection(storage.createStore(storeRecord(uid("no-project"))), "PROJECT_NOT_FOUND");
    });

    it("are renamed, listed by id with stats, and listed across projects", async () => {
      const project = await newProject();
      const b = await newStore(project.id, "b-store");
      const a = await newStore(project.id, "a-store");
      expect(await storage.renameStore(project.id, a.id, "Renamed")).toBe(true);
      expect(await storage.renameStore(project.id, uid("missing"), "x")).toBe(false);
      await storage.putEntry(project.id, b.id, { ...entryWrite(), size: 7 }, T0 + 10);

      const listed = await storage.listStores(project.id);
      expect(listed).toEqual([
        { ...a, name: "Renamed", entryCount: 0, bytes: 0, lastWriteAt: null },
        { ...b, entryCount: 1, bytes: 7, lastWriteAt: T0 + 10 },
      ]);
      const all = await storage.listAllStores();
      expect(all).toContainEqual({ ...a, name: "Renamed" });
      expect(all).toContainEqual(b);
    });

    it("rewrap data keys, all in one call", async () => {
      const project = await newProject();
      const [a, b] = [await newStore(project.id), await newStore(project.id)];
      const [keyA, keyB] = [bytes(72), bytes(72)];
      await storage.rewrapDataKeys([
        { projectId: project.id, storeId: a.id, wrappedDataKey: keyA, masterKeyId: "mk-2" },
        { projectId: project.id, storeId: b.id, wrappedDataKey: keyB, masterKeyId: "mk-2" },
      ]);
      expect(await storage.getStore(project.id, a.id)).toEqual({
        ...a,
        wrappedDataKey: keyA,
        masterKeyId: "mk-2",
      });
      expect(await storage.getStore(project.id, b.id)).toEqual({
        ...b,
        wrappedDataKey: keyB,
        masterKeyId: "mk-2",
      });
    });

    it("report stats and entries per key id", async () => {
      const store = await newStore();
      const { projectId, id } = store;
      expect(await storage.getStoreStats(projectId, id)).toEqual({
        entryCount: 0,
        bytes: 0,
        lastWriteAt: null,
      });
      expect(await storage.getStoreKeyIds(projectId, id)).toEqual([]);
      await storage.putEntry(projectId, id, { ...entryWrite(), size: 10 }, T0 + 1);
      await storage.putEntry(projectId, id, { ...entryWrite(), size: 20, keyId: KEY_B }, T0 + 5);
      await storage.putEntry(projectId, id, { ...entryWrite(), size: 30 }, T0 + 3);
      expect(await storage.getStoreStats(projectId, id)).toEqual({
        entryCount: 3,
        bytes: 60,
        lastWriteAt: T0 + 5,
      });
      const keyIds = await storage.getStoreKeyIds(projectId, id);
      expect([...keyIds].sort((x, y) => byteOrder(x.keyId, y.keyId))).toEqual([
        { keyId: KEY_A, count: 2 },
        { keyId: KEY_B, count: 1 },
      ]);
    });

    it("delete their entries with them; the same id created again is empty", async () => {
      const store = await newStore();
      const { projectId, id } = store;
      const ids = [newBlindedId(), newBlindedId()];
      await storage.putEntries(
        projectId,
        id,
        ids.map((b) => entryWrite(b)),
        T0,
      );
      await storage.putEntry(projectId, id, entryWrite(ids[0]), T0 + 1);

      expect(await storage.deleteStore(projectId, id)).toBe(true);
      expect(await storage.getStore(projectId, id)).toBeNull();
      expect(await storage.deleteStore(projectId, id)).toBe(false);
      await rejection(storage.putEntry(projectId, id, entryWrite(), T0), "STORE_NOT_FOUND");

      const again = storeRecord(projectId, id);
      await storage.createStore(again);
      expect(await storage.getStore(projectId, id)).toEqual(again);
      expect(await storage.listEntries(projectId, id, null, 100)).toEqual([]);
      expect(await storage.getEntries(projectId, id, ids)).toEqual([]);
      expect(await storage.getStoreStats(projectId, id)).toEqual({
        entryCount: 0,
        bytes: 0,
        lastWriteAt: null,
      });
      // Versions start over: nothing of the old entries is left.
      expect(await storage.putEntry(projectId, id, entryWrite(ids[0]), T0 + 2)).toBe(1);
    });

    it("are deleted while batches and moves write to them: each write succeeds or is STORE_NOT_FOUND", async () => {
      // On PostgreSQL a batch locked entry rows, then the store row (foreign-key check) while a
      // delete held the store row and waited for those entries: "deadlock detected", a 500.
      const project = await newProject();
      for (let round = 0; round < 6; round++) {
        const store = await newStore(project.id, `race-${round}`);
        const ids = Array.from({ length: 30 }, () => newBlindedId());
        await storage.putEntries(
          project.id,
          store.id,
          ids.map((b) => entryWrite(b)),
          T0,
        );
        const writes: Promise<unknown>[] = [];
        for (let i = 0; i < 12; i++) {
          writes.push(
            i % 2 === 0
              ? storage.putEntries(
                  project.id,
                  store.id,
                  ids.slice(i, i + 15).map((b) => entryWrite(b)),
                  T0 + 1,
                )
              : storage.moveEntry(project.id, store.id, ids[i] as string, entryWrite(), T0 + 1),
          );
          if (i === 4) writes.push(storage.deleteStore(project.id, store.id));
        }
        for (const outcome of await Promise.allSettled(writes)) {
          if (outcome.status === "rejected") {
            expect(
              isCofferError(outcome.reason) && outcome.reason.code,
              String(outcome.reason),
            ).toMatch(/^(STORE_NOT_FOUND|ENTRY_NOT_FOUND)$/);
          }
        }
        expect(await storage.getStore(project.id, store.id)).toBeNull();
      }
    });
  });

  describe("entries", () => {
    it("are written, overwritten (version + 1, createdAt kept) and read", async () => {
      const { projectId, id } = await newStore();
      const first = entryWrite();
      expect(await storage.putEntry(projectId, id, first, T0 + 1)).toBe(1);
      const expected: EntryRecord = {
        blindedId: first.blindedId,
        keyId: first.keyId,
        sealed: first.sealed,
        size: first.size,
        version: 1,
        createdAt: T0 + 1,
        updatedAt: T0 + 1,
      };
      const read = await storage.getEntry(projectId, id, first.blindedId);
      expect(read).toEqual(expected);
      expect(Object.getPrototypeOf(read?.sealed)).toBe(Uint8Array.prototype);

      const second = { ...entryWrite(first.blindedId), keyId: KEY_B, size: 41 };
      expect(await storage.putEntry(projectId, id, second, T0 + 2)).toBe(2);
      expect(await storage.getEntry(projectId, id, first.blindedId)).toEqual({
        ...expected,
        keyId: KEY_B,
        sealed: second.sealed,
        size: 41,
        version: 2,
        updatedAt: T0 + 2,
      });
      expect(await storage.getEntry(projectId, id, newBlindedId())).toBeNull();
    });

    it("are read in bulk, missing ids absent", async () => {
      const { projectId, id } = await newStore();
      const [a, b] = [entryWrite(), entryWrite()];
      await storage.putEntries(projectId, id, [a, b], T0);
      const found = await storage.getEntries(projectId, id, [
        b.blindedId,
        newBlindedId(),
        a.blindedId,
      ]);
      expect(found.map((e) => e.blindedId).sort(byteOrder)).toEqual(
        [a.blindedId, b.blindedId].sort(byteOrder),
      );
      expect(found.find((e) => e.blindedId === b.blindedId)?.sealed).toEqual(b.sealed);
      expect(await storage.getEntries(projectId, id, [])).toEqual([]);
    });

    it("compare-and-set: 0 creates only, n must match, a refusal writes nothing", async () => {
      const { projectId, id } = await newStore();
      const blindedId = newBlindedId();
      const created = entryWrite(blindedId, 0);
      expect(await storage.putEntry(projectId, id, created, T0)).toBe(1);

      let error = await rejection(
        storage.putEntry(projectId, id, entryWrite(blindedId, 0), T0 + 1),
        "VERSION_CONFLICT",
      );
      expect(error.details).toEqual({ blindedId, currentVersion: 1 });
      // Ids and bytes go in details; the message is a sentence for the user.
      expect(error.message).not.toContain(blindedId);
      expect((await storage.getEntry(projectId, id, blindedId))?.sealed).toEqual(created.sealed);

      expect(await storage.putEntry(projectId, id, entryWrite(blindedId, 1), T0 + 2)).toBe(2);
      error = await rejection(
        storage.putEntry(projectId, id, entryWrite(blindedId, 1), T0 + 3),
        "VERSION_CONFLICT",
      );
      expect(error.details).toEqual({ blindedId, currentVersion: 2 });
      expect((await storage.getEntry(projectId, id, blindedId))?.updatedAt).toBe(T0 + 2);

      const absent = newBlindedId();
      error = await rejection(
        storage.putEntry(projectId, id, entryWrite(absent, 5), T0),
        "VERSION_CONFLICT",
      );
      expect(error.details).toEqual({ blindedId: absent, currentVersion: 0 });
      expect(await storage.getEntry(projectId, id, absent)).toBeNull();

      expect(await storage.putEntry(projectId, id, entryWrite(blindedId), T0 + 4)).toBe(3);
    });

    it("batches are all or nothing: a conflict in the third write leaves the first two unwritten", async () => {
      const { projectId, id } = await newStore();
      const existing = entryWrite();
      await storage.putEntry(projectId, id, existing, T0);
      const [a, b] = [entryWrite(), entryWrite()];
      const error = await rejection(
        storage.putEntries(projectId, id, [a, b, entryWrite(existing.blindedId, 0)], T0 + 1),
        "VERSION_CONFLICT",
      );
      expect(error.details).toEqual({ blindedId: existing.blindedId, currentVersion: 1 });
      expect(await storage.getEntries(projectId, id, [a.blindedId, b.blindedId])).toEqual([]);
      expect((await storage.getEntry(projectId, id, existing.blindedId))?.version).toBe(1);

      // Writes apply in order, so the same id twice in a batch counts twice.
      expect(
        await storage.putEntries(projectId, id, [a, b, entryWrite(a.blindedId, 1)], T0 + 2),
      ).toEqual([1, 1, 2]);
      expect(await storage.putEntries(projectId, id, [], T0)).toEqual([]);
    });

    it("concurrent writes each stand or fail alone, whatever the engine groups into one commit", async () => {
      const { projectId, id } = await newStore();
      const existing = entryWrite();
      await storage.putEntry(projectId, id, existing, T0);
      const fresh = Array.from({ length: 20 }, () => entryWrite());
      const batch = [entryWrite(), entryWrite()];
      // Issued in one turn of the event loop: SQLite commits them together (group commit).
      const results = await Promise.allSettled([
        ...fresh.map((write) => storage.putEntry(projectId, id, write, T0 + 1)),
        storage.putEntry(projectId, id, entryWrite(existing.blindedId, 7), T0 + 1),
        // Version 5 conflicts whether the delete below has committed yet (PostgreSQL runs these
        // on separate connections, in no set order) or not.
        storage.putEntries(projectId, id, [...batch, entryWrite(existing.blindedId, 5)], T0 + 1),
        storage.putEntry(projectId, uid("missing"), entryWrite(), T0 + 1),
        storage.deleteEntry(projectId, id, existing.blindedId, 1),
      ]);
      const codes = results.map((r) =>
        r.status === "fulfilled" ? r.value : (r.reason as { code?: string }).code,
      );
      expect(codes).toEqual([
        ...fresh.map(() => 1),
        "VERSION_CONFLICT",
        "VERSION_CONFLICT",
        "STORE_NOT_FOUND",
        true,
      ]);
      const found = await storage.getEntries(projectId, id, [
        ...fresh.map((w) => w.blindedId),
        ...batch.map((w) => w.blindedId),
        existing.blindedId,
      ]);
      expect(found.map((e) => e.blindedId).sort(byteOrder)).toEqual(
        fresh.map((w) => w.blindedId).sort(byteOrder),
      );
    });

    it("are deleted, with or without a version check", async () => {
      const { projectId, id } = await newStore();
      const write = entryWrite();
      await storage.putEntry(projectId, id, write, T0);
      await storage.putEntry(projectId, id, write, T0 + 1);

      const error = await rejection(
        storage.deleteEntry(projectId, id, write.blindedId, 1),
        "VERSION_CONFLICT",
      );
      expect(error.details).toEqual({ blindedId: write.blindedId, currentVersion: 2 });
      expect(await storage.getEntry(projectId, id, write.blindedId)).not.toBeNull();

      expect(await storage.deleteEntry(projectId, id, write.blindedId, 2)).toBe(true);
      expect(await storage.getEntry(projectId, id, write.blindedId)).toBeNull();
      expect(await storage.deleteEntry(projectId, id, write.blindedId)).toBe(false);
      expect(await storage.deleteEntry(projectId, id, write.blindedId, 2)).toBe(false);

      const other = entryWrite();
      await storage.putEntry(projectId, id, other, T0);
      expect(await storage.deleteEntry(projectId, id, other.blindedId)).toBe(true);
    });

    it("writes to a store that does not exist fail with STORE_NOT_FOUND", async () => {
      const project = await newProject();
      const missing = uid("missing");
      const store = await newStore(project.id);
      const source = entryWrite();
      await storage.putEntry(project.id, store.id, source, T0);

      for (const call of [
        () => storage.putEntry(project.id, missing, entryWrite(), T0),
        () => storage.putEntry(project.id, missing, entryWrite(undefined, 0), T0),
        () => storage.putEntry(project.id, missing, entryWrite(undefined, 3), T0),
        () => storage.putEntries(project.id, missing, [entryWrite(), entryWrite()], T0),
        () => storage.moveEntry(project.id, missing, source.blindedId, entryWrite(), T0),
        () => storage.deleteEntry(project.id, missing, source.blindedId),
        () => storage.deleteEntry(project.id, missing, source.blindedId, 1),
        () =>
          storage.importEntries(project.id, missing, [
            { ...entryWrite(), version: 1, createdAt: T0, updatedAt: T0 },
          ]),
      ]) {
        const error = await rejection(call(), "STORE_NOT_FOUND");
        expect(error.details).toEqual({ storeId: missing });
      }
    });

    it("move atomically: the target is written and the source deleted, or nothing happens", async () => {
      const { projectId, id } = await newStore();
      const source = entryWrite();
      await storage.putEntry(projectId, id, source, T0);
      await storage.putEntry(projectId, id, source, T0 + 1);

      // The source must exist, and be at fromVersion when given.
      const absent = newBlindedId();
      const notFound = await rejection(
        storage.moveEntry(projectId, id, absent, entryWrite(), T0 + 2),
        "ENTRY_NOT_FOUND",
      );
      expect(notFound.details).toEqual({ blindedId: absent });
      const target = entryWrite();
      const stale = await rejection(
        storage.moveEntry(projectId, id, source.blindedId, target, T0 + 2, 1),
        "VERSION_CONFLICT",
      );
      expect(stale.details).toEqual({ blindedId: source.blindedId, currentVersion: 2 });
      expect(await storage.getEntry(projectId, id, target.blindedId)).toBeNull();

      // A refused target write keeps the source.
      const occupied = entryWrite();
      await storage.putEntry(projectId, id, occupied, T0);
      const taken = await rejection(
        storage.moveEntry(
          projectId,
          id,
          source.blindedId,
          entryWrite(occupied.blindedId, 0),
          T0 + 2,
        ),
        "VERSION_CONFLICT",
      );
      expect(taken.details).toEqual({ blindedId: occupied.blindedId, currentVersion: 1 });
      expect((await storage.getEntry(projectId, id, source.blindedId))?.version).toBe(2);
      expect((await storage.getEntry(projectId, id, occupied.blindedId))?.sealed).toEqual(
        occupied.sealed,
      );

      const to = { ...entryWrite(undefined, 0), keyId: KEY_B };
      expect(await storage.moveEntry(projectId, id, source.blindedId, to, T0 + 3, 2)).toBe(1);
      expect(await storage.getEntry(projectId, id, source.blindedId)).toBeNull();
      expect(await storage.getEntry(projectId, id, to.blindedId)).toEqual({
        blindedId: to.blindedId,
        keyId: KEY_B,
        sealed: to.sealed,
        size: to.size,
        version: 1,
        createdAt: T0 + 3,
        updatedAt: T0 + 3,
      });

      // Re-keying an entry onto its own id rewrites it in place.
      expect(
        await storage.moveEntry(projectId, id, to.blindedId, entryWrite(to.blindedId), T0 + 4),
      ).toBe(2);
      expect((await storage.getEntry(projectId, id, to.blindedId))?.version).toBe(2);
    });

    it("page by blinded id: 250 entries, limit 100, each exactly once in order", async () => {
      const { projectId, id } = await newStore();
      const writes = Array.from({ length: 250 }, () => entryWrite());
      await storage.putEntries(projectId, id, writes, T0);
      const seen: string[] = [];
      const pageSizes: number[] = [];
      let after: string | null = null;
      for (;;) {
        const page: EntryRecord[] = await storage.listEntries(projectId, id, after, 100);
        pageSizes.push(page.length);
        if (page.length === 0) break;
        seen.push(...page.map((e) => e.blindedId));
        after = page[page.length - 1]?.blindedId ?? null;
      }
      expect(pageSizes).toEqual([100, 100, 50, 0]);
      expect(seen).toEqual(writes.map((w) => w.blindedId).sort(byteOrder));
      const [firstEntry] = await storage.listEntries(projectId, id, null, 1);
      const firstWrite = writes.find((w) => w.blindedId === seen[0]);
      expect(firstEntry?.sealed).toEqual(firstWrite?.sealed);
    });

    it("are isolated per project, even under the same store and blinded ids", async () => {
      const [p1, p2] = [await newProject(), await newProject()];
      const ids = [newBlindedId(), newBlindedId()];
      await newStore(p1.id, "shared");
      await newStore(p2.id, "shared");
      const writes1 = ids.map((b) => entryWrite(b));
      const writes2 = ids.map((b) => ({ ...entryWrite(b), keyId: KEY_B }));
      await storage.putEntries(p1.id, "shared", writes1, T0);
      await storage.putEntries(p2.id, "shared", writes2, T0);

      const read = async (projectId: string) =>
        (await storage.listEntries(projectId, "shared", null, 10)).map((e) => [
          e.blindedId,
          e.sealed,
        ]);
      expect(await read(p1.id)).toEqual(
        [...writes1]
          .sort((a, b) => byteOrder(a.blindedId, b.blindedId))
          .map((w) => [w.blindedId, w.sealed]),
      );
      expect(await read(p2.id)).toEqual(
        [...writes2]
          .sort((a, b) => byteOrder(a.blindedId, b.blindedId))
          .map((w) => [w.blindedId, w.sealed]),
      );

      expect(await storage.deleteEntry(p1.id, "shared", ids[0] as string)).toBe(true);
      expect((await storage.getEntry(p2.id, "shared", ids[0] as string))?.keyId).toBe(KEY_B);
      expect(await storage.deleteStore(p1.id, "shared")).toBe(true);
      expect(await storage.getEntries(p2.id, "shared", ids)).toHaveLength(2);
      expect((await storage.getStoreStats(p2.id, "shared")).entryCount).toBe(2);
      expect(await storage.getStore(p2.id, "shared")).not.toBeNull();
    });
  });

  describe("API keys and admin tokens", () => {
    it("API keys are created, read and listed per project", async () => {
      const [project, other] = [await newProject(), await newProject()];
      const limited = {
        id: uid("key"),
        projectId: project.id,
        name: "ci",
        hash: bytes(32),
        storeIds: ["a", "b"],
        readOnly: true,
        createdAt: T0,
        lastUsedAt: null,
        revokedAt: null,
      };
      const full = {
        ...limited,
        id: uid("key"),
        storeIds: null,
        readOnly: false,
        createdAt: T0 + 1,
      };
      await storage.createApiKey(limited);
      await storage.createApiKey(full);
      await storage.createApiKey({ ...full, id: uid("key"), projectId: other.id });

      const read = await storage.getApiKey(limited.id);
      expect(read).toEqual(limited);
      expect(Object.getPrototypeOf(read?.hash)).toBe(Uint8Array.prototype);
      expect(await storage.getApiKey(full.id)).toEqual(full);
      expect(await storage.getApiKey(uid("missing"))).toBeNull();
      expect(await storage.listApiKeys(project.id)).toEqual([limited, full]);
      await rejection(
        storage.createApiKey({ ...full, id: uid("key"), projectId: uid("missing") }),
        "PROJECT_NOT_FOUND",
      );
    });

    it("revoking sets revokedAt once, and only within the key's project", async () => {
      const [project, other] = [await newProject(), await newProject()];
      const key = {
        id: uid("key"),
        projectId: project.id,
        name: "k",
        hash: bytes(32),
        storeIds: null,
        readOnly: false,
        createdAt: T0,
        lastUsedAt: null,
        revokedAt: null,
      };
      await storage.createApiKey(key);
      expect(await storage.revokeApiKey(other.id, key.id, T0 + 1)).toBe(false);
      expect(await storage.revokeApiKey(project.id, uid("missing"), T0 + 1)).toBe(false);
      expect((await storage.getApiKey(key.id))?.revokedAt).toBeNull();
      expect(await storage.revokeApiKey(project.id, key.id, T0 + 2)).toBe(true);
      expect(await storage.revokeApiKey(project.id, key.id, T0 + 3)).toBe(true);
      expect((await storage.getApiKey(key.id))?.revokedAt).toBe(T0 + 2);
    });

    it("touching records use, at most once a minute", async () => {
      const project = await newProject();
      const key = {
        id: uid("key"),
        projectId: project.id,
        name: "k",
        hash: bytes(32),
        storeIds: null,
        readOnly: false,
        createdAt: T0,
        lastUsedAt: null,
        revokedAt: null,
      };
      await storage.createApiKey(key);
      const lastUsed = async () => (await storage.getApiKey(key.id))?.lastUsedAt;
      await storage.touchApiKey(key.id, T0 + 1_000);
      expect(await lastUsed()).toBe(T0 + 1_000);
      await storage.touchApiKey(key.id, T0 + 30_000);
      expect(await lastUsed()).toBe(T0 + 1_000);
      await storage.touchApiKey(key.id, T0 + 61_001);
      expect(await lastUsed()).toBe(T0 + 61_001);
      await storage.touchApiKey(uid("missing"), T0);
    });

    it("admin tokens are created, read and counted", async () => {
      const before = await storage.countAdminTokens();
      const tokens = [
        { id: uid("admin"), hash: bytes(32), createdAt: T0 },
        { id: uid("admin"), hash: bytes(32), createdAt: T0 + 1 },
      ];
      for (const token of tokens) await storage.createAdminToken(token);
      expect(await storage.countAdminTokens()).toBe(before + 2);
      expect(await storage.getAdminToken(tokens[1]?.id as string)).toEqual(tokens[1]);
      expect(await storage.getAdminToken(uid("missing"))).toBeNull();
      const listed = await storage.listAdminTokens();
      expect(listed).toHaveLength(before + 2);
      expect(listed.slice(-2)).toEqual(tokens);
    });

    it("admin tokens are deleted, except the last one, even by concurrent deletes", async () => {
      const tokens = [0, 1, 2].map((i) => ({
        id: uid("admin"),
        hash: bytes(32),
        createdAt: T0 + i,
      }));
      for (const token of tokens) await storage.createAdminToken(token);
      const mine = new Set(tokens.map((t) => t.id));
      for (const other of await storage.listAdminTokens()) {
        if (!mine.has(other.id)) expect(await storage.deleteAdminToken(other.id)).toBe("deleted");
      }
      const [a, b, c] = tokens.map((t) => t.id) as [string, string, string];
      expect(await storage.deleteAdminToken(uid("missing"))).toBe("missing");
      expect(await storage.deleteAdminToken(a)).toBe("deleted");
      expect(await storage.getAdminToken(a)).toBeNull();
      expect(await storage.deleteAdminToken(a)).toBe("missing");
      // Two at once on the last two: one is deleted, the other kept.
      const outcomes = await Promise.all([b, c].map((id) => storage.deleteAdminToken(id)));
      expect(outcomes.sort()).toEqual(["deleted", "last"]);
      expect(await storage.countAdminTokens()).toBe(1);
    });
  });

  describe("audit", () => {
    it("lists newest first, filters by store, action, key and time, and pages with before", async () => {
      const [project, other] = [await newProject(), await newProject()];
      const event = (i: number, overrides: Partial<AuditEvent>): AuditEvent => ({
        at: T0 + i,
        projectId: project.id,
        actor: "key:k1",
        action: "entry.put",
        storeId: "s1",
        apiKeyId: "k1",
        outcome: "ok",
        code: null,
        details: { count: i },
        ...overrides,
      });
      const anonymousAction = uid("auth.denied");
      await storage.appendAudit([
        event(0, {}),
        event(1, { storeId: "s2" }),
        event(2, { action: "store.create", actor: "admin:t1", apiKeyId: null }),
        event(3, { apiKeyId: "k2", actor: "key:k2", outcome: "denied", code: "FORBIDDEN" }),
        event(4, { storeId: "s2", details: { prefix: "abcd", nested: { n: [1, 2] } } }),
        event(5, { projectId: other.id }),
      ]);
      await storage.appendAudit([
        event(6, {
          projectId: null,
          storeId: null,
          apiKeyId: null,
          actor: "anonymous",
          action: anonymousAction,
          outcome: "denied",
          code: "UNAUTHORIZED",
          details: {},
        }),
      ]);
      await storage.appendAudit([]);

      const list = async (filter: Partial<Parameters<Storage["listAudit"]>[0]>) =>
        storage.listAudit({ projectId: project.id, limit: 100, ...filter });
      const counts = (events: AuditEvent[]) => events.map((e) => e.details.count ?? "x");

      const all = await list({});
      expect(all.map((e) => e.at)).toEqual([4, 3, 2, 1, 0].map((i) => T0 + i));
      const ids = all.map((e) => e.id as number);
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      expect(all[0]).toEqual({
        ...event(4, { storeId: "s2", details: { prefix: "abcd", nested: { n: [1, 2] } } }),
        id: ids[0],
      });
      expect(all[1]).toMatchObject({ outcome: "denied", code: "FORBIDDEN", apiKeyId: "k2" });

      expect(counts(await list({ storeId: "s2" }))).toEqual(["x", 1]);
      expect(counts(await list({ action: "store.create" }))).toEqual([2]);
      expect(counts(await list({ apiKeyId: "k1" }))).toEqual(["x", 1, 0]);
      expect(counts(await list({ storeId: "s1", apiKeyId: "k1" }))).toEqual([0]);
      expect(counts(await list({ since: T0 + 1, until: T0 + 3 }))).toEqual([2, 1]);
      expect(counts(await list({ projectId: other.id }))).toEqual([5]);
      expect(await storage.listAudit({ action: anonymousAction, limit: 10 })).toEqual([
        expect.objectContaining({
          projectId: null,
          actor: "anonymous",
          code: "UNAUTHORIZED",
          details: {},
        }),
      ]);

      // Paging backwards from the newest, two at a time.
      const paged: AuditEvent[] = [];
      let before: number | undefined;
      for (;;) {
        const page = await list({ limit: 2, before });
        if (page.length === 0) break;
        paged.push(...page);
        before = page[page.length - 1]?.id;
      }
      expect(paged).toEqual(all);
    });
  });

  describe("usage", () => {
    it("adds counts up, within one call and across calls, and lists by day and store", async () => {
      const project = await newProject();
      const p = project.id;
      await storage.addUsage([
        { projectId: p, storeId: "s1", day: "2024-01-01", reads: 1, writes: 2 },
        { projectId: p, storeId: "s1", day: "2024-01-01", reads: 3, writes: 4 },
        { projectId: p, storeId: "s2", day: "2024-01-02", reads: 5, writes: 0 },
        { projectId: p, storeId: "s1", day: "2023-12-31", reads: 9, writes: 9 },
      ]);
      await storage.addUsage([
        { projectId: p, storeId: "s1", day: "2024-01-01", reads: 10, writes: 10 },
      ]);
      // Concurrent upserts of the same row all count.
      await Promise.all(
        Array.from({ length: 10 }, () =>
          storage.addUsage([
            { projectId: p, storeId: "s2", day: "2024-01-02", reads: 1, writes: 1 },
          ]),
        ),
      );
      await storage.addUsage([]);

      expect(await storage.listUsage(p, "2024-01-01")).toEqual([
        { projectId: p, storeId: "s1", day: "2024-01-01", reads: 14, writes: 16 },
        { projectId: p, storeId: "s2", day: "2024-01-02", reads: 15, writes: 10 },
      ]);
      expect(await storage.listUsage(p, "2023-01-01", "s1")).toEqual([
        { projectId: p, storeId: "s1", day: "2023-12-31", reads: 9, writes: 9 },
        { projectId: p, storeId: "s1", day: "2024-01-01", reads: 14, writes: 16 },
      ]);
      expect(await storage.listUsage((await newProject()).id, "2000-01-01")).toEqual([]);
    });
  });

  describe("rate limits", () => {
    it("count hits per bucket and window", async () => {
      const [bucket, other] = [uid("ip"), uid("ip")];
      const window = T0 - (T0 % 60_000);
      expect(await storage.hitRateLimit(bucket, window)).toBe(1);
      expect(await storage.hitRateLimit(bucket, window)).toBe(2);
      expect(await storage.hitRateLimit(bucket, window)).toBe(3);
      expect(await storage.hitRateLimit(other, window)).toBe(1);
      expect(await storage.hitRateLimit(bucket, window + 60_000)).toBe(1);
      expect(await storage.hitRateLimit(bucket, window + 60_000)).toBe(2);
      // Concurrent hits each get their own count.
      const counts = await Promise.all(
        Array.from({ length: 20 }, () => storage.hitRateLimit(other, window)),
      );
      expect([...counts].sort((a, b) => a - b)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 2),
      );
    });
  });

  describe("export and import", () => {
    it("export everything from one snapshot, in the documented order", async () => {
      const db = (await freshDatabase())();
      await db.migrate();
      const [pa, pb] = [
        { id: "a-project", name: "A", createdAt: T0 },
        { id: "b-project", name: "B", createdAt: T0 },
      ];
      await db.createProject(pb);
      await db.createProject(pa);
      const stores = [storeRecord(pa.id, "s1"), storeRecord(pa.id, "s2"), storeRecord(pb.id, "s1")];
      for (const store of stores) await db.createStore(store);
      const shared = newBlindedId();
      await db.putEntries(pa.id, "s1", [entryWrite(shared), entryWrite(), entryWrite()], T0);
      await db.putEntries(pa.id, "s2", [entryWrite(), entryWrite()], T0);
      await db.putEntries(pb.id, "s1", [entryWrite(shared)], T0);
      const apiKey = {
        id: "key-1",
        projectId: pa.id,
        name: "k",
        hash: bytes(32),
        storeIds: ["s1"],
        readOnly: true,
        createdAt: T0,
        lastUsedAt: null,
        revokedAt: null,
      };
      await db.createApiKey(apiKey);
      const token = { id: "admin-1", hash: bytes(32), createdAt: T0 };
      await db.createAdminToken(token);

      // Start reading, then write: the export must not see the write.
      const iterator = db.exportAll()[Symbol.asyncIterator]();
      const first = await iterator.next();
      await db.createProject({ id: "c-project", name: "C", createdAt: T0 });
      await db.putEntry(pa.id, "s1", entryWrite(), T0 + 1);
      const records: SnapshotRecord[] = [first.value as SnapshotRecord];
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        records.push(next.value);
      }

      expect(records.map((r) => r.type)).toEqual([
        ...Array(2).fill("project"),
        ...Array(3).fill("store"),
        ...Array(6).fill("entry"),
        "apiKey",
        "adminToken",
      ]);
      expect(records.slice(0, 5)).toEqual([
        { type: "project", project: pa },
        { type: "project", project: pb },
        ...stores.map((store) => ({ type: "store", store })),
      ]);
      const expectedEntries: SnapshotRecord[] = [];
      for (const store of stores) {
        const entries = await db.listEntries(store.projectId, store.id, null, 100);
        const before = entries.filter((e) => e.updatedAt === T0);
        for (const entry of before) {
          expectedEntries.push({
            type: "entry",
            projectId: store.projectId,
            storeId: store.id,
            entry,
          });
        }
      }
      expect(records.slice(5, 11)).toEqual(expectedEntries);
      expect(records.slice(11)).toEqual([
        { type: "apiKey", apiKey },
        { type: "adminToken", adminToken: token },
      ]);
    });

    it("stopping an export early releases it", async () => {
      const db = (await freshDatabase())();
      await db.migrate();
      await db.createProject({ id: "p", name: "P", createdAt: T0 });
      // More early stops than the pool has connections: each must give its connection back.
      for (let i = 0; i < 6; i++) {
        for await (const record of db.exportAll()) {
          expect(record.type).toBe("project");
          break;
        }
      }
      await db.createProject({ id: "q", name: "Q", createdAt: T0 });
      expect((await collect(db.exportAll())).filter((r) => r.type === "project")).toHaveLength(2);
    });

    it("import entries as they are, refusing existing ones (nothing written)", async () => {
      const source = await newStore();
      await storage.putEntries(source.projectId, source.id, [entryWrite(), entryWrite()], T0);
      const updated = entryWrite();
      await storage.putEntry(source.projectId, source.id, updated, T0 + 1);
      await storage.putEntry(source.projectId, source.id, updated, T0 + 2);
      const exported = await storage.listEntries(source.projectId, source.id, null, 100);

      const target = await newStore();
      await storage.importEntries(target.projectId, target.id, exported);
      expect(await storage.listEntries(target.projectId, target.id, null, 100)).toEqual(exported);
      expect(
        (await storage.getEntry(target.projectId, target.id, updated.blindedId))?.version,
      ).toBe(2);
      await storage.importEntries(target.projectId, target.id, []);

      const fresh = { ...(exported[0] as EntryRecord), blindedId: newBlindedId() };
      const clash = exported[1] as EntryRecord;
      const error = await rejection(
        storage.importEntries(target.projectId, target.id, [fresh, clash]),
        "VERSION_CONFLICT",
      );
      expect(error.details).toEqual({ blindedId: clash.blindedId, currentVersion: clash.version });
      expect(await storage.getEntry(target.projectId, target.id, fresh.blindedId)).toBeNull();

      // The same id twice in one import is refused too.
      const twice = { ...fresh, blindedId: newBlindedId() };
      await rejection(
        storage.importEntries(target.projectId, target.id, [twice, twice]),
        "VERSION_CONFLICT",
      );
      expect(await storage.getEntry(target.projectId, target.id, twice.blindedId)).toBeNull();
    });
  });
});

describe("sqlite specifics", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "coffer-sqlite-busy-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("uses WAL, and answers SERVICE_UNAVAILABLE when the file stays locked past busy_timeout", async () => {
    const file = join(dir, "coffer.db");
    const storage = openSqliteStorage({ file });
    await storage.migrate();
    await storage.createProject({ id: "p", name: "P", createdAt: T0 });
    await storage.createStore({
      projectId: "p",
      id: "s",
      name: "S",
      createdAt: T0,
      dataKeyId: "dk",
      wrappedDataKey: bytes(72),
      masterKeyId: "mk",
    });
    const other = new Database(file);
    try {
      expect(other.pragma("journal_mode", { simple: true })).toBe("wal");
      other.exec("BEGIN IMMEDIATE");
      const started = Date.now();
      await rejection(storage.putEntry("p", "s", entryWrite(), T0), "SERVICE_UNAVAILABLE");
      expect(Date.now() - started).toBeGreaterThanOrEqual(4_000);
      other.exec("ROLLBACK");
      expect(await storage.putEntry("p", "s", entryWrite(), T0)).toBe(1);
    } finally {
      other.close();
      await storage.close();
    }
  });
});

describe("postgres outage", () => {
  let pg: TestPostgres;
  let storage: Storage;
  beforeAll(async () => {
    pg = await startPostgres();
    storage = openPostgresStorage({ url: pg.url, max: 4 });
    await storage.migrate();
  });
  afterAll(async () => {
    await storage?.close();
    await pg?.stop();
  });

  it("fails fast with SERVICE_UNAVAILABLE while down, and the same instance recovers", async () => {
    await storage.createProject({ id: "p", name: "P", createdAt: T0 });
    await storage.ping();
    await pg.pgStop();

    // Several calls in a row: reconnection backoff must not make later ones hang.
    for (const call of [
      () => storage.ping(),
      () => storage.getProject("p"),
      () => storage.createProject({ id: "q", name: "Q", createdAt: T0 }),
      () => storage.putEntries("p", "s", [entryWrite()], T0),
      () => collect(storage.exportAll()),
      () => storage.ping(),
    ]) {
      const started = Date.now();
      const error = await rejection(call(), "SERVICE_UNAVAILABLE");
      expect(error.message).toBe("The database is unavailable; retry shortly.");
      expect(Date.now() - started).toBeLessThan(6_000);
    }

    await pg.pgStart();
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await storage.ping();
        break;
      } catch (error) {
        if (
          !isCofferError(error) ||
          error.code !== "SERVICE_UNAVAILABLE" ||
          Date.now() > deadline
        ) {
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    expect(await storage.getProject("p")).toEqual({ id: "p", name: "P", createdAt: T0 });
    await storage.createProject({ id: "q", name: "Q", createdAt: T0 });
  });
});

describe("a PostgreSQL URL at a port that accepts and then closes", () => {
  // What a TCP proxy in front of a stopped PostgreSQL does (Docker's port proxy, HAProxy), and what
  // a URL pointing at another service's port can get. The driver alone reopened such a connection
  // at once, forever, and the query waiting for it never settled.
  it("fails fast with SERVICE_UNAVAILABLE, with backoff between connection attempts", async () => {
    let accepted = 0;
    const proxy = createServer((socket) => {
      accepted++;
      socket.end();
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const { port } = proxy.address() as { port: number };
    const storage = openPostgresStorage({
      url: `postgres://coffer@127.0.0.1:${port}/coffer`,
      max: 2,
    });
    try {
      for (const call of [() => storage.ping(), () => storage.getProject("p")]) {
        const started = Date.now();
        await rejection(call(), "SERVICE_UNAVAILABLE");
        expect(Date.now() - started).toBeLessThan(6_000);
      }
      // A backoff of 50 ms growing to 1 s: a handful of connections, not thousands a second.
      expect(accepted).toBeGreaterThan(0);
      expect(accepted).toBeLessThan(50);
    } finally {
      await storage.close();
      proxy.close();
    }
  });
});
