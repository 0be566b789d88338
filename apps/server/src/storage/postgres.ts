// The shared engine: PostgreSQL through the `postgres` client (a lazy pool; a connection that dies
// is dropped and the next query opens a new one, so the pool recovers on its own when the server
// comes back). Statements are tagged templates, prepared per connection by the client.
import { type Socket, connect as tcpConnect } from "node:net";
import postgres from "postgres";
import {
  checkVersion,
  databaseUnavailable,
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
import { handoff } from "./handoff.js";
import { SharedRateLimiter, STALE_WINDOW_MS, SWEEP_EVERY_MS } from "./rate-limit.js";
import {
  type AdminTokenRow,
  type ApiKeyRow,
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
import { MIGRATIONS_TABLE_POSTGRES, pendingMigrations } from "./schema.js";
import type { EntryWrite, SnapshotRecord, Storage } from "./types.js";

/** pg_advisory_xact_lock key serialising migrations: "coffer" in ASCII. */
const MIGRATION_LOCK = 0x636f66666572;
/** Rows per multi-row INSERT (well under the protocol's 65 534 parameters). */
const INSERT_CHUNK = 500;
/** Rows per round trip when exporting. */
const EXPORT_BATCH = 500;

/** What the driver hands its `socket` option: the parsed connection options. */
interface SocketOptions {
  host: string[];
  port: number[];
  path: string | false;
  ssl: unknown;
}

/**
 * Opens the driver's sockets, as the driver itself would, with one difference. postgres 3.4.9
 * reopens a connection at once, without backoff and without failing the query that waits for it,
 * when the peer closes it cleanly before the session is ready: what a TCP proxy or load balancer in
 * front of a stopped PostgreSQL does (Docker's port proxy, HAProxy: accept, then close), and what a
 * URL pointing at another service's port gets. Requests then hung, the loop opened hundreds of
 * connections a second, and once the local ports ran out it stalled for good: the server never
 * recovered. Here such a close is an error, which fails the waiting query (503, retry) and sends
 * the connection through the driver's backoff.
 */
export function openSocket(): (options: SocketOptions) => Socket {
  let next = 0;
  return (options) => {
    const index = next++ % Math.max(1, options.host.length);
    const host = options.host[index] ?? "localhost";
    const port = options.port[index] ?? options.port[0] ?? 5432;
    const socket = options.path ? tcpConnect(options.path) : tcpConnect(port, host);
    // Read by the driver for TLS server names, as on its own sockets.
    Object.assign(socket, { host, port });
    // Plain connections: ready at the first ReadyForQuery ('Z'). With TLS the driver takes the
    // socket's listeners over once the server answers; until then, any byte counts.
    const plain = !options.ssl;
    let ready = false;
    let pending: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      if (!plain) {
        ready = true;
        socket.off("data", onData);
        return;
      }
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 5) {
        const length = pending.readUInt32BE(1);
        if (pending[0] === 0x5a) {
          ready = true;
          socket.off("data", onData);
          pending = Buffer.alloc(0);
          return;
        }
        // Not PostgreSQL's framing (another service on that port): stop reading, stay not ready.
        if (length < 4 || length > 1 << 20) {
          socket.off("data", onData);
          pending = Buffer.alloc(0);
          return;
        }
        if (pending.length < 1 + length) return;
        pending = pending.subarray(1 + length);
      }
    };
    socket.on("data", onData);
    socket.on("end", () => {
      if (ready) return;
      socket.destroy(
        Object.assign(
          new Error(
            `${options.path || `${host}:${port}`} closed the connection before PostgreSQL was ready (is PostgreSQL running there?)`,
          ),
          { code: "ECONNRESET" },
        ),
      );
    });
    return socket;
  };
}

function connect(url: string, max: number) {
  return postgres(url, {
    max,
    // A documented option of the driver that its type declarations leave out.
    ...({ socket: openSocket() } as Record<never, never>),
    connect_timeout: 5,
    idle_timeout: 30,
    // Seconds before reconnecting after a failure. The default grows to 20 s, and a query waits
    // that long before it is even tried; 1 s at most keeps outages failing fast and recovery quick.
    backoff: (attempt: number) => Math.min(0.05 * 2 ** attempt, 1),
    onnotice: () => {},
    connection: { application_name: "coffer" },
    // BIGINT (times, counts, ids) as numbers: epoch ms and our counters fit a double exactly.
    types: {
      bigint: {
        to: 20,
        from: [20],
        serialize: (value: number) => String(value),
        parse: (value: string) => Number(value),
      },
    },
  });
}

type Sql = ReturnType<typeof connect>;
/** The pool or a transaction: what the statement helpers below run on. */
type Query = postgres.ISql<{ bigint: number }>;

// Errors that mean "the server cannot be reached right now", not "this query is wrong".
const CONNECTION_ERRNOS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
]);
const UNAVAILABLE_SQLSTATES = new Set([
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, shutting down)
  "53300", // too_many_connections
]);

function isConnectionError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  if (error instanceof AggregateError) return error.errors.some(isConnectionError);
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (CONNECTION_ERRNOS.has(code) || UNAVAILABLE_SQLSTATES.has(code)) return true;
    // Class 08: connection exception.
    if (error instanceof postgres.PostgresError && code.startsWith("08")) return true;
  }
  return error instanceof Error && /Connection terminated/i.test(error.message);
}

function sqlState(error: unknown): string | undefined {
  return error instanceof postgres.PostgresError ? error.code : undefined;
}

const isUniqueViolation = (error: unknown) => sqlState(error) === "23505";
const isForeignKeyViolation = (error: unknown) => sqlState(error) === "23503";

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw isConnectionError(error) ? databaseUnavailable(error) : error;
  }
}

/** Runs `fn`, turning a missing parent row (foreign key) into the caller's error. */
async function parentMustExist<T>(fn: () => Promise<T>, missing: () => Error): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw isForeignKeyViolation(error) ? missing() : error;
  }
}

async function lookup(q: Query, projectId: string, storeId: string, blindedId: string) {
  const [entry] = await q<{ version: number }[]>`
    SELECT version FROM entries
    WHERE project_id = ${projectId} AND store_id = ${storeId} AND blinded_id = ${blindedId}`;
  const found: Lookup = {
    currentVersion: entry?.version ?? 0,
    storeExists: entry !== undefined || (await storeFound(q, projectId, storeId)),
  };
  return found;
}

/**
 * First statement of a transaction that writes several entries: the store row's key-share lock
 * before any entry row's lock, the order a store delete takes them in (store row, then its
 * entries by cascade). Taken later by each insert's foreign-key check, it deadlocked with a
 * concurrent delete of the store (PostgreSQL aborted one of them: a 500).
 */
async function lockStore(tx: Query, projectId: string, storeId: string): Promise<void> {
  const rows = await tx`
    SELECT 1 FROM stores WHERE project_id = ${projectId} AND id = ${storeId} FOR KEY SHARE`;
  if (rows.length === 0) throw storeNotFound(storeId);
}

async function storeFound(q: Query, projectId: string, storeId: string): Promise<boolean> {
  const rows = await q`SELECT 1 FROM stores WHERE project_id = ${projectId} AND id = ${storeId}`;
  return rows.length > 0;
}

/** One compare-and-set write, as a single statement; the explanation only when it fails. */
async function writeEntry(
  q: Query,
  projectId: string,
  storeId: string,
  write: EntryWrite,
  now: number,
): Promise<number> {
  const w = fromWrite(projectId, storeId, write, now);
  const rows =
    write.ifVersion === undefined
      ? await q<{ version: number }[]>`
        INSERT INTO entries (project_id, store_id, blinded_id, key_id, sealed, size, version, created_at, updated_at)
        VALUES (${w.project_id}, ${w.store_id}, ${w.blinded_id}, ${w.key_id}, ${w.sealed}, ${w.size}, 1, ${now}, ${now})
        ON CONFLICT (project_id, store_id, blinded_id) DO UPDATE SET key_id = excluded.key_id,
          sealed = excluded.sealed, size = excluded.size, version = entries.version + 1,
          updated_at = excluded.updated_at
        RETURNING version`
      : write.ifVersion === 0
        ? await q<{ version: number }[]>`
          INSERT INTO entries (project_id, store_id, blinded_id, key_id, sealed, size, version, created_at, updated_at)
          VALUES (${w.project_id}, ${w.store_id}, ${w.blinded_id}, ${w.key_id}, ${w.sealed}, ${w.size}, 1, ${now}, ${now})
          ON CONFLICT DO NOTHING RETURNING version`
        : await q<{ version: number }[]>`
          UPDATE entries SET key_id = ${w.key_id}, sealed = ${w.sealed}, size = ${w.size},
            version = version + 1, updated_at = ${now}
          WHERE project_id = ${projectId} AND store_id = ${storeId} AND blinded_id = ${w.blinded_id}
            AND version = ${write.ifVersion}
          RETURNING version`;
  const row = rows[0];
  if (row !== undefined) return row.version;
  throw failedWrite(
    storeId,
    write.blindedId,
    write.ifVersion,
    await lookup(q, projectId, storeId, write.blindedId),
  );
}

export function openPostgresStorage(options: { url: string; max?: number }): Storage {
  const sql: Sql = connect(options.url, options.max ?? 10);
  let lastSweep = Number.NEGATIVE_INFINITY;
  // Shared by every process on this database, but not a write per request: see SharedRateLimiter.
  const rateLimiter = new SharedRateLimiter((bucket, windowStart, add) =>
    guard(async () => {
      // The bucket's earlier windows are over: drop them in the same round trip.
      const [row] = await sql<{ count: number }[]>`
        WITH stale AS (
          DELETE FROM rate_limits WHERE bucket = ${bucket} AND window_start < ${windowStart}
        )
        INSERT INTO rate_limits (bucket, window_start, count) VALUES (${bucket}, ${windowStart}, ${add})
        ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limits.count + ${add}
        RETURNING count`;
      if (windowStart - lastSweep >= SWEEP_EVERY_MS) {
        // Now and then, buckets that went quiet.
        lastSweep = windowStart;
        await sql`DELETE FROM rate_limits WHERE window_start < ${windowStart - STALE_WINDOW_MS}`;
      }
      return row?.count ?? add;
    }),
  );

  return {
    engine: "postgres",

    async migrate() {
      return guard(() =>
        sql.begin(async (tx) => {
          // Serialises concurrent starts; released at commit. Taken before touching any table.
          await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
          await tx.unsafe(MIGRATIONS_TABLE_POSTGRES);
          const done = await tx<{ version: number }[]>`SELECT version FROM schema_migrations`;
          const applied: number[] = [];
          for (const migration of pendingMigrations(done.map((row) => row.version))) {
            await tx.unsafe(migration.postgres).simple();
            await tx`
              INSERT INTO schema_migrations (version, name, applied_at)
              VALUES (${migration.version}, ${migration.name}, ${Date.now()})`;
            applied.push(migration.version);
          }
          return applied;
        }),
      );
    },

    async schemaVersion() {
      return guard(async () => {
        const [table] = await sql<{ found: string | null }[]>`
          SELECT to_regclass('schema_migrations')::text AS found`;
        if (!table?.found) return 0;
        const [row] = await sql<{ version: number }[]>`
          SELECT coalesce(max(version), 0) AS version FROM schema_migrations`;
        return row?.version ?? 0;
      });
    },

    async ping() {
      await guard(() => sql`SELECT 1`);
    },

    async close() {
      await rateLimiter.close();
      await sql.end({ timeout: 5 });
    },

    async createProject(project) {
      await guard(async () => {
        try {
          await sql`
            INSERT INTO projects (id, name, created_at)
            VALUES (${project.id}, ${project.name}, ${project.createdAt})`;
        } catch (error) {
          throw isUniqueViolation(error) ? projectExists(project.id) : error;
        }
      });
    },

    async getProject(id) {
      return guard(async () => {
        const [row] = await sql<ProjectRow[]>`
          SELECT id, name, created_at FROM projects WHERE id = ${id}`;
        return row === undefined ? null : toProject(row);
      });
    },

    async listProjects() {
      return guard(async () => {
        const rows = await sql<ProjectRow[]>`SELECT id, name, created_at FROM projects ORDER BY id`;
        return rows.map(toProject);
      });
    },

    async createStore(store) {
      const s = fromStore(store);
      await guard(async () => {
        try {
          await sql`
            INSERT INTO stores (project_id, id, name, created_at, data_key_id, wrapped_data_key, master_key_id)
            VALUES (${s.project_id}, ${s.id}, ${s.name}, ${s.created_at}, ${s.data_key_id},
              ${s.wrapped_data_key}, ${s.master_key_id})`;
        } catch (error) {
          if (isUniqueViolation(error)) throw storeExists(store.id);
          if (isForeignKeyViolation(error)) throw projectNotFound(store.projectId);
          throw error;
        }
      });
    },

    async getStore(projectId, id) {
      return guard(async () => {
        const [row] = await sql<StoreRow[]>`
          SELECT project_id, id, name, created_at, data_key_id, wrapped_data_key, master_key_id
          FROM stores WHERE project_id = ${projectId} AND id = ${id}`;
        return row === undefined ? null : toStore(row);
      });
    },

    async listStores(projectId) {
      return guard(async () => {
        const rows = await sql<(StoreRow & StatsRow)[]>`
          SELECT s.project_id, s.id, s.name, s.created_at, s.data_key_id, s.wrapped_data_key,
            s.master_key_id, count(e.blinded_id) AS entry_count,
            coalesce(sum(e.size), 0)::bigint AS bytes, max(e.updated_at) AS last_write_at
          FROM stores s
          LEFT JOIN entries e ON e.project_id = s.project_id AND e.store_id = s.id
          WHERE s.project_id = ${projectId}
          GROUP BY s.project_id, s.id
          ORDER BY s.id`;
        return rows.map(toStoreWithStats);
      });
    },

    async listAllStores() {
      return guard(async () => {
        const rows = await sql<StoreRow[]>`
          SELECT project_id, id, name, created_at, data_key_id, wrapped_data_key, master_key_id
          FROM stores ORDER BY project_id, id`;
        return rows.map(toStore);
      });
    },

    async getStoreStats(projectId, id) {
      return guard(async () => {
        const [row] = await sql<StatsRow[]>`
          SELECT count(*) AS entry_count, coalesce(sum(size), 0)::bigint AS bytes,
            max(updated_at) AS last_write_at
          FROM entries WHERE project_id = ${projectId} AND store_id = ${id}`;
        return row === undefined ? { entryCount: 0, bytes: 0, lastWriteAt: null } : toStats(row);
      });
    },

    async getStoreKeyIds(projectId, id) {
      return guard(async () => {
        const rows = await sql<{ key_id: string; count: number }[]>`
          SELECT key_id, count(*) AS count FROM entries
          WHERE project_id = ${projectId} AND store_id = ${id}
          GROUP BY key_id ORDER BY key_id`;
        return rows.map((row) => ({ keyId: row.key_id, count: row.count }));
      });
    },

    async renameStore(projectId, id, name) {
      return guard(async () => {
        const result = await sql`
          UPDATE stores SET name = ${name} WHERE project_id = ${projectId} AND id = ${id}`;
        return result.count > 0;
      });
    },

    async deleteStore(projectId, id) {
      // Entries go by ON DELETE CASCADE, in the same statement.
      return guard(async () => {
        const result = await sql`DELETE FROM stores WHERE project_id = ${projectId} AND id = ${id}`;
        return result.count > 0;
      });
    },

    async rewrapDataKeys(updates) {
      if (updates.length === 0) return;
      await guard(() =>
        sql.begin(async (tx) => {
          for (const u of updates) {
            await tx`
              UPDATE stores SET wrapped_data_key = ${u.wrappedDataKey}, master_key_id = ${u.masterKeyId}
              WHERE project_id = ${u.projectId} AND id = ${u.storeId}`;
          }
        }),
      );
    },

    async getEntry(projectId, storeId, blindedId) {
      return guard(async () => {
        const [row] = await sql<EntryRow[]>`
          SELECT blinded_id, key_id, sealed, size, version, created_at, updated_at FROM entries
          WHERE project_id = ${projectId} AND store_id = ${storeId} AND blinded_id = ${blindedId}`;
        return row === undefined ? null : toEntry(row);
      });
    },

    async getEntries(projectId, storeId, blindedIds) {
      if (blindedIds.length === 0) return [];
      return guard(async () => {
        const rows = await sql<EntryRow[]>`
          SELECT blinded_id, key_id, sealed, size, version, created_at, updated_at FROM entries
          WHERE project_id = ${projectId} AND store_id = ${storeId}
            AND blinded_id = ANY(${sql.array(blindedIds)}::text[])`;
        return rows.map(toEntry);
      });
    },

    async putEntry(projectId, storeId, write, now) {
      // One statement, no transaction: the follow-up reads only explain a refusal.
      return guard(() =>
        parentMustExist(
          () => writeEntry(sql, projectId, storeId, write, now),
          () => storeNotFound(storeId),
        ),
      );
    },

    async putEntries(projectId, storeId, writes, now) {
      if (writes.length === 0) return [];
      return guard(() =>
        parentMustExist(
          () =>
            sql.begin(async (tx) => {
              await lockStore(tx, projectId, storeId);
              const versions: number[] = [];
              for (const write of writes) {
                versions.push(await writeEntry(tx, projectId, storeId, write, now));
              }
              return versions;
            }),
          () => storeNotFound(storeId),
        ),
      );
    },

    async deleteEntry(projectId, storeId, blindedId, ifVersion) {
      return guard(async () => {
        const result =
          ifVersion === undefined
            ? await sql`
              DELETE FROM entries
              WHERE project_id = ${projectId} AND store_id = ${storeId} AND blinded_id = ${blindedId}`
            : await sql`
              DELETE FROM entries
              WHERE project_id = ${projectId} AND store_id = ${storeId} AND blinded_id = ${blindedId}
                AND version = ${ifVersion}`;
        if (result.count > 0) return true;
        return failedDelete(
          storeId,
          blindedId,
          ifVersion,
          await lookup(sql, projectId, storeId, blindedId),
        );
      });
    },

    async moveEntry(projectId, storeId, fromBlindedId, to, now, fromVersion) {
      return guard(() =>
        parentMustExist(
          () =>
            sql.begin(async (tx) => {
              await lockStore(tx, projectId, storeId);
              // Lock the source so a concurrent move or write of it waits for this one.
              const [source] = await tx<{ version: number }[]>`
                SELECT version FROM entries
                WHERE project_id = ${projectId} AND store_id = ${storeId}
                  AND blinded_id = ${fromBlindedId}
                FOR UPDATE`;
              if (source === undefined) {
                throw missingSource(
                  storeId,
                  fromBlindedId,
                  await storeFound(tx, projectId, storeId),
                );
              }
              checkVersion(fromBlindedId, fromVersion, source.version);
              const version = await writeEntry(tx, projectId, storeId, to, now);
              if (to.blindedId !== fromBlindedId) {
                await tx`
                  DELETE FROM entries
                  WHERE project_id = ${projectId} AND store_id = ${storeId}
                    AND blinded_id = ${fromBlindedId}`;
              }
              return version;
            }),
          () => storeNotFound(storeId),
        ),
      );
    },

    async listEntries(projectId, storeId, after, limit) {
      return guard(async () => {
        const rows = await sql<EntryRow[]>`
          SELECT blinded_id, key_id, sealed, size, version, created_at, updated_at FROM entries
          WHERE project_id = ${projectId} AND store_id = ${storeId}
            ${after === null ? sql`` : sql`AND blinded_id > ${after}`}
          ORDER BY blinded_id LIMIT ${safeLimit(limit)}`;
        return rows.map(toEntry);
      });
    },

    async createApiKey(key) {
      const k = fromApiKey(key);
      await guard(() =>
        parentMustExist(
          () => sql`
            INSERT INTO api_keys (id, project_id, name, hash, store_ids, read_only, created_at,
              last_used_at, revoked_at)
            VALUES (${k.id}, ${k.project_id}, ${k.name}, ${k.hash}, ${k.store_ids}, ${k.read_only},
              ${k.created_at}, ${k.last_used_at}, ${k.revoked_at})`,
          () => projectNotFound(key.projectId),
        ),
      );
    },

    async getApiKey(id) {
      return guard(async () => {
        const [row] = await sql<ApiKeyRow[]>`
          SELECT id, project_id, name, hash, store_ids, read_only, created_at, last_used_at, revoked_at
          FROM api_keys WHERE id = ${id}`;
        return row === undefined ? null : toApiKey(row);
      });
    },

    async listApiKeys(projectId) {
      return guard(async () => {
        const rows = await sql<ApiKeyRow[]>`
          SELECT id, project_id, name, hash, store_ids, read_only, created_at, last_used_at, revoked_at
          FROM api_keys WHERE project_id = ${projectId} ORDER BY created_at, id`;
        return rows.map(toApiKey);
      });
    },

    async revokeApiKey(projectId, id, now) {
      // Revoking twice keeps the first time; the row count still says whether the key is there.
      return guard(async () => {
        const result = await sql`
          UPDATE api_keys SET revoked_at = coalesce(revoked_at, ${now})
          WHERE id = ${id} AND project_id = ${projectId}`;
        return result.count > 0;
      });
    },

    async touchApiKey(id, now) {
      await guard(
        () => sql`
          UPDATE api_keys SET last_used_at = ${now}
          WHERE id = ${id} AND (last_used_at IS NULL OR last_used_at < ${now - TOUCH_INTERVAL_MS})`,
      );
    },

    async createAdminToken(token) {
      const t = fromAdminToken(token);
      await guard(
        () => sql`
          INSERT INTO admin_tokens (id, hash, created_at) VALUES (${t.id}, ${t.hash}, ${t.created_at})`,
      );
    },

    async getAdminToken(id) {
      return guard(async () => {
        const [row] = await sql<AdminTokenRow[]>`
          SELECT id, hash, created_at FROM admin_tokens WHERE id = ${id}`;
        return row === undefined ? null : toAdminToken(row);
      });
    },

    async countAdminTokens() {
      return guard(async () => {
        const [row] = await sql<{ count: number }[]>`SELECT count(*) AS count FROM admin_tokens`;
        return row?.count ?? 0;
      });
    },

    async listAdminTokens() {
      return guard(async () => {
        const rows = await sql<AdminTokenRow[]>`
          SELECT id, hash, created_at FROM admin_tokens ORDER BY created_at, id`;
        return rows.map(toAdminToken);
      });
    },

    async deleteAdminToken(id) {
      return guard(() =>
        sql.begin(async (tx) => {
          // Locks every token row (a handful): two processes cannot each delete one of the last two.
          const ids = (await tx<{ id: string }[]>`SELECT id FROM admin_tokens FOR UPDATE`).map(
            (row) => row.id,
          );
          if (!ids.includes(id)) return "missing" as const;
          if (ids.length <= 1) return "last" as const;
          await tx`DELETE FROM admin_tokens WHERE id = ${id}`;
          return "deleted" as const;
        }),
      );
    },

    async appendAudit(events) {
      if (events.length === 0) return;
      const rows = events.map(fromAuditEvent);
      // One statement is atomic on its own: no BEGIN/COMMIT round trips for the usual single event.
      if (rows.length <= INSERT_CHUNK) {
        await guard(() => sql`INSERT INTO audit_events ${sql(rows)}`);
        return;
      }
      await guard(() =>
        sql.begin(async (tx) => {
          for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
            await tx`INSERT INTO audit_events ${tx(rows.slice(i, i + INSERT_CHUNK))}`;
          }
        }),
      );
    },

    async listAudit(filter) {
      const conditions = [
        ...auditEqualities(filter).map(([column, value]) => sql`${sql(column)} = ${value}`),
        ...(filter.before === undefined ? [] : [sql`id < ${filter.before}`]),
        ...(filter.since === undefined ? [] : [sql`at >= ${filter.since}`]),
        ...(filter.until === undefined ? [] : [sql`at < ${filter.until}`]),
      ];
      const where = conditions.reduce((all, condition) => sql`${all} AND ${condition}`, sql`TRUE`);
      return guard(async () => {
        const rows = await sql<AuditRow[]>`
          SELECT id, at, project_id, actor, action, store_id, api_key_id, outcome, code, details
          FROM audit_events WHERE ${where}
          ORDER BY id DESC LIMIT ${safeLimit(filter.limit)}`;
        return rows.map(toAuditEvent);
      });
    },

    async addUsage(rows) {
      if (rows.length === 0) return;
      // One statement: atomic, and (rows merged and sorted) deadlock-free against other processes.
      const merged = mergeUsage(rows);
      await guard(
        () => sql`
          INSERT INTO usage ${sql(merged, "project_id", "store_id", "day", "reads", "writes")}
          ON CONFLICT (project_id, store_id, day) DO UPDATE
          SET reads = usage.reads + excluded.reads, writes = usage.writes + excluded.writes`,
      );
    },

    async listUsage(projectId, sinceDay, storeId) {
      return guard(async () => {
        const rows = await sql<UsageDbRow[]>`
          SELECT project_id, store_id, day, reads, writes FROM usage
          WHERE project_id = ${projectId} AND day >= ${sinceDay}
            ${storeId === undefined ? sql`` : sql`AND store_id = ${storeId}`}
          ORDER BY day, store_id`;
        return rows.map(toUsage);
      });
    },

    async hitRateLimit(bucket, windowStart) {
      return rateLimiter.hit(bucket, windowStart);
    },

    exportAll() {
      return exportSnapshot(sql);
    },

    async importEntries(projectId, storeId, entries) {
      if (entries.length === 0) return;
      const rows = entries.map((entry) => fromEntry(projectId, storeId, entry));
      await guard(() =>
        parentMustExist(
          () =>
            sql.begin(async (tx) => {
              await lockStore(tx, projectId, storeId);
              for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
                await importChunk(tx, rows.slice(i, i + INSERT_CHUNK));
              }
            }),
          () => storeNotFound(storeId),
        ),
      );
    },
  };
}

/** Inserts rows as they are; throws (rolling the transaction back) if any already exists. */
async function importChunk(tx: Query, rows: LocatedEntryRow[]): Promise<void> {
  const inserted = await tx<{ blinded_id: string }[]>`
    INSERT INTO entries ${tx(rows)} ON CONFLICT DO NOTHING RETURNING blinded_id`;
  if (inserted.length === rows.length) return;
  // The first row that was skipped: already in the table, or twice in the input.
  const fresh = new Set(inserted.map((row) => row.blinded_id));
  const seen = new Set<string>();
  for (const row of rows) {
    if (!fresh.has(row.blinded_id) || seen.has(row.blinded_id)) {
      const found = await lookup(tx, row.project_id, row.store_id, row.blinded_id);
      throw importConflict(row.blinded_id, found.currentVersion);
    }
    seen.add(row.blinded_id);
  }
}

/**
 * Reads everything in one REPEATABLE READ, READ ONLY transaction (one snapshot), through cursors so
 * that a large store streams in batches instead of loading at once.
 */
function exportSnapshot(sql: Sql): AsyncGenerator<SnapshotRecord> {
  return handoff<SnapshotRecord>((push) =>
    guard(() =>
      sql.begin("isolation level repeatable read read only", async (tx) => {
        for await (const rows of tx<ProjectRow[]>`
          SELECT id, name, created_at FROM projects ORDER BY id`.cursor(EXPORT_BATCH)) {
          await push(rows.map((row) => ({ type: "project", project: toProject(row) })));
        }
        for await (const rows of tx<StoreRow[]>`
          SELECT project_id, id, name, created_at, data_key_id, wrapped_data_key, master_key_id
          FROM stores ORDER BY project_id, id`.cursor(EXPORT_BATCH)) {
          await push(rows.map((row) => ({ type: "store", store: toStore(row) })));
        }
        // The primary key's order: store by store, by blinded id.
        for await (const rows of tx<LocatedEntryRow[]>`
          SELECT project_id, store_id, blinded_id, key_id, sealed, size, version, created_at, updated_at
          FROM entries ORDER BY project_id, store_id, blinded_id`.cursor(EXPORT_BATCH)) {
          await push(
            rows.map((row) => ({
              type: "entry",
              projectId: row.project_id,
              storeId: row.store_id,
              entry: toEntry(row),
            })),
          );
        }
        for await (const rows of tx<ApiKeyRow[]>`
          SELECT id, project_id, name, hash, store_ids, read_only, created_at, last_used_at, revoked_at
          FROM api_keys ORDER BY id`.cursor(EXPORT_BATCH)) {
          await push(rows.map((row) => ({ type: "apiKey", apiKey: toApiKey(row) })));
        }
        for await (const rows of tx<AdminTokenRow[]>`
          SELECT id, hash, created_at FROM admin_tokens ORDER BY id`.cursor(EXPORT_BATCH)) {
          await push(rows.map((row) => ({ type: "adminToken", adminToken: toAdminToken(row) })));
        }
      }),
    ).then(() => undefined),
  );
}
