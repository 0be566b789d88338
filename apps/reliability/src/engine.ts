// The environment a server process needs for each engine: a private data directory, and for
// PostgreSQL a throwaway cluster and a master key. One call per suite; cleanup() removes both.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateMasterKeyString } from "@coffer/server";
import { startPostgres, type TestPostgres } from "@coffer/testing";

export type Engine = "sqlite" | "postgres";
export const ENGINES: readonly Engine[] = ["sqlite", "postgres"];

export interface EngineSetup {
  env: Record<string, string>;
  pg: TestPostgres | undefined;
  cleanup(): Promise<void>;
}

export async function engineSetup(engine: Engine, logLevel = "warn"): Promise<EngineSetup> {
  const dataDir = mkdtempSync(join(tmpdir(), `coffer-rel-${engine}-`));
  const pg = engine === "postgres" ? await startPostgres() : undefined;
  const env: Record<string, string> = { COFFER_DATA_DIR: dataDir, COFFER_LOG_LEVEL: logLevel };
  if (pg) {
    env.COFFER_DATABASE_URL = pg.url;
    env.COFFER_MASTER_KEY = generateMasterKeyString();
  }
  return {
    env,
    pg,
    async cleanup() {
      await pg?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
