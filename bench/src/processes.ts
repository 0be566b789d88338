// Child processes of the harness: the vault service (the real `coffer-server start`, from the
// build or with --source from source), the baseline server, and one-shot clients. Everything
// TypeScript that runs in a child is compiled to plain JS first, so no loader sits in the
// measured process (a tsx loader thread would add memory and start-up time).
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const BENCH = join(REPO, "bench");
export const RESULTS = join(BENCH, "results");
const BUILD = join(RESULTS, ".build");
const SERVER_BIN = join(REPO, "apps/server/bin/coffer-server.js");

/** Compiles one TypeScript entry (imports left as they are) to bench/results/.build/<name>.mjs. */
export function compile(name: string): string {
  mkdirSync(BUILD, { recursive: true });
  const outfile = join(BUILD, `${name}.mjs`);
  buildSync({
    entryPoints: [join(BENCH, "src", `${name}.ts`)],
    outfile,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "error",
  });
  return outfile;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || entry.name.endsWith(".test.ts")) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Problems with the builds the harness runs (the server's and the SDK's dist), or []. */
export function checkBuilds(source: boolean): string[] {
  const problems: string[] = [];
  const packages = source ? ["packages/core"] : ["apps/server", "packages/core"];
  for (const pkg of packages) {
    const dist = join(REPO, pkg, "dist");
    if (!existsSync(join(dist, "index.js"))) {
      problems.push(`${pkg}/dist is missing: run \`pnpm build\` first.`);
    } else if (newestMtime(join(REPO, pkg, "src")) > newestMtime(dist)) {
      problems.push(
        `${pkg}/src is newer than its dist: run \`pnpm build\` to measure the current code.`,
      );
    }
  }
  return problems;
}

export interface Child {
  pid: number;
  /** The JSON line the child printed once ready. */
  ready: Record<string, unknown>;
  /** SIGTERM, then wait for exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/** Spawns a server and waits for its first JSON line on stdout. */
export async function spawnReady(
  args: string[],
  env: Record<string, string | undefined>,
  what: string,
): Promise<Child> {
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { ...withoutCofferEnv(process.env), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${what} did not start within 60 s:\n${stdout}${stderr}`));
    }, 60_000);
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const line = /^\{.*\}$/m.exec(stdout);
      if (!line) return;
      clearTimeout(timer);
      resolve(JSON.parse(line[0]));
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${what} exited before it was ready:\n${stdout}${stderr}`));
    });
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${what}: no pid`);
  return {
    pid,
    ready,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.kill("SIGTERM");
      await exited;
      clearTimeout(killer);
    },
  };
}

function withoutCofferEnv(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith("COFFER_")));
}

export interface CofferServer extends Child {
  url: string;
  /** An API key of the default project, for every store. */
  apiKey: string;
  createStore(id: string): Promise<void>;
}

export interface CofferServerOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  masterKey?: string | undefined;
  /** Run from source (tsx) instead of apps/server/dist. */
  source: boolean;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
  /** COFFER_RATE_LIMIT; default 10^9 a minute (on, never refusing). 0 turns the limiter off. */
  rateLimit?: number;
}

/**
 * `coffer-server start --port 0 --json` with request logging off (COFFER_LOG_LEVEL=warn) and the
 * rate limiter on but never reached (COFFER_RATE_LIMIT=10^9 a minute: its cost is paid, it never
 * refuses). Creates an API key through the admin API with the bootstrap admin token.
 */
export async function startCofferServer(options: CofferServerOptions): Promise<CofferServer> {
  const entry = options.source
    ? ["--conditions=dev-source", "--import", "tsx", join(BENCH, "src/coffer-server-main.ts")]
    : [SERVER_BIN];
  const child = await spawnReady(
    [...(options.nodeFlags ?? []), ...entry, "start", "--port", "0", "--json"],
    {
      COFFER_DATA_DIR: options.dataDir,
      COFFER_DATABASE_URL: options.databaseUrl,
      COFFER_MASTER_KEY: options.masterKey,
      COFFER_LOG_LEVEL: "warn",
      COFFER_RATE_LIMIT: String(options.rateLimit ?? 1_000_000_000),
    },
    "the Coffer server",
  );
  const url = String(child.ready.url);
  const adminToken = child.ready.adminToken;
  if (typeof adminToken !== "string") {
    await child.stop();
    throw new Error("the Coffer server did not print an admin token: is the data dir fresh?");
  }
  const admin = async (path: string, body: unknown) => {
    const response = await fetch(`${url}/v1/admin/projects/default${path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${adminToken}`,
        "content-type": "application/json",
        "user-agent": "coffer-bench",
      },
      body: JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`admin ${path}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const { apiKey } = await admin("/keys", { name: "bench" });
  return {
    ...child,
    url,
    apiKey: String(apiKey),
    async createStore(id) {
      await admin("/stores", { id });
    },
  };
}

export interface BaselineServer extends Child {
  url: string;
}

/** The plaintext Fastify + database floor (src/baseline-server.ts), compiled. */
export async function startBaselineServer(db: {
  file?: string;
  databaseUrl?: string;
}): Promise<BaselineServer> {
  const child = await spawnReady(
    [compile("baseline-server")],
    { BASELINE_DB_FILE: db.file, BASELINE_DATABASE_URL: db.databaseUrl },
    "the baseline server",
  );
  return { ...child, url: String(child.ready.url) };
}
