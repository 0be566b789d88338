// Starting and stopping the vault service: storage, migrations, master keys, bootstrap, HTTP.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CofferError } from "@coffer/core";
import type { FastifyInstance } from "fastify";
import { maxEnvelopeBytes, type ServerConfig } from "./config.js";
import {
  loadMasterKeyring,
  missingMasterKey,
  reloadKeyFiles,
  removePreviousKeyFile,
} from "./crypto/master-key.js";
import { buildApp } from "./http/app.js";
import { openStorage, SQLITE_FILE } from "./storage/index.js";
import { Vault } from "./vault.js";

export const VERSION: string = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
).version;

/**
 * Opens storage (applying migrations) and the master keys: what the server and the CLI share.
 * `mustExist` (admin commands) refuses to create a new embedded vault, so a mistyped --data-dir
 * is an error rather than a fresh, empty vault. `masterKeyOptional` (admin commands that never
 * touch a data key) lets PostgreSQL deployments run them without COFFER_MASTER_KEY.
 */
export async function openVault(
  config: ServerConfig,
  options: { mustExist?: boolean; masterKeyOptional?: boolean } = {},
): Promise<Vault> {
  if (options.mustExist && !config.databaseUrl && !existsSync(join(config.dataDir, SQLITE_FILE))) {
    throw new CofferError(
      "INVALID_ARGUMENT",
      `No Coffer vault in ${config.dataDir}: start the server once with \`coffer-server start\`, or pass --data-dir (COFFER_DATA_DIR) or --database-url.`,
    );
  }
  const storage = await openStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await storage.migrate();
    if (options.masterKeyOptional && config.databaseUrl && !config.masterKey) {
      return new Vault({
        storage,
        masterKeys: missingMasterKey(),
        maxEnvelopeBytes: maxEnvelopeBytes(config.maxValueBytes),
      });
    }
    const masterKeys = loadMasterKeyring({
      masterKey: config.masterKey,
      previousMasterKeys: config.previousMasterKeys,
      dataDir: config.dataDir,
      allowKeyFile: !config.databaseUrl,
    });
    // Fail at start, not on the first request, if a store's data key cannot be unwrapped.
    const unknown = new Set((await storage.listAllStores()).map((s) => s.masterKeyId));
    for (const id of [masterKeys.current.id, ...masterKeys.previousIds]) unknown.delete(id);
    if (unknown.size > 0) {
      throw new CofferError(
        "INVALID_ARGUMENT",
        `Stores in this vault are wrapped under master key ${[...unknown].join(", ")}, which is not loaded. Set COFFER_MASTER_KEY (and COFFER_PREVIOUS_MASTER_KEYS during a rotation) to the vault's master key.`,
      );
    }
    const keyFile = !config.databaseUrl && !config.masterKey;
    return new Vault({
      storage,
      masterKeys,
      reloadMasterKeys: keyFile ? (known) => reloadKeyFiles(config.dataDir, known) : undefined,
      maxEnvelopeBytes: maxEnvelopeBytes(config.maxValueBytes),
    });
  } catch (error) {
    await storage.close();
    throw error;
  }
}

/** How long in-flight requests get to finish once the server is told to stop. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Stops accepting and waits for in-flight requests. A keep-alive connection whose request ends
 * after the close began would otherwise idle until its keep-alive timeout (72 s): such connections
 * are closed as soon as they go idle, and any still busy after the grace period are cut.
 */
async function closeGracefully(app: FastifyInstance): Promise<void> {
  const sweep = setInterval(() => app.server.closeIdleConnections(), 25);
  const deadline = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
    clearTimeout(deadline);
  }
}

export interface RunningServer {
  app: FastifyInstance;
  vault: Vault;
  url: string;
  /** Set on the very first start: shown once, never again. */
  bootstrap: { adminToken: string; projectId: string } | null;
  close(): Promise<void>;
}

export async function startServer(
  config: ServerConfig,
  logStream?: NodeJS.WritableStream,
): Promise<RunningServer> {
  const vault = await openVault(config);
  let app: FastifyInstance | undefined;
  try {
    const bootstrap = await vault.bootstrap();
    // Finish a master-key rotation another process began: rewrap what is still under an old key.
    if (vault.masterKeys.previousIds.length > 0) {
      await vault.rewrapDataKeys(true);
      if (!config.databaseUrl) removePreviousKeyFile(config.dataDir);
    }
    app = await buildApp({ vault, config, version: VERSION, ...(logStream ? { logStream } : {}) });
    await app.listen({ host: config.host, port: config.port });
    vault.startBackgroundWork();
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    const host = config.host.includes(":") ? `[${config.host}]` : config.host;
    let closing: Promise<void> | undefined;
    const running: RunningServer = {
      app,
      vault,
      url: `http://${host}:${port}`,
      bootstrap,
      close: () => {
        // Stop accepting, let in-flight requests finish, then flush usage and close the database.
        closing ??= (async () => {
          await closeGracefully(running.app);
          await vault.close();
          await vault.storage.close();
        })();
        return closing;
      },
    };
    return running;
  } catch (error) {
    await app?.close();
    await vault.storage.close();
    throw error;
  }
}
