// Drives the CLI in-process (captured output) or as a child process (for `start`).
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type CliIo, runCli } from "../../src/cli.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as the one JSON document --json prints. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read the JSON shapes loosely and assert on them.
  json(): any;
}

/** Runs `coffer-server <args>` in this process, with no terminal (so nothing asks for confirmation). */
export function cli(...args: string[]): Promise<CliResult> {
  return runInProcess(args);
}

/** Runs `coffer-server <args>` as if at a terminal, answering every question with `answer`. */
export async function cliAtTerminal(
  answer: boolean,
  ...args: string[]
): Promise<CliResult & { questions: string[] }> {
  const questions: string[] = [];
  const result = await runInProcess(args, async (question) => {
    questions.push(question);
    return answer;
  });
  return { ...result, questions };
}

async function runInProcess(
  args: string[],
  confirm?: (question: string) => Promise<boolean>,
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  let code = 0;
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    stderrIsTTY: false,
    confirm,
    setExitCode: (c) => {
      code = c;
    },
  };
  await runCli(["node", "coffer-server", ...args], io);
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}

const MAIN = fileURLToPath(new URL("./cli-main.ts", import.meta.url));
const SERVER_DIR = fileURLToPath(new URL("../..", import.meta.url));

export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `coffer-server <args>` from source (tsx), the way the bin runs the build. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(
    process.execPath,
    ["--conditions=dev-source", "--import", "tsx", MAIN, ...args],
    {
      cwd: SERVER_DIR,
      env: { ...withoutCofferEnv(process.env), ...env },
    },
  );
  let out = "";
  let err = "";
  const waiters = new Set<() => void>();
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
    for (const check of waiters) check();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; stdout: ${out}; stderr: ${err}`));
        }, timeoutMs);
        const check = () => {
          const match = pattern.exec(out);
          if (!match) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(match);
        };
        waiters.add(check);
        void exited.then(() => {
          if (!waiters.has(check)) return;
          clearTimeout(timer);
          waiters.delete(check);
          reject(new Error(`exited before ${pattern}; stdout: ${out}; stderr: ${err}`));
        });
        check();
      });
    },
  };
}

/** The environment without COFFER_* variables, so a developer's settings cannot leak in. */
export function withoutCofferEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith("COFFER_")));
}
