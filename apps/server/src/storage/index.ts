import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { openPostgresStorage } from "./postgres.js";
import { openSqliteStorage } from "./sqlite.js";
import type { Storage } from "./types.js";

export { openPostgresStorage } from "./postgres.js";
export { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from "./schema.js";
export { openSqliteStorage } from "./sqlite.js";
export type * from "./types.js";

/** The SQLite database file inside the data directory. */
export const SQLITE_FILE = "coffer.db";

/**
 * PostgreSQL when `databaseUrl` is set, else SQLite at `<dataDir>/coffer.db`. The data directory
 * holds wrapped keys and sealed envelopes, so it is created private to the service's user.
 */
export async function openStorage(options: {
  databaseUrl?: string | undefined;
  dataDir: string;
}): Promise<Storage> {
  if (options.databaseUrl) return openPostgresStorage({ url: options.databaseUrl });
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  return openSqliteStorage({ file: join(options.dataDir, SQLITE_FILE) });
}
