// How many bytes the entries take in each engine: the entries table with its indexes (and, on
// PostgreSQL, its TOAST), and the whole database, read while the server runs.
import { join } from "node:path";
import Database from "better-sqlite3";
import postgres from "postgres";

export interface DbBytes {
  /** The entries table, its indexes (and TOAST). */
  entries: number;
  /** Everything in the database: audit events, usage, keys… */
  total: number;
  method: string;
  /** The entries' objects: table, each index (and TOAST), in bytes. */
  objects: Record<string, number>;
}

/** SQLite through a second connection: dbstat when compiled in, else page_count × page_size. */
export function sqliteBytes(dataDir: string): DbBytes {
  const db = new Database(join(dataDir, "coffer.db"), { fileMustExist: true });
  try {
    const pageSize = Number(db.pragma("page_size", { simple: true }));
    const total = Number(db.pragma("page_count", { simple: true })) * pageSize;
    try {
      const rows = db
        .prepare<[], { name: string; bytes: number }>(
          "SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name",
        )
        .all();
      const indexes = new Set(
        db
          .prepare<[], { name: string }>(
            "SELECT name FROM sqlite_schema WHERE tbl_name = 'entries'",
          )
          .all()
          .map((r) => r.name),
      );
      const mine = rows.filter((r) => indexes.has(r.name));
      return {
        entries: mine.reduce((n, r) => n + r.bytes, 0),
        total,
        method: "dbstat (entries table + its indexes)",
        objects: Object.fromEntries(mine.map((r) => [r.name, r.bytes])),
      };
    } catch {
      return { entries: total, total, method: "page_count × page_size (no dbstat)", objects: {} };
    }
  } finally {
    db.close();
  }
}

export async function postgresBytes(url: string): Promise<DbBytes> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ entries: string; heap: string; indexes: string; total: string }[]>`
      SELECT pg_total_relation_size('entries')::text AS entries,
             pg_relation_size('entries')::text AS heap,
             pg_indexes_size('entries')::text AS indexes,
             pg_database_size(current_database())::text AS total`;
    const entries = Number(row?.entries);
    const heap = Number(row?.heap);
    const indexes = Number(row?.indexes);
    return {
      entries,
      total: Number(row?.total),
      method: "pg_total_relation_size('entries') (heap, indexes, TOAST)",
      objects: { heap, indexes, "toast and maps": entries - heap - indexes },
    };
  } finally {
    await sql.end();
  }
}

export async function postgresVersion(url: string): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ v: string }[]>`SELECT current_setting('server_version') AS v`;
    return `PostgreSQL ${row?.v}`;
  } finally {
    await sql.end();
  }
}
