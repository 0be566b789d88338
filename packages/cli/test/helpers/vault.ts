// A real vault service for a test file: in-process, HTTP on an ephemeral port, SQLite in a
// temporary directory or a throwaway PostgreSQL cluster.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateMasterKeyString, resolveConfig, startServer } from "@coffer/server";
import { startPostgres, type TestPostgres } from "@coffer/testing";

const CLI = { kind: "cli" } as const;

export interface TestVault {
  url: string;
  apiKey: string;
  /** Creates a store in the default project. */
  createStore(id: string): Promise<void>;
  /** GET /v1/stores/:store: entry count and entries per key id. */
  storeInfo(
    id: string,
  ): Promise<{ entryCount: number; keyIds: Array<{ keyId: string; count: number }> }>;
  close(): Promise<void>;
}

export async function startVault(options: { postgres?: boolean } = {}): Promise<TestVault> {
  const dataDir = mkdtempSync(join(tmpdir(), "coffer-cli-vault-"));
  let pg: TestPostgres | undefined;
  try {
    pg = options.postgres ? await startPostgres() : undefined;
    const running = await startServer(
      resolveConfig({
        port: 0,
        dataDir,
        logLevel: "warn",
        ...(pg ? { databaseUrl: pg.url, masterKey: generateMasterKeyString() } : {}),
      }),
    );
    const { apiKey } = await running.vault.createApiKey(CLI, "default", {});
    return {
      url: running.url,
      apiKey,
      async createStore(id) {
        await running.vault.createStore(CLI, "default", id, undefined);
      },
      async storeInfo(id) {
        const response = await fetch(`${running.url}/v1/stores/${id}`, {
          headers: { authorization: `Bearer ${apiKey}`, "user-agent": "@coffer/cli tests" },
        });
        if (!response.ok) throw new Error(`store info: HTTP ${response.status}`);
        return (await response.json()) as Awaited<ReturnType<TestVault["storeInfo"]>>;
      },
      async close() {
        await running.close();
        await pg?.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await pg?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}
