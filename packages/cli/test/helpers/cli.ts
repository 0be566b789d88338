// Drives `coffer` in-process (captured output, own environment and stdin) or as a child process.
import { spawn } from "node:child_process";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { CliIo, CliStdin } from "../../src/io.js";
import { main } from "../../src/main.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as the one JSON document --json prints. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read the JSON shapes loosely and assert on them.
  json(): any;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Standard input: text or bytes (piped, not a TTY), or a stream of your own. */
  stdin?: string | Uint8Array | CliStdin;
  stderrIsTTY?: boolean;
  fetch?: typeof fetch;
  onInterrupt?: CliIo["onInterrupt"];
}

/** Everything any command printed in this test file: checked for leaked credentials. */
export const transcript: string[] = [];

/** Runs `coffer <args>` in this process. */
export async function coffer(args: string[], options: RunOptions = {}): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  let code = 0;
  const io: CliIo = {
    stdin: toStdin(options.stdin),
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    stderrIsTTY: options.stderrIsTTY ?? false,
    setExitCode: (c) => {
      code = c;
    },
    env: options.env ?? {},
    fetch: options.fetch,
    onInterrupt: options.onInterrupt,
  };
  await main(["node", "coffer", ...args], io);
  transcript.push(stdout, stderr);
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}

function toStdin(stdin: RunOptions["stdin"]): CliStdin | undefined {
  if (stdin === undefined) return Readable.from([]);
  if (typeof stdin === "string" || stdin instanceof Uint8Array) {
    return Readable.from([typeof stdin === "string" ? Buffer.from(stdin, "utf8") : stdin]);
  }
  return stdin;
}

const MAIN = fileURLToPath(new URL("./cli-main.ts", import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL("../..", import.meta.url));

/** Spawns `coffer <args>` from source (tsx), the way the bin runs the build. */
export function spawnCoffer(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; stdin?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    ["--conditions=dev-source", "--import", "tsx", MAIN, ...args],
    { cwd: PACKAGE_DIR, env: { ...withoutCofferEnv(process.env), ...options.env } },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.end(options.stdin ?? "");
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      transcript.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The environment without COFFER_* variables, so a developer's settings cannot leak in. */
export function withoutCofferEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith("COFFER_")));
}
