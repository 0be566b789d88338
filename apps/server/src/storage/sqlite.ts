// The embedded engine: one SQLite file through better-sqlite3 (synchronous; the methods are async
// only to share the Storage interface). WAL with synchronous = FULL, so an acknowledged write
// survives a crash or power loss, while readers never block the writer.
import Database from "better-sqlite3";
import {
  checkVersion,
  databaseBusy,
  failedDelete,
  failedWrite,
  importConflict,
  type Lookup,
  missingSource,
  projectExists,
  projectNotFound,
  storeExists,
  storeNotFound,
} from "./errors.js";
import { createGroupCommit } from "./group-commit.js";
import { MemoryRateLimiter } from "./rate-limit.js";
import {
  type AdminTokenRow,
  type ApiKeyRow,
  type AuditColumn,
  type AuditRow,
  auditEqualities,
  type EntryRow,
  fromAdminToken,
  fromApiKey,
  fromAuditEvent,
  fromEntry,
  fromStore,
  fromWrite,
  type LocatedEntryRow,
  mergeUsage,
  type ProjectRow,
  type StatsRow,
  type StoreRow,
  safeLimit,
  TOUCH_INTERVAL_MS,
  toAdminToken,
  toApiKey,
  toAuditEvent,
  toEntry,
  toProject,
  toStats,
  toStore,
  toStoreWithStats,
  toUsage,
  type UsageDbRow,
} from "./rows.js";
import { LATEST_SCHEMA_VERSION, MIGRATIONS_TABLE_SQLITE, pendingMigrations } from "./schema.js";
import type { EntryWrite, SnapshotRecord, Storage } from "./types.js";

const BUSY_TIMEOUT_MS = 5000;

const STORE_COLUMNS =
  "project_id, id, name, created_at, data_key_id, wrapped_data_key, master_key_id";
const ENTRY_COLUMNS = "blinded_id, key_id, sealed, size, version, created_at, updated_at";
const API_KEY_COLUMNS =
  "id, project_id, name, hash, store_ids, read_only, created_at, last_used_at, revoked_at";
const AUDIT_COLUMNS =
  "id, at, project_id, actor, action, store_id, api_key_id, outcome, code, details";
const ENTRY_KEY = "project_id = @project_id AND store_id = @store_id AND blinded_id = @blinded_id";

interface StoreKey {
  project_id: string;
  store_id: string;
}
interface EntryKey extends StoreKey {
  blinded_id: string;
}
type WriteParams = ReturnType<typeof fromWrite>;

interface AuditParams {
  project_id?: string;
  store_id?: string;
  action?: string;
  api_key_id?: string;
  before: number;
  since: number;
  until: number;
  limit: number;
}

/** The equality-filter columns of listAudit; one statement per subset, prepared up front. */
const AUDIT_FILTERS: AuditColumn[] = ["project_id", "store_id", "action", "api_key_id"];

function prepareStatements(db: Database.Database) {
  const auditByFilter = new Map<string, Database.Statement<[AuditParams], AuditRow>>();
  for (let mask = 0; mask < 1 << AUDIT_FILTERS.length; mask++) {
    const columns = AUDIT_FILTERS.filter((_, i) => mask & (1 << i));
    const where = [
      ...columns.map((c) => `${c} = @${c}`),
      "id < @before",
      "at >= @since",
      "at < @until",
    ];
    auditByFilter.set(
      columns.join(","),
      db.prepare(
        `SELECT ${AUDIT_COLUMNS} FROM audit_events WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT @limit`,
      ),
    );
  }

  const statsOf = (alias: string) =>
    `count(${alias}.blinded_id) AS entry_count, coalesce(sum(${alias}.size), 0) AS bytes, max(${alias}.updated_at) AS last_write_at`;

  return {
    insertProject: db.prepare<[ProjectRow]>(
      "INSERT INTO projects (id, name, created_at) VALUES (@id, @name, @created_at)",
    ),
    getProject: db.prepare<[string], ProjectRow>(
      "SELECT id, name, created_at FROM projects WHERE id = ?",
    ),
    listProjects: db.prepare<[], ProjectRow>(
      "SELECT id, name, created_at FROM projects ORDER BY id",
    ),

    insertStore: db.prepare<[StoreRow]>(
      `INSERT INTO stores (${STORE_COLUMNS}) VALUES (@project_id, @id, @name, @created_at, @data_key_id, @wrapped_data_key, @master_key_id)`,
    ),
    getStore: db.prepare<[StoreKey], StoreRow>(
      `SELECT ${STORE_COLUMNS} FROM stores WHERE project_id = @project_id AND id = @store_id`,
    ),
    storeExists: db.prepare<[StoreKey], { found: number }>(
      "SELECT 1 AS found FROM stores WHERE project_id = @project_id AND id = @store_id",
    ),
    listStores: db.prepare<[string], StoreRow & StatsRow>(
      `SELECT s.project_id, s.id, s.name, s.created_at, s.data_key_id, s.wrapped_data_key, s.master_key_id, ${statsOf("e")}
       FROM stores s LEFT JOIN entries e ON e.project_id = s.project_id AND e.store_id = s.id
       WHERE s.project_id = ? GROUP BY s.project_id, s.id ORDER BY s.id`,
    ),
    listAllStores: db.prepare<[], StoreRow>(
      `SELECT ${STORE_COLUMNS} FROM stores ORDER BY project_id, id`,
    ),
    storeStats: db.prepare<[StoreKey], StatsRow>(
      `SELECT ${statsOf("e")} FROM entries e WHERE e.project_id = @project_id AND e.store_id = @store_id`,
    ),
    storeKeyIds: db.prepare<[StoreKey], { key_id: string; count: number }>(
      `SELECT key_id, count(*) AS count FROM entries WHERE project_id = @project_id AND store_id = @store_id
       GROUP BY key_id ORDER BY key_id`,
    ),
    renameStore: db.prepare<[StoreKey & { name: string }]>(
      "UPDATE stores SET name = @name WHERE project_id = @project_id AND id = @store_id",
    ),
    // Entries go by ON DELETE CASCADE, in the same statement.
    deleteStore: db.prepare<[StoreKey]>(
      "DELETE FROM stores WHERE project_id = @project_id AND id = @store_id",
    ),
    rewrapDataKey: db.prepare<[StoreKey & { wrapped_data_key: Uint8Array; master_key_id: string }]>(
      `UPDATE stores SET wrapped_data_key = @wrapped_data_key, master_key_id = @master_key_id
       WHERE project_id = @project_id AND id = @store_id`,
    ),

    getEntry: db.prepare<[EntryKey], EntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM entries WHERE ${ENTRY_KEY}`,
    ),
    // One statement for any number of ids: they arrive as a JSON array.
    getEntries: db.prepare<[StoreKey & { ids: string }], EntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM entries WHERE project_id = @project_id AND store_id = @store_id
       AND blinded_id IN (SELECT value FROM json_each(@ids))`,
    ),
    entryVersion: db.prepare<[EntryKey], { version: number }>(
      `SELECT version FROM entries WHERE ${ENTRY_KEY}`,
    ),
    upsertEntry: db.prepare<[WriteParams], { version: number }>(
      `INSERT INTO entries (project_id, store_id, blinded_id, key_id, sealed, size, version, created_at, updated_at)
       VALUES (@project_id, @store_id, @blinded_id, @key_id, @sealed, @size, 1, @now, @now)
       ON CONFLICT (project_id, store_id, blinded_id) DO UPDATE SET key_id = excluded.key_id,
         sealed = excluded.sealed, size = excluded.size, version = entries.version + 1,
         updated_at = excluded.updated_at
       RETURNING version`,
    ),
    createEntry: db.prepare<[WriteParams], { version: number }>(
      `INSERT INTO entries (project_id, store_id, blinded_id, key_id, sealed, size, version, created_at, updated_at)
       VALUES (@project_id, @store_id, @blinded_id, @key_id, @sealed, @size, 1, @now, @now)
       ON CONFLICT DO NOTHING RETURNING version`,
    ),
    updateEntry: db.prepare<[WriteParams & { if_version: number }], { version: number }>(
      `UPDATE entries SET key_id = @key_id, sealed = @sealed, size = @size, version = version + 1,
         updated_at = @now
       WHERE ${ENTRY_KEY} AND version = @if_version RETURNING version`,
    ),
    importEntry: db.prepare<[LocatedEntryRow], { version: number }>(
      `INSERT INTO entries (project_id, store_id, ${ENTRY_COLUMNS})
       VALUES (@project_id, @store_id, @blinded_id, @key_id, @sealed, @size, @version, @created_at, @updated_at)
       ON CONFLICT DO NOTHING RETURNING version`,
    ),
    deleteEntry: db.prepare<[EntryKey]>(`DELETE FROM entries WHERE ${ENTRY_KEY}`),
    deleteEntryAt: db.prepare<[EntryKey & { if_version: number }]>(
      `DELETE FROM entries WHERE ${ENTRY_KEY} AND version = @if_version`,
    ),
    listEntriesFirst: db.prepare<[StoreKey & { limit: number }], EntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM entries WHERE project_id = @project_id AND store_id = @store_id
       ORDER BY blinded_id LIMIT @limit`,
    ),
    listEntriesAfter: db.prepare<[StoreKey & { after: string; limit: number }], EntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM entries WHERE project_id = @project_id AND store_id = @store_id
       AND blinded_id > @after ORDER BY blinded_id LIMIT @limit`,
    ),

    insertApiKey: db.prepare<[ApiKeyRow]>(
      `INSERT INTO api_keys (${API_KEY_COLUMNS}) VALUES (@id, @project_id, @name, @hash, @store_ids,
       @read_only, @created_at, @last_used_at, @revoked_at)`,
    ),
    getApiKey: db.prepare<[string], ApiKeyRow>(
      `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE id = ?`,
    ),
    listApiKeys: db.prepare<[string], ApiKeyRow>(
      `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE project_id = ? ORDER BY created_at, id`,
    ),
    // Revoking twice keeps the first time; `changes` still says whether the key is there.
    revokeApiKey: db.prepare<[{ project_id: string; id: string; now: number }]>(
      `UPDATE api_keys SET revoked_at = coalesce(revoked_at, @now)
       WHERE id = @id AND project_id = @project_id`,
    ),
    touchApiKey: db.prepare<[{ id: string; now: number; stale_before: number }]>(
      `UPDATE api_keys SET last_used_at = @now
       WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @stale_before)`,
    ),

    insertAdminToken: db.prepare<[AdminTokenRow]>(
      "INSERT INTO admin_tokens (id, hash, created_at) VALUES (@id, @hash, @created_at)",
    ),
    getAdminToken: db.prepare<[string], AdminTokenRow>(
      "SELECT id, hash, created_at FROM admin_tokens WHERE id = ?",
    ),
    countAdminTokens: db.prepare<[], { count: number }>(
      "SELECT count(*) AS count FROM admin_tokens",
    ),
    listAdminTokens: db.prepare<[], AdminTokenRow>(
      "SELECT id, hash, created_at FROM admin_tokens ORDER BY created_at, id",
    ),
    deleteAdminToken: db.prepare<[string]>("DELETE FROM admin_tokens WHERE id = ?"),

    insertAudit: db.prepare<[Omit<AuditRow, "id">]>(
      `INSERT INTO audit_events (at, project_id, actor, action, store_id, api_key_id, outcome, code, details)
       VALUES (@at, @project_id, @actor, @action, @store_id, @api_key_id, @outcome, @code, @details)`,
    ),
    auditByFilter,

    addUsage: db.prepare<[UsageDbRow]>(
      `INSERT INTO usage (project_id, store_id, day, reads, writes)
       VALUES (@project_id, @store_id, @day, @reads, @writes)
       ON CONFLICT (project_id, store_id, day) DO UPDATE SET reads = usage.reads + excluded.reads,
         writes = usage.writes + excluded.writes`,
    ),
    listUsage: db.prepare<[{ project_id: string; since: string }], UsageDbRow>(
      `SELECT project_id, store_id, day, reads, writes FROM usage
       WHERE project_id = @project_id AND day >= @since ORDER BY day, store_id`,
    ),
    listStoreUsage: db.prepare<[StoreKey & { since: string }], UsageDbRow>(
      `SELECT project_id, store_id, day, reads, writes FROM usage
       WHERE project_id = @project_id AND store_id = @store_id AND day >= @since ORDER BY day`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

function sqliteCode(error: unknown): string | undefined {
  return error instanceof Database.SqliteError ? error.code : undefined;
}

function isUniqueViolation(error: unknown): boolean {
  const code = sqliteCode(error);
  return code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE";
}

function isForeignKeyViolation(error: unknown): boolean {
  return sqliteCode(error) === "SQLITE_CONSTRAINT_FOREIGNKEY";
}

/** SQLITE_BUSY / SQLITE_LOCKED (and their extended codes) once busy_timeout has run out. */
function toStorageError(error: unknown): unknown {
  const code = sqliteCode(error);
  if (code?.startsWith("SQLITE_BUSY") || code?.startsWith("SQLITE_LOCKED")) {
    return databaseBusy(error);
  }
  return error;
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw toStorageError(error);
  }
}

/** Runs `fn`, turning a missing parent row (foreign key) into the caller's error. */
function parentMustExist<T>(fn: () => T, missing: () => Error): T {
  try {
    return fn();
  } catch (error) {
    throw isForeignKeyViolation(error) ? missing() : error;
  }
}

export function openSqliteStorage(options: { file: string }): Storage {
  const { file } = options;
  const db = guard(() => new Database(file, { timeout: BUSY_TIMEOUT_MS }));
  try {
    guard(() => {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      db.pragma("foreign_keys = ON");
      // Deleted rows are overwritten, not left in free pages: a deleted store's wrapped data key
      // (and its entries, and any replaced envelope) must not be readable from the file after.
      db.pragma("secure_delete = ON");
      db.exec(MIGRATIONS_TABLE_SQLITE);
    });
  } catch (error) {
    db.close();
    throw error;
  }

  const appliedVersions = db.prepare<[], { version: number }>(
    "SELECT version FROM schema_migrations",
  );
  const currentSchema = db.prepare<[], { version: number }>(
    "SELECT coalesce(max(version), 0) AS version FROM schema_migrations",
  );
  const selectOne = db.prepare("SELECT 1");
  const recordMigration = db.prepare<[{ version: number; name: string; applied_at: number }]>(
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @applied_at)",
  );

  // Data statements need the tables: prepared once, now if the schema is there, else after migrate().
  let prepared: Statements | undefined;
  const st = (): Statements => {
    prepared ??= prepareStatements(db);
    return prepared;
  };
  if ((currentSchema.get()?.version ?? 0) >= LATEST_SCHEMA_VERSION) st();

  const rateLimiter = new MemoryRateLimiter();
  const group = createGroupCommit(db, toStorageError);

  function lookup(key: EntryKey): Lookup {
    const s = st();
    return {
      currentVersion: s.entryVersion.get(key)?.version ?? 0,
      storeExists: s.storeExists.get(key) !== undefined,
    };
  }

  /** One compare-and-set write; call inside a transaction. */
  function writeEntry(projectId: string, storeId: string, write: EntryWrite, now: number): number {
    const s = st();
    const params = fromWrite(projectId, storeId, write, now);
    const row =
      write.ifVersion === undefined
        ? s.upsertEntry.get(params)
        : write.ifVersion === 0
          ? s.createEntry.get(params)
          : s.updateEntry.get({ ...params, if_version: write.ifVersion });
    if (row !== undefined) return row.version;
    throw failedWrite(storeId, write.blindedId, write.ifVersion, lookup(params));
  }

  // Write transactions are IMMEDIATE: they wait for the write lock (busy_timeout) up front rather
  // than fail with SQLITE_BUSY when a read turns into a write. The data path's writes run inside
  // the group commit's shared IMMEDIATE transaction, where these nest as savepoints.
  const migrateTx = db.transaction(() => {
    const done = appliedVersions.all().map((row) => row.version);
    const applied: number[] = [];
    for (const migration of pendingMigrations(done)) {
      db.exec(migration.sqlite);
      recordMigration.run({
        version: migration.version,
        name: migration.name,
        applied_at: Date.now(),
      });
      applied.push(migration.version);
    }
    return applied;
  });

  const putEntriesTx = db.transaction(
    (projectId: string, storeId: string, writes: EntryWrite[], now: number) =>
      writes.map((write) => writeEntry(projectId, storeId, write, now)),
  );

  const moveEntryTx = db.transaction(
    (
      projectId: string,
      storeId: string,
      from: string,
      to: EntryWrite,
      now: number,
      fromVersion: number | undefined,
    ) => {
      const s = st();
      const source = { project_id: projectId, store_id: storeId, blinded_id: from };
      const current = s.entryVersion.get(source)?.version;
      if (current === undefined) {
        throw missingSource(storeId, from, s.storeExists.get(source) !== undefined);
      }
      checkVersion(from, fromVersion, current);
      const version = writeEntry(projectId, storeId, to, now);
      if (to.blindedId !== from) s.deleteEntry.run(source);
      return version;
    },
  );

  const deleteEntryTx = db.transaction(
    (projectId: string, storeId: string, blindedId: string, ifVersion: number | undefined) => {
      const s = st();
      const key = { project_id: projectId, store_id: storeId, blinded_id: blindedId };
      const { changes } =
        ifVersion === undefined
          ? s.deleteEntry.run(key)
          : s.deleteEntryAt.run({ ...key, if_version: ifVersion });
      return changes > 0 || failedDelete(storeId, blindedId, ifVersion, lookup(key));
    },
  );

  const rewrapTx = db.transaction((updates: Parameters<Storage["rewrapDataKeys"]>[0]) => {
    const s = st();
    for (const u of updates) {
      s.rewrapDataKey.run({
        project_id: u.projectId,
        store_id: u.storeId,
        wrapped_data_key: u.wrappedDataKey,
        master_key_id: u.masterKeyId,
      });
    }
  });

  const importTx = db.transaction(
    (projectId: string, storeId: string, entries: Parameters<Storage["importEntries"]>[2]) => {
      const s = st();
      for (const entry of entries) {
        const row = fromEntry(projectId, storeId, entry);
        if (s.importEntry.get(row) === undefined) {
          throw importConflict(entry.blindedId, s.entryVersion.get(row)?.version ?? 0);
        }
      }
    },
  );

  // One transaction, so two processes cannot each delete one of the last two tokens.
  const deleteAdminTokenTx = db.transaction((id: string): "deleted" | "missing" | "last" => {
    if (st().getAdminToken.get(id) === undefined) return "missing";
    if ((st().countAdminTokens.get()?.count ?? 0) <= 1) return "last";
    st().deleteAdminToken.run(id);
    return "deleted";
  });
  const appendAuditTx = db.transaction((events: Parameters<Storage["appendAudit"]>[0]) => {
    const s = st();
    for (const event of events) s.insertAudit.run(fromAuditEvent(event));
  });

  const addUsageTx = db.transaction((rows: UsageDbRow[]) => {
    const s = st();
    for (const row of rows) s.addUsage.run(row);
  });

  return {
    engine: "sqlite",

    async migrate() {
      return guard(() => {
        const applied = migrateTx.immediate();
        st();
        return applied;
      });
    },

    async schemaVersion() {
      return guard(() => currentSchema.get()?.version ?? 0);
    },

    async ping() {
      guard(() => selectOne.get());
    },

    async close() {
      if (!db.open) return;
      group.flush();
      db.close();
    },

    async createProject(project) {
      guard(() => {
        try {
          st().insertProject.run({
            id: project.id,
            name: project.name,
            created_at: project.createdAt,
          });
        } catch (error) {
          throw isUniqueViolation(error) ? projectExists(project.id) : error;
        }
      });
    },

    async getProject(id) {
      return guard(() => {
        const row = st().getProject.get(id);
        return row === undefined ? null : toProject(row);
      });
    },

    async listProjects() {
      return guard(() => st().listProjects.all().map(toProject));
    },

    async createStore(store) {
      guard(() => {
        try {
          st().insertStore.run(fromStore(store));
        } catch (error) {
          if (isUniqueViolation(error)) throw storeExists(store.id);
          if (isForeignKeyViolation(error)) throw projectNotFound(store.projectId);
          throw error;
        }
      });
    },

    async getStore(projectId, id) {
      return guard(() => {
        const row = st().getStore.get({ project_id: projectId, store_id: id });
        return row === undefined ? null : toStore(row);
      });
    },

    async listStores(projectId) {
      return guard(() => st().listStores.all(projectId).map(toStoreWithStats));
    },

    async listAllStores() {
      return guard(() => st().listAllStores.all().map(toStore));
    },

    async getStoreStats(projectId, id) {
      return guard(() => {
        const row = st().storeStats.get({ project_id: projectId, store_id: id });
        return row === undefined ? { entryCount: 0, bytes: 0, lastWriteAt: null } : toStats(row);
      });
    },

    async getStoreKeyIds(projectId, id) {
      return guard(() =>
        st()
          .storeKeyIds.all({ project_id: projectId, store_id: id })
          .map((row) => ({ keyId: row.key_id, count: row.count })),
      );
    },

    async renameStore(projectId, id, name) {
      return guard(
        () => st().renameStore.run({ project_id: projectId, store_id: id, name }).changes > 0,
      );
    },

    async deleteStore(projectId, id) {
      return guard(() => {
        const deleted = st().deleteStore.run({ project_id: projectId, store_id: id }).changes > 0;
        // The WAL still holds the pages as they were before the delete (wrapped data key
        // included): copy the zeroed pages into the database and empty the WAL. Best effort, and
        // without waiting: a reader in another process (a backup) keeps the WAL from emptying,
        // and the busy handler would stall the event loop for busy_timeout; the WAL's frames are
        // overwritten once later checkpoints let it restart. The delete has committed either way.
        if (deleted) {
          try {
            db.pragma("busy_timeout = 0");
            db.pragma("wal_checkpoint(TRUNCATE)");
          } catch {
            // Busy: see above.
          } finally {
            db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
          }
        }
        return deleted;
      });
    },

    async rewrapDataKeys(updates) {
      guard(() => rewrapTx.immediate(updates));
    },

    async getEntry(projectId, storeId, blindedId) {
      return guard(() => {
        const row = st().getEntry.get({
          project_id: projectId,
          store_id: storeId,
          blinded_id: blindedId,
        });
        return row === undefined ? null : toEntry(row);
      });
    },

    async getEntries(projectId, storeId, blindedIds) {
      if (blindedIds.length === 0) return [];
      return guard(() =>
        st()
          .getEntries.all({
            project_id: projectId,
            store_id: storeId,
            ids: JSON.stringify(blindedIds),
          })
          .map(toEntry),
      );
    },

    async putEntry(projectId, storeId, write, now) {
      return group.write(() =>
        parentMustExist(
          () => putEntriesTx(projectId, storeId, [write], now)[0] as number,
          () => storeNotFound(storeId),
        ),
      );
    },

    async putEntries(projectId, storeId, writes, now) {
      if (writes.length === 0) return [];
      return group.write(() =>
        parentMustExist(
          () => putEntriesTx(projectId, storeId, writes, now),
          () => storeNotFound(storeId),
        ),
      );
    },

    async deleteEntry(projectId, storeId, blindedId, ifVersion) {
      return group.write(() => deleteEntryTx(projectId, storeId, blindedId, ifVersion));
    },

    async moveEntry(projectId, storeId, fromBlindedId, to, now, fromVersion) {
      return group.write(() =>
        parentMustExist(
          () => moveEntryTx(projectId, storeId, fromBlindedId, to, now, fromVersion),
          () => storeNotFound(storeId),
        ),
      );
    },

    async listEntries(projectId, storeId, after, limit) {
      return guard(() => {
        const s = st();
        const key = { project_id: projectId, store_id: storeId, limit: safeLimit(limit) };
        const rows =
          after === null ? s.listEntriesFirst.all(key) : s.listEntriesAfter.all({ ...key, after });
        return rows.map(toEntry);
      });
    },

    async createApiKey(key) {
      guard(() =>
        parentMustExist(
          () => st().insertApiKey.run({ ...fromApiKey(key), read_only: key.readOnly ? 1 : 0 }),
          () => projectNotFound(key.projectId),
        ),
      );
    },

    async getApiKey(id) {
      return guard(() => {
        const row = st().getApiKey.get(id);
        return row === undefined ? null : toApiKey(row);
      });
    },

    async listApiKeys(projectId) {
      return guard(() => st().listApiKeys.all(projectId).map(toApiKey));
    },

    async revokeApiKey(projectId, id, now) {
      return guard(() => st().revokeApiKey.run({ project_id: projectId, id, now }).changes > 0);
    },

    async touchApiKey(id, now) {
      await group.write(() =>
        st().touchApiKey.run({ id, now, stale_before: now - TOUCH_INTERVAL_MS }),
      );
    },

    async createAdminToken(token) {
      guard(() => st().insertAdminToken.run(fromAdminToken(token)));
    },

    async getAdminToken(id) {
      return guard(() => {
        const row = st().getAdminToken.get(id);
        return row === undefined ? null : toAdminToken(row);
      });
    },

    async countAdminTokens() {
      return guard(() => st().countAdminTokens.get()?.count ?? 0);
    },

    async listAdminTokens() {
      return guard(() => st().listAdminTokens.all().map(toAdminToken));
    },

    async deleteAdminToken(id) {
      return guard(() => deleteAdminTokenTx(id));
    },

    async appendAudit(events) {
      if (events.length === 0) return;
      await group.write(() => appendAuditTx(events));
    },

    async listAudit(filter) {
      return guard(() => {
        const equalities = auditEqualities(filter);
        const statement = st().auditByFilter.get(equalities.map(([column]) => column).join(","));
        if (statement === undefined) throw new Error("listAudit: no statement for this filter");
        const params: AuditParams = {
          ...Object.fromEntries(equalities),
          before: filter.before ?? Number.MAX_SAFE_INTEGER,
          since: filter.since ?? Number.MIN_SAFE_INTEGER,
          until: filter.until ?? Number.MAX_SAFE_INTEGER,
          limit: safeLimit(filter.limit),
        };
        return statement.all(params).map(toAuditEvent);
      });
    },

    async addUsage(rows) {
      if (rows.length === 0) return;
      await group.write(() => addUsageTx(mergeUsage(rows)));
    },

    async listUsage(projectId, sinceDay, storeId) {
      return guard(() => {
        const s = st();
        const rows =
          storeId === undefined
            ? s.listUsage.all({ project_id: projectId, since: sinceDay })
            : s.listStoreUsage.all({ project_id: projectId, store_id: storeId, since: sinceDay });
        return rows.map(toUsage);
      });
    },

    async hitRateLimit(bucket, windowStart) {
      return rateLimiter.hit(bucket, windowStart);
    },

    exportAll() {
      return exportSnapshot(file);
    },

    async importEntries(projectId, storeId, entries) {
      if (entries.length === 0) return;
      guard(() =>
        parentMustExist(
          () => importTx.immediate(projectId, storeId, entries),
          () => storeNotFound(storeId),
        ),
      );
    },
  };
}

/**
 * Reads everything from one snapshot. It uses its own read-only connection: a read transaction
 * and an open cursor on the shared connection would last across the consumer's awaits, capturing
 * (or blocking) every write the service makes meanwhile. In WAL mode writers carry on.
 */
async function* exportSnapshot(file: string): AsyncGenerator<SnapshotRecord> {
  let reader: Database.Database | undefined;
  try {
    reader = new Database(file, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    // Deferred: the snapshot is taken at the first read, and kept until COMMIT.
    reader.exec("BEGIN");
    const projects = reader.prepare<[], ProjectRow>(
      "SELECT id, name, created_at FROM projects ORDER BY id",
    );
    for (const row of projects.iterate()) yield { type: "project", project: toProject(row) };

    const stores = reader.prepare<[], StoreRow>(
      `SELECT ${STORE_COLUMNS} FROM stores ORDER BY project_id, id`,
    );
    for (const row of stores.iterate()) yield { type: "store", store: toStore(row) };

    // The primary key's order: store by store, by blinded id, streamed rather than loaded.
    const entries = reader.prepare<[], LocatedEntryRow>(
      `SELECT project_id, store_id, ${ENTRY_COLUMNS} FROM entries ORDER BY project_id, store_id, blinded_id`,
    );
    for (const row of entries.iterate()) {
      yield {
        type: "entry",
        projectId: row.project_id,
        storeId: row.store_id,
        entry: toEntry(row),
      };
    }

    const apiKeys = reader.prepare<[], ApiKeyRow>(
      `SELECT ${API_KEY_COLUMNS} FROM api_keys ORDER BY id`,
    );
    for (const row of apiKeys.iterate()) yield { type: "apiKey", apiKey: toApiKey(row) };

    const tokens = reader.prepare<[], AdminTokenRow>(
      "SELECT id, hash, created_at FROM admin_tokens ORDER BY id",
    );
    for (const row of tokens.iterate()) yield { type: "adminToken", adminToken: toAdminToken(row) };

    reader.exec("COMMIT");
  } catch (error) {
    throw toStorageError(error);
  } finally {
    reader?.close();
  }
}
