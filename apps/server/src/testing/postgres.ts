// A PostgreSQL server for tests. With COFFER_TEST_DATABASE_URL, a fresh database on that server
// (reached through a local TCP proxy, so that outages can still be simulated); otherwise a
// throwaway cluster from the installed PostgreSQL binaries, deleted by stop().
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { chown } from "node:fs/promises";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";

const run = promisify(execFile);

export interface TestPostgres {
  /** A database of its own, empty. */
  url: string;
  /** Stops the server (or proxy) and deletes everything this call created. */
  stop(): Promise<void>;
  /** Makes the server unreachable (stops the cluster), for outage tests. */
  pgStop(): Promise<void>;
  /** Brings it back, on the same address. */
  pgStart(): Promise<void>;
  /** Another empty database on the same server; deleted by stop(). */
  createDatabase(): Promise<string>;
  /** The cluster's data directory (to inspect what is at rest); undefined on an external server. */
  dataDir?: string | undefined;
}

const INSTALL_HINT =
  "PostgreSQL is needed for these tests: install it (apt-get install postgresql) or set " +
  "COFFER_TEST_DATABASE_URL to a server where the user may CREATE DATABASE.";

export async function startPostgres(): Promise<TestPostgres> {
  const external = process.env.COFFER_TEST_DATABASE_URL;
  if (external) return onExternalServer(external);
  const bin = findPostgresBin();
  if (bin === undefined) throw new Error(INSTALL_HINT);
  return startCluster(bin);
}

/** The newest /usr/lib/postgresql/<version>/bin that has initdb. */
function findPostgresBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  return readdirSync(root)
    .filter((version) => existsSync(join(root, version, "bin", "initdb")))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    .map((version) => join(root, version, "bin"))[0];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

function randomDatabaseName(): string {
  return `coffer_test_${randomBytes(6).toString("hex")}`;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** CREATE / DROP DATABASE through a short-lived admin connection. */
function databaseAdmin(adminUrl: string) {
  const created: string[] = [];
  return {
    async create(): Promise<string> {
      const name = randomDatabaseName();
      const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await sql`CREATE DATABASE ${sql(name)}`;
      } finally {
        await sql.end();
      }
      created.push(name);
      return name;
    },
    async dropAll(): Promise<void> {
      const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        for (const name of created.splice(0)) {
          await sql`DROP DATABASE IF EXISTS ${sql(name)} WITH (FORCE)`;
        }
      } finally {
        await sql.end();
      }
    },
  };
}

async function startCluster(bin: string): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), "coffer-pg-"));
  const data = join(dir, "data");
  const log = join(dir, "log");
  // initdb refuses to run as root: then the cluster belongs to the postgres user.
  const asRoot = process.getuid?.() === 0;
  const pgCommand = async (tool: string, args: string[]) => {
    const [file, argv] = asRoot
      ? ["runuser", ["-u", "postgres", "--", join(bin, tool), ...args]]
      : [join(bin, tool), args];
    return run(file, argv, { cwd: dir });
  };

  try {
    if (asRoot) {
      const { stdout: uid } = await run("id", ["-u", "postgres"]);
      const { stdout: gid } = await run("id", ["-g", "postgres"]);
      await chown(dir, Number(uid.trim()), Number(gid.trim()));
    }
    await pgCommand("initdb", [
      "-D",
      data,
      "-U",
      "postgres",
      "-A",
      "trust",
      "-E",
      "UTF8",
      "--locale=C.UTF-8",
      "--no-sync",
    ]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${stderrOf(error)}\n${INSTALL_HINT}`, { cause: error });
  }

  const port = await freePort();
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on`;
  const start = async () => {
    try {
      await pgCommand("pg_ctl", ["-D", data, "-l", log, "-w", "-o", serverOptions, "start"]);
    } catch (error) {
      const serverLog = existsSync(log) ? readFileSync(log, "utf8").slice(-2000) : "";
      throw new Error(`pg_ctl start failed: ${stderrOf(error)}\n${serverLog}`, { cause: error });
    }
  };
  const stopServer = (mode: "fast" | "immediate") =>
    pgCommand("pg_ctl", ["-D", data, "-m", mode, "-w", "stop"]);

  try {
    await start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const admin = databaseAdmin(adminUrl);
  const url = withDatabase(adminUrl, await admin.create());
  return {
    url,
    dataDir: data,
    async stop() {
      await stopServer("immediate").catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
    async pgStop() {
      await stopServer("fast");
    },
    pgStart: start,
    async createDatabase() {
      return withDatabase(adminUrl, await admin.create());
    },
  };
}

async function onExternalServer(externalUrl: string): Promise<TestPostgres> {
  const target = new URL(externalUrl);
  const proxy = await startProxy(target.hostname, Number(target.port || 5432));
  const proxied = new URL(externalUrl);
  proxied.hostname = "127.0.0.1";
  proxied.port = String(proxy.port);
  const admin = databaseAdmin(externalUrl);
  const url = withDatabase(proxied.toString(), await admin.create());
  return {
    url,
    async stop() {
      await proxy.close();
      await admin.dropAll();
    },
    pgStop: () => proxy.close(),
    pgStart: () => proxy.listen(),
    async createDatabase() {
      return withDatabase(proxied.toString(), await admin.create());
    },
  };
}

/** A TCP proxy that can be cut (connections dropped, new ones refused) and restored. */
async function startProxy(host: string, port: number) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const proxyPort = await freePort();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const proxy = {
    port: proxyPort,
    async listen() {
      server = createServer((client) => {
        const upstream = tcpConnect(port, host);
        track(client);
        track(upstream);
        client.pipe(upstream).pipe(client);
        client.on("close", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
      });
      const listening = server;
      await new Promise<void>((resolve, reject) => {
        listening.once("error", reject);
        listening.listen(proxyPort, "127.0.0.1", resolve);
      });
    },
    async close() {
      const closing = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
  };
  await proxy.listen();
  return proxy;
}

function stderrOf(error: unknown): string {
  if (error && typeof error === "object" && "stderr" in error) {
    return String((error as { stderr: unknown }).stderr).trim() || String(error);
  }
  return String(error);
}
