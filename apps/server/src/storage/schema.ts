// Versioned schema migrations, shared by both engines. Append new migrations; never edit an applied
// one. Each runs in one transaction with its `schema_migrations` row, so it applies fully or not at all.
//
// Conventions: times are epoch milliseconds (INTEGER / BIGINT); JSON values are stored as TEXT;
// PostgreSQL ids use COLLATE "C" so that ordering (and thus entry paging) is bytewise, as in SQLite.

export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}

/** Bookkeeping table, created before any migration runs. */
export const MIGRATIONS_TABLE_SQLITE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at INTEGER NOT NULL
) STRICT`;

export const MIGRATIONS_TABLE_POSTGRES = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

const initialSqlite = `
CREATE TABLE projects (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE stores (
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  data_key_id TEXT NOT NULL,
  wrapped_data_key BLOB NOT NULL,
  master_key_id TEXT NOT NULL,
  PRIMARY KEY (project_id, id)
) STRICT;

CREATE TABLE entries (
  project_id TEXT NOT NULL,
  store_id TEXT NOT NULL,
  blinded_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  sealed BLOB NOT NULL,
  size INTEGER NOT NULL,
  version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, store_id, blinded_id),
  FOREIGN KEY (project_id, store_id) REFERENCES stores (project_id, id) ON DELETE CASCADE
) STRICT;

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  hash BLOB NOT NULL,
  store_ids TEXT,
  read_only INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
) STRICT;
CREATE INDEX api_keys_project ON api_keys (project_id);

CREATE TABLE admin_tokens (
  id TEXT PRIMARY KEY,
  hash BLOB NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

-- No foreign keys: events outlive what they describe, and denied requests name unknown projects.
CREATE TABLE audit_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  project_id TEXT,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  store_id TEXT,
  api_key_id TEXT,
  outcome TEXT NOT NULL,
  code TEXT,
  details TEXT NOT NULL
) STRICT;
CREATE INDEX audit_events_project ON audit_events (project_id, id);
CREATE INDEX audit_events_store ON audit_events (project_id, store_id, id);
CREATE INDEX audit_events_action ON audit_events (project_id, action, id);
CREATE INDEX audit_events_api_key ON audit_events (project_id, api_key_id, id);

-- Kept when a store is deleted: it is history.
CREATE TABLE usage (
  project_id TEXT NOT NULL,
  store_id TEXT NOT NULL,
  day TEXT NOT NULL,
  reads INTEGER NOT NULL,
  writes INTEGER NOT NULL,
  PRIMARY KEY (project_id, store_id, day)
) STRICT;
`;

const initialPostgres = `
CREATE TABLE projects (
  id TEXT COLLATE "C" PRIMARY KEY,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE stores (
  project_id TEXT COLLATE "C" NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  id TEXT COLLATE "C" NOT NULL,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  data_key_id TEXT NOT NULL,
  wrapped_data_key BYTEA NOT NULL,
  master_key_id TEXT NOT NULL,
  PRIMARY KEY (project_id, id)
);

CREATE TABLE entries (
  project_id TEXT COLLATE "C" NOT NULL,
  store_id TEXT COLLATE "C" NOT NULL,
  blinded_id TEXT COLLATE "C" NOT NULL,
  key_id TEXT NOT NULL,
  sealed BYTEA NOT NULL,
  size INTEGER NOT NULL,
  version INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (project_id, store_id, blinded_id),
  FOREIGN KEY (project_id, store_id) REFERENCES stores (project_id, id) ON DELETE CASCADE
);

CREATE TABLE api_keys (
  id TEXT COLLATE "C" PRIMARY KEY,
  project_id TEXT COLLATE "C" NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  hash BYTEA NOT NULL,
  store_ids TEXT,
  read_only BOOLEAN NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT,
  revoked_at BIGINT
);
CREATE INDEX api_keys_project ON api_keys (project_id);

CREATE TABLE admin_tokens (
  id TEXT COLLATE "C" PRIMARY KEY,
  hash BYTEA NOT NULL,
  created_at BIGINT NOT NULL
);

-- No foreign keys: events outlive what they describe, and denied requests name unknown projects.
CREATE TABLE audit_events (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at BIGINT NOT NULL,
  project_id TEXT COLLATE "C",
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  store_id TEXT COLLATE "C",
  api_key_id TEXT COLLATE "C",
  outcome TEXT NOT NULL,
  code TEXT,
  details TEXT NOT NULL
);
CREATE INDEX audit_events_project ON audit_events (project_id, id);
CREATE INDEX audit_events_store ON audit_events (project_id, store_id, id);
CREATE INDEX audit_events_action ON audit_events (project_id, action, id);
CREATE INDEX audit_events_api_key ON audit_events (project_id, api_key_id, id);

-- Kept when a store is deleted: it is history.
CREATE TABLE usage (
  project_id TEXT COLLATE "C" NOT NULL,
  store_id TEXT COLLATE "C" NOT NULL,
  day TEXT COLLATE "C" NOT NULL,
  reads BIGINT NOT NULL,
  writes BIGINT NOT NULL,
  PRIMARY KEY (project_id, store_id, day)
);

-- Rate-limit counters shared by every process (SQLite counts in memory, per process).
CREATE TABLE rate_limits (
  bucket TEXT COLLATE "C" NOT NULL,
  window_start BIGINT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (bucket, window_start)
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "initial", sqlite: initialSqlite, postgres: initialPostgres },
];

/** The version a fully migrated database has. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

/** Migrations not yet in `applied`, in version order. */
export function pendingMigrations(applied: Iterable<number>): Migration[] {
  const done = new Set(applied);
  return [...MIGRATIONS].sort((a, b) => a.version - b.version).filter((m) => !done.has(m.version));
}
