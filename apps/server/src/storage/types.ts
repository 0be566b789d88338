// The storage contract. SQLite (embedded default) and PostgreSQL implement it, and one
// conformance suite (test/storage-conformance.test.ts) runs against both. Storage knows nothing of
// cryptography: `sealed` and `wrappedDataKey` are opaque bytes the service layer produced.
//
// Times are milliseconds since the epoch (numbers). Every method that changes more than one row
// does so in one transaction. Failures: a CofferError with a stable code for the caller's mistakes
// (PROJECT_EXISTS, STORE_EXISTS, VERSION_CONFLICT, …); SERVICE_UNAVAILABLE when the database cannot
// be reached or is busy; anything else propagates as is (a bug, answered as INTERNAL_ERROR).

export interface Project {
  id: string;
  name: string;
  createdAt: number;
}

export interface StoreRecord {
  projectId: string;
  id: string;
  name: string;
  createdAt: number;
  /** Random id of this store's data key; changes if the store is deleted and created again. */
  dataKeyId: string;
  /** The data key, wrapped by the master key `masterKeyId`. */
  wrappedDataKey: Uint8Array;
  masterKeyId: string;
}

export interface StoreStats {
  entryCount: number;
  /** Sum of `size` over the store's entries. */
  bytes: number;
  /** Latest `updatedAt` of an entry, or null for an empty store. */
  lastWriteAt: number | null;
}

export interface EntryRecord {
  blindedId: string;
  /** Which application secret sealed the envelope (16 hex characters). */
  keyId: string;
  /** The envelope, wrapped again by the store's data key. */
  sealed: Uint8Array;
  /** Length of the client's envelope, before the at-rest wrapping. */
  size: number;
  /** 1 on creation, +1 on every overwrite. */
  version: number;
  createdAt: number;
  updatedAt: number;
}

/** What a write supplies; version and timestamps are the storage's to set. */
export interface EntryWrite {
  blindedId: string;
  keyId: string;
  sealed: Uint8Array;
  size: number;
  /**
   * Compare-and-set: undefined writes unconditionally; 0 requires that the entry does not exist;
   * n requires its current version to be n. A mismatch throws VERSION_CONFLICT with
   * `details: { blindedId, currentVersion }` (currentVersion 0 when absent) and writes nothing.
   */
  ifVersion?: number | undefined;
}

export interface ApiKeyRecord {
  /** Public id, also the visible part of the key: `coffer_key_<id>_…`. */
  id: string;
  projectId: string;
  name: string;
  /** SHA-256 of the key's secret part. */
  hash: Uint8Array;
  /** Stores the key is limited to, or null for every store of the project. */
  storeIds: string[] | null;
  readOnly: boolean;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface AdminTokenRecord {
  id: string;
  hash: Uint8Array;
  createdAt: number;
}

export interface AuditEvent {
  /** Assigned by storage, increasing. */
  id?: number;
  at: number;
  projectId: string | null;
  /** "admin:<token id>", "key:<api key id>", "cli", or "anonymous". */
  actor: string;
  /** e.g. "entry.put", "store.create", "key.revoke", "auth.denied". */
  action: string;
  storeId: string | null;
  /** The API key involved, when there is one. */
  apiKeyId: string | null;
  outcome: "ok" | "denied" | "error";
  /** The error code of a refusal. */
  code: string | null;
  /** Non-secret facts: counts, a blinded id prefix, a name. Never tokens, keys or envelopes. */
  details: Record<string, unknown>;
}

export interface AuditFilter {
  projectId?: string | undefined;
  storeId?: string | undefined;
  action?: string | undefined;
  apiKeyId?: string | undefined;
  since?: number | undefined;
  until?: number | undefined;
  /** Return events with id < before (for paging backwards from the newest). */
  before?: number | undefined;
  limit: number;
}

export interface UsageRow {
  projectId: string;
  storeId: string;
  /** UTC day, "YYYY-MM-DD". */
  day: string;
  reads: number;
  writes: number;
}

/** What `exportAll` yields, in this order: projects, stores, entries (store by store), API keys, admin tokens. */
export type SnapshotRecord =
  | { type: "project"; project: Project }
  | { type: "store"; store: StoreRecord }
  | { type: "entry"; projectId: string; storeId: string; entry: EntryRecord }
  | { type: "apiKey"; apiKey: ApiKeyRecord }
  | { type: "adminToken"; adminToken: AdminTokenRecord };

export interface Storage {
  readonly engine: "sqlite" | "postgres";

  /** Applies pending migrations; returns the versions applied now. Safe to run concurrently. */
  migrate(): Promise<number[]>;
  /** The schema version in the database (0 for an empty one). */
  schemaVersion(): Promise<number>;
  /** Throws SERVICE_UNAVAILABLE if the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;

  createProject(project: Project): Promise<void>;
  getProject(id: string): Promise<Project | null>;
  listProjects(): Promise<Project[]>;

  createStore(store: StoreRecord): Promise<void>;
  getStore(projectId: string, id: string): Promise<StoreRecord | null>;
  /** Stores of a project with their stats, ordered by id. */
  listStores(projectId: string): Promise<Array<StoreRecord & StoreStats>>;
  /** Every store of every project (for master-key rotation and backup). */
  listAllStores(): Promise<StoreRecord[]>;
  getStoreStats(projectId: string, id: string): Promise<StoreStats>;
  /** Number of entries per key id in a store. */
  getStoreKeyIds(projectId: string, id: string): Promise<Array<{ keyId: string; count: number }>>;
  renameStore(projectId: string, id: string, name: string): Promise<boolean>;
  /** Deletes the store, its entries and its wrapped data key. False if it did not exist. */
  deleteStore(projectId: string, id: string): Promise<boolean>;
  /** Rewraps data keys: all updates in one transaction. */
  rewrapDataKeys(
    updates: Array<{
      projectId: string;
      storeId: string;
      wrappedDataKey: Uint8Array;
      masterKeyId: string;
    }>,
  ): Promise<void>;

  getEntry(projectId: string, storeId: string, blindedId: string): Promise<EntryRecord | null>;
  /** The entries found among `blindedIds` (any order; missing ones are absent). */
  getEntries(projectId: string, storeId: string, blindedIds: string[]): Promise<EntryRecord[]>;
  /** Creates or overwrites one entry; returns its new version. */
  putEntry(projectId: string, storeId: string, write: EntryWrite, now: number): Promise<number>;
  /** All or nothing: one VERSION_CONFLICT aborts the batch. Returns the new versions, in order. */
  putEntries(
    projectId: string,
    storeId: string,
    writes: EntryWrite[],
    now: number,
  ): Promise<number[]>;
  /** False if absent. With `ifVersion`, a mismatch throws VERSION_CONFLICT. */
  deleteEntry(
    projectId: string,
    storeId: string,
    blindedId: string,
    ifVersion?: number,
  ): Promise<boolean>;
  /**
   * Atomically writes `to` and deletes `fromBlindedId` (re-keying). `fromVersion`, if given, must
   * match the current version of the source; the source must exist (else ENTRY_NOT_FOUND).
   */
  moveEntry(
    projectId: string,
    storeId: string,
    fromBlindedId: string,
    to: EntryWrite,
    now: number,
    fromVersion?: number,
  ): Promise<number>;
  /** Entries ordered by blinded id, after `after` (exclusive), at most `limit`. */
  listEntries(
    projectId: string,
    storeId: string,
    after: string | null,
    limit: number,
  ): Promise<EntryRecord[]>;

  createApiKey(key: ApiKeyRecord): Promise<void>;
  getApiKey(id: string): Promise<ApiKeyRecord | null>;
  listApiKeys(projectId: string): Promise<ApiKeyRecord[]>;
  /** Sets revokedAt if not yet revoked. False if the key is absent or belongs to another project. */
  revokeApiKey(projectId: string, id: string, now: number): Promise<boolean>;
  /** Records use; cheap, and may skip the write if lastUsedAt is recent. */
  touchApiKey(id: string, now: number): Promise<void>;

  createAdminToken(token: AdminTokenRecord): Promise<void>;
  getAdminToken(id: string): Promise<AdminTokenRecord | null>;
  countAdminTokens(): Promise<number>;
  /** Oldest first. */
  listAdminTokens(): Promise<AdminTokenRecord[]>;
  /**
   * Deletes an admin token unless it is the last one (which would leave the admin API and the
   * dashboard with no way in): "deleted", "missing", or "last". Atomic against a concurrent delete.
   */
  deleteAdminToken(id: string): Promise<"deleted" | "missing" | "last">;

  appendAudit(events: AuditEvent[]): Promise<void>;
  /** Newest first. */
  listAudit(filter: AuditFilter): Promise<AuditEvent[]>;

  /** Adds the counts (upsert; safe from several processes at once). */
  addUsage(rows: UsageRow[]): Promise<void>;
  listUsage(projectId: string, sinceDay: string, storeId?: string): Promise<UsageRow[]>;

  /**
   * Counts one request for `bucket` in the fixed window starting at `windowStart` and returns
   * the count so far in that window. PostgreSQL shares it between processes, syncing about four
   * times a second rather than writing per request; SQLite counts in the one server process.
   */
  hitRateLimit(bucket: string, windowStart: number): Promise<number>;

  /** A consistent snapshot of everything (one read transaction), for backup. */
  exportAll(): AsyncIterable<SnapshotRecord>;
  /** Inserts entries as they are (versions and times kept), for restore. Fails on an existing one. */
  importEntries(projectId: string, storeId: string, entries: EntryRecord[]): Promise<void>;
}
