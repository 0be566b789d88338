// A real vault service for the SDK's end-to-end tests: HTTP on an ephemeral port, on SQLite (in a
// temporary data directory) or on a throwaway PostgreSQL cluster.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  generateMasterKeyString,
  type RunningServer,
  resolveConfig,
  type ServerConfig,
  startServer,
} from "@coffer/server";
import { startPostgres } from "@coffer/server/testing";

export type Engine = "sqlite" | "postgres";

/** Admin actions are taken in-process, as the CLI would. */
const CLI = { kind: "cli" } as const;
const PROJECT = "default";

export interface TestVault {
  /** Base URL of the service, e.g. `http://127.0.0.1:53012`. */
  url: string;
  running: RunningServer;
  createStore(id: string): Promise<void>;
  /** A new API key (`coffer_key_…`) of the default project. */
  createApiKey(options?: { storeIds?: string[]; readOnly?: boolean }): Promise<string>;
  /** Revokes a key made by createApiKey. */
  revokeApiKey(apiKey: string): Promise<void>;
  deleteStore(id: string): Promise<void>;
  /** GET /v1/stores/:id with an API key: what the server knows of a store. */
  storeInfo(
    id: string,
    apiKey: string,
  ): Promise<{ entryCount: number; keyIds: Array<{ keyId: string; count: number }> }>;
  close(): Promise<void>;
}

export async function startVault(
  engine: Engine,
  overrides: Partial<ServerConfig> = {},
): Promise<TestVault> {
  const dataDir = mkdtempSync(join(tmpdir(), "coffer-e2e-"));
  const pg = engine === "postgres" ? await startPostgres() : undefined;
  let running: RunningServer;
  try {
    running = await startServer(
      resolveConfig({
        port: 0,
        dataDir,
        logLevel: "warn",
        ...(pg ? { databaseUrl: pg.url, masterKey: generateMasterKeyString() } : {}),
        ...overrides,
      }),
    );
  } catch (error) {
    await pg?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const recordIds = new Map<string, string>();
  return {
    url: running.url,
    running,
    async createStore(id) {
      await running.vault.createStore(CLI, PROJECT, id, undefined);
    },
    async createApiKey(options = {}) {
      const { apiKey, record } = await running.vault.createApiKey(CLI, PROJECT, options);
      recordIds.set(apiKey, record.id);
      return apiKey;
    },
    async revokeApiKey(apiKey) {
      const id = recordIds.get(apiKey);
      if (id === undefined) throw new Error("not a key made by createApiKey");
      await running.vault.revokeApiKey(CLI, PROJECT, id);
    },
    async deleteStore(id) {
      await running.vault.deleteStore(CLI, PROJECT, id);
    },
    async storeInfo(id, apiKey) {
      // Node's fetch adds `Sec-Fetch-Mode: cors`; the server accepts it from a server runtime.
      const response = await fetch(`${running.url}/v1/stores/${id}`, {
        headers: { authorization: `Bearer ${apiKey}`, "user-agent": "node" },
      });
      if (!response.ok) throw new Error(`store info: HTTP ${response.status}`);
      return (await response.json()) as Awaited<ReturnType<TestVault["storeInfo"]>>;
    },
    async close() {
      try {
        await running.close();
      } finally {
        await pg?.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
