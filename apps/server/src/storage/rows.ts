// Database rows <-> records, shared by both engines. Column names are the schema's (snake_case);
// both drivers return numbers for integers (PostgreSQL BIGINT is parsed to a number, see
// postgres.ts), Buffers for binary columns, and TEXT for the JSON columns.
import type {
  AdminTokenRecord,
  ApiKeyRecord,
  AuditEvent,
  AuditFilter,
  EntryRecord,
  EntryWrite,
  Project,
  StoreRecord,
  StoreStats,
  UsageRow,
} from "./types.js";

/** touchApiKey skips the write when the key was used less than this long ago. */
export const TOUCH_INTERVAL_MS = 60_000;

/** Drivers hand back Buffers (possibly views of a shared pool): callers get a plain copy. */
export function bytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value);
}

export interface ProjectRow {
  id: string;
  name: string;
  created_at: number;
}

export interface StoreRow {
  project_id: string;
  id: string;
  name: string;
  created_at: number;
  data_key_id: string;
  wrapped_data_key: Uint8Array;
  master_key_id: string;
}

export interface StatsRow {
  entry_count: number;
  bytes: number;
  last_write_at: number | null;
}

export interface EntryRow {
  blinded_id: string;
  key_id: string;
  sealed: Uint8Array;
  size: number;
  version: number;
  created_at: number;
  updated_at: number;
}

/** An entry row with the store it belongs to (export). */
export interface LocatedEntryRow extends EntryRow {
  project_id: string;
  store_id: string;
}

export interface ApiKeyRow {
  id: string;
  project_id: string;
  name: string;
  hash: Uint8Array;
  /** JSON array of store ids, or NULL for every store. */
  store_ids: string | null;
  /** BOOLEAN in PostgreSQL, 0/1 in SQLite. */
  read_only: boolean | number;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface AdminTokenRow {
  id: string;
  hash: Uint8Array;
  created_at: number;
}

export interface AuditRow {
  id: number;
  at: number;
  project_id: string | null;
  actor: string;
  action: string;
  store_id: string | null;
  api_key_id: string | null;
  outcome: string;
  code: string | null;
  /** JSON object. */
  details: string;
}

export interface UsageDbRow {
  project_id: string;
  store_id: string;
  day: string;
  reads: number;
  writes: number;
}

export function toProject(row: ProjectRow): Project {
  return { id: row.id, name: row.name, createdAt: row.created_at };
}

export function toStore(row: StoreRow): StoreRecord {
  return {
    projectId: row.project_id,
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    dataKeyId: row.data_key_id,
    wrappedDataKey: bytes(row.wrapped_data_key),
    masterKeyId: row.master_key_id,
  };
}

export function toStats(row: StatsRow): StoreStats {
  return { entryCount: row.entry_count, bytes: row.bytes, lastWriteAt: row.last_write_at };
}

export function toStoreWithStats(row: StoreRow & StatsRow): StoreRecord & StoreStats {
  return { ...toStore(row), ...toStats(row) };
}

export function toEntry(row: EntryRow): EntryRecord {
  return {
    blindedId: row.blinded_id,
    keyId: row.key_id,
    sealed: bytes(row.sealed),
    size: row.size,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    hash: bytes(row.hash),
    storeIds: row.store_ids === null ? null : (JSON.parse(row.store_ids) as string[]),
    readOnly: Boolean(row.read_only),
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

export function toAdminToken(row: AdminTokenRow): AdminTokenRecord {
  return { id: row.id, hash: bytes(row.hash), createdAt: row.created_at };
}

export function toAuditEvent(row: AuditRow): AuditEvent {
  return {
    id: row.id,
    at: row.at,
    projectId: row.project_id,
    actor: row.actor,
    action: row.action,
    storeId: row.store_id,
    apiKeyId: row.api_key_id,
    outcome: row.outcome as AuditEvent["outcome"],
    code: row.code,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}

export function toUsage(row: UsageDbRow): UsageRow {
  return {
    projectId: row.project_id,
    storeId: row.store_id,
    day: row.day,
    reads: row.reads,
    writes: row.writes,
  };
}

export function fromStore(store: StoreRecord): StoreRow {
  return {
    project_id: store.projectId,
    id: store.id,
    name: store.name,
    created_at: store.createdAt,
    data_key_id: store.dataKeyId,
    wrapped_data_key: store.wrappedDataKey,
    master_key_id: store.masterKeyId,
  };
}

/** An entry as `importEntries` inserts it: version and times kept. */
export function fromEntry(projectId: string, storeId: string, entry: EntryRecord): LocatedEntryRow {
  return {
    project_id: projectId,
    store_id: storeId,
    blinded_id: entry.blindedId,
    key_id: entry.keyId,
    sealed: entry.sealed,
    size: entry.size,
    version: entry.version,
    created_at: entry.createdAt,
    updated_at: entry.updatedAt,
  };
}

/** The columns a write sets; `now` is both created_at (on insert) and updated_at. */
export function fromWrite(projectId: string, storeId: string, write: EntryWrite, now: number) {
  return {
    project_id: projectId,
    store_id: storeId,
    blinded_id: write.blindedId,
    key_id: write.keyId,
    sealed: write.sealed,
    size: write.size,
    now,
  };
}

export function fromApiKey(key: ApiKeyRecord): ApiKeyRow & { read_only: boolean } {
  return {
    id: key.id,
    project_id: key.projectId,
    name: key.name,
    hash: key.hash,
    store_ids: key.storeIds === null ? null : JSON.stringify(key.storeIds),
    read_only: key.readOnly,
    created_at: key.createdAt,
    last_used_at: key.lastUsedAt,
    revoked_at: key.revokedAt,
  };
}

export function fromAdminToken(token: AdminTokenRecord): AdminTokenRow {
  return { id: token.id, hash: token.hash, created_at: token.createdAt };
}

export function fromAuditEvent(event: AuditEvent): Omit<AuditRow, "id"> {
  return {
    at: event.at,
    project_id: event.projectId,
    actor: event.actor,
    action: event.action,
    store_id: event.storeId,
    api_key_id: event.apiKeyId,
    outcome: event.outcome,
    code: event.code,
    details: JSON.stringify(event.details),
  };
}

/**
 * Sums rows for the same (project, store, day) and sorts them, so one upsert statement never
 * touches a row twice and concurrent writers lock rows in the same order (no deadlocks).
 */
export function mergeUsage(rows: UsageRow[]): UsageDbRow[] {
  const merged = new Map<string, UsageDbRow>();
  for (const row of rows) {
    const key = JSON.stringify([row.projectId, row.storeId, row.day]);
    const seen = merged.get(key);
    if (seen) {
      seen.reads += row.reads;
      seen.writes += row.writes;
    } else {
      merged.set(key, {
        project_id: row.projectId,
        store_id: row.storeId,
        day: row.day,
        reads: row.reads,
        writes: row.writes,
      });
    }
  }
  return [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
}

/** The equality filters of an audit query, by column. */
export type AuditColumn = "project_id" | "store_id" | "action" | "api_key_id";

export function auditEqualities(filter: AuditFilter): Array<[AuditColumn, string]> {
  const pairs: Array<[AuditColumn, string | undefined]> = [
    ["project_id", filter.projectId],
    ["store_id", filter.storeId],
    ["action", filter.action],
    ["api_key_id", filter.apiKeyId],
  ];
  return pairs.filter((pair): pair is [AuditColumn, string] => pair[1] !== undefined);
}

/** A row count from the caller, made safe for LIMIT (negative means "no limit" in SQLite). */
export function safeLimit(limit: number): number {
  return Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 0;
}
