// The vault service as a real child process (`coffer-server start`, from source), so that suites can
// SIGKILL it, SIGTERM it and read everything it logged.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("./server-main.ts", import.meta.url));

export interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  url: string;
  /** Printed by the first start of an empty vault only. */
  adminToken: string | undefined;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `coffer-server start --port 0 --json <args>` with only `env`'s COFFER_* settings (a developer's own
 * never leak in); resolves once it listens.
 */
export async function startServerProcess(
  env: Record<string, string>,
  args: string[] = [],
): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    ["--conditions=dev-source", "--import", "tsx", MAIN, "start", "--port", "0", "--json", ...args],
    { env: { ...withoutCofferEnv(process.env), ...env } },
  );
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const info = await new Promise<{ url: string; adminToken?: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the server did not start within 30 s:\n${output}`));
    }, 30_000);
    const check = () => {
      const line = /^\{.*"url".*\}$/m.exec(output);
      if (!line) return;
      clearTimeout(timer);
      child.stdout.off("data", check);
      resolve(JSON.parse(line[0]));
    };
    child.stdout.on("data", check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the server exited before listening:\n${output}`));
    });
  });
  return {
    child,
    url: info.url,
    adminToken: info.adminToken,
    output: () => output,
    exited,
    kill(signal) {
      child.kill(signal);
      return exited;
    },
  };
}

function withoutCofferEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] =>
        !entry[0].startsWith("COFFER_") && entry[1] !== undefined,
    ),
  );
}
