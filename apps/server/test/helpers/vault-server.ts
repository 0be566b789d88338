// Starts a real vault service (HTTP on an ephemeral port) on SQLite or PostgreSQL for a test file.
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { resolveConfig, type ServerConfig } from "../../src/config.js";
import { generateMasterKeyString } from "../../src/crypto/master-key.js";
import { type RunningServer, startServer } from "../../src/server.js";
import { startPostgres } from "../../src/testing/postgres.js";

export type Engine = "sqlite" | "postgres";

// Response bodies are read loosely in tests, which assert on their shapes.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Json = any;

export interface TestServer {
  url: string;
  adminToken: string;
  config: ServerConfig;
  running: RunningServer;
  /** Everything the server logged so far. */
  logs(): string;
  /**
   * A request with exactly these headers, through node:http: Node's fetch adds
   * `Sec-Fetch-Mode: cors` to every request and drops other Sec-Fetch-* values.
   */
  raw(
    method: string,
    path: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: Json; headers: Record<string, unknown> }>;
  /** Calls the API with Node's fetch: JSON in, JSON out. */
  call(
    method: string,
    path: string,
    options?: { token?: string | undefined; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: Json; headers: Headers }>;
  close(): Promise<void>;
}

export async function startTestServer(
  engine: Engine,
  overrides: Partial<ServerConfig> = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "coffer-test-"));
  const pg = engine === "postgres" ? await startPostgres() : undefined;
  const config = resolveConfig({
    port: 0,
    dataDir,
    logLevel: "info",
    ...(pg ? { databaseUrl: pg.url, masterKey: generateMasterKeyString() } : {}),
    ...overrides,
  });
  const logStream = new PassThrough();
  let logs = "";
  logStream.on("data", (chunk: Buffer) => {
    logs += chunk.toString("utf8");
  });
  const running = await startServer(config, logStream);
  if (!running.bootstrap) throw new Error("a fresh vault should bootstrap an admin token");
  const server: TestServer = {
    url: running.url,
    adminToken: running.bootstrap.adminToken,
    config,
    running,
    logs: () => logs,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
      let body: string | undefined;
      if (options.body !== undefined) {
        headers["content-type"] ??= "application/json";
        body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
      }
      const response = await fetch(`${running.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      return { status: response.status, body: parsed, headers: response.headers };
    },
    raw(method, path, headers) {
      return new Promise((resolve, reject) => {
        const req = httpRequest(`${running.url}${path}`, { method, headers }, (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.on("end", () => {
            let body: unknown = text;
            try {
              body = JSON.parse(text);
            } catch {}
            resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
          });
        });
        req.on("error", reject);
        req.end();
      });
    },
    async close() {
      await running.close();
      await pg?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}
