// Runs the real `next build` and `next start` on an app directory, in child processes.
import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { join } from "node:path";

export interface BuildResult {
  code: number | null;
  /** stdout and stderr, interleaved, without colours. */
  output: string;
  ms: number;
}

export interface StartedApp {
  url: string;
  /** Everything the server printed so far. */
  output(): string;
  close(): Promise<void>;
}

/** The environment of a Next child: this one's, without vitest's NODE_ENV and any COFFER_*. */
function childEnv(extra: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name !== "NODE_ENV" && !name.startsWith("COFFER_") && !name.startsWith("VITEST")) {
      env[name] = value;
    }
  }
  return { ...env, NEXT_TELEMETRY_DISABLED: "1", NO_COLOR: "1", FORCE_COLOR: "0", ...extra };
}

function run(dir: string, args: string[], env: Record<string, string>) {
  const next = createRequire(join(dir, "package.json")).resolve("next/dist/bin/next");
  // Its own process group, so that close() ends the server and any worker it started.
  return spawn(process.execPath, [next, ...args], {
    cwd: dir,
    env: childEnv(env),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function collect(child: ChildProcess): () => string {
  let output = "";
  const append = (chunk: Buffer) => {
    output += chunk.toString("utf8");
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
  return () => output.replace(/\u001b\[[0-9;]*m/g, "");
}

/** `next build` (Turbopack, or webpack with `webpack: true`), from a clean `.next`. */
export async function nextBuild(dir: string, options: { webpack?: boolean } = {}) {
  rmSync(join(dir, ".next"), { recursive: true, force: true });
  const started = performance.now();
  const child = run(dir, ["build", ...(options.webpack ? ["--webpack"] : [])], {});
  const output = collect(child);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { code, output: output(), ms: Math.round(performance.now() - started) };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `next start` on a free port of 127.0.0.1, once it answers HTTP. */
export async function nextStart(dir: string, env: Record<string, string>): Promise<StartedApp> {
  const port = await freePort();
  const child = run(dir, ["start", "-H", "127.0.0.1", "-p", String(port)], env);
  const output = collect(child);
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.pid) process.kill(-child.pid, "SIGTERM");
    await exited;
  };
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    if (child.exitCode !== null) break;
    try {
      await fetch(`${url}/_next/static/not-there`);
      return { url, output, close };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  await close();
  throw new Error(`next start did not answer on ${url}:\n${output()}`);
}
