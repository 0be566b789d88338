// Where each engine's data lives for one suite: a temporary directory for SQLite files, and a
// throwaway PostgreSQL cluster (startPostgres from @coffer/testing) with one database per server.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateMasterKeyString } from "@coffer/server";
import { startPostgres, type TestPostgres } from "@coffer/testing";
import type { Engine } from "./settings.js";

export interface EngineHome {
  engine: Engine;
  /** Settings for a fresh Coffer server: its own data dir (and database, on PostgreSQL). */
  cofferPlace(name: string): Promise<{ dataDir: string; databaseUrl?: string; masterKey?: string }>;
  /** A fresh database for the baseline server. */
  baselinePlace(name: string): Promise<{ file?: string; databaseUrl?: string }>;
  close(): Promise<void>;
}

export async function openEngine(engine: Engine): Promise<EngineHome> {
  const dir = mkdtempSync(join(tmpdir(), "coffer-bench-"));
  let pg: TestPostgres | undefined;
  try {
    if (engine === "postgres") pg = await startPostgres();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let first = true;
  const database = async () => {
    if (!pg) return undefined;
    if (first) {
      first = false;
      return pg.url;
    }
    return pg.createDatabase();
  };
  return {
    engine,
    async cofferPlace(name) {
      const dataDir = join(dir, name);
      mkdirSync(dataDir, { recursive: true });
      const databaseUrl = await database();
      return databaseUrl
        ? { dataDir, databaseUrl, masterKey: generateMasterKeyString() }
        : { dataDir };
    },
    async baselinePlace(name) {
      const databaseUrl = await database();
      return databaseUrl ? { databaseUrl } : { file: join(dir, `${name}.db`) };
    },
    async close() {
      await pg?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Why PostgreSQL suites cannot run here (no binaries, no COFFER_TEST_DATABASE_URL), or undefined. */
export function postgresUnavailable(): string | undefined {
  if (process.env.COFFER_TEST_DATABASE_URL) return undefined;
  const root = "/usr/lib/postgresql";
  const found =
    existsSync(root) && readdirSync(root).some((v) => existsSync(join(root, v, "bin", "initdb")));
  return found
    ? undefined
    : "PostgreSQL is not installed (apt-get install postgresql, or set COFFER_TEST_DATABASE_URL)";
}
