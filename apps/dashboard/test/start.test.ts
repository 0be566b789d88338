// The root `pnpm start` (scripts/start.mjs): the vault and the dashboard together on embedded
// SQLite, both URLs printed once both answer, the admin token on the first start only, and Ctrl-C
// stopping both.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const READY = /Ctrl-C stops both\./;
const dataDir = mkdtempSync(join(tmpdir(), "coffer-start-"));
const running = new Set<ChildProcess>();

afterAll(() => {
  for (const child of running) child.kill("SIGTERM");
  rmSync(dataDir, { recursive: true, force: true });
});

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
      .once("error", reject)
      .listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
  });

/** Runs `node scripts/start.mjs`; `ready` resolves with its output once it says both are up. */
function start(env: Record<string, string>) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["COFFER_DATABASE_URL", "COFFER_DASHBOARD_SECRET", "COFFER_JSON"]) {
    delete childEnv[name];
  }
  Object.assign(childEnv, env);
  const child = spawn(process.execPath, ["scripts/start.mjs"], { cwd: ROOT, env: childEnv });
  running.add(child);
  let output = "";
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const ready = new Promise<string>((resolve, reject) => {
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      if (READY.test(output)) resolve(output);
    };
    child.stdout.on("data", seen);
    child.stderr.on("data", seen);
    exited.then((code) => reject(new Error(`start.mjs exited (${code}):\n${output}`)));
  });
  ready.catch(() => {}); // awaited by the tests that expect a start; the others watch `exited`
  return { child, ready, exited, output: () => output };
}

const listening = (port: number) =>
  fetch(`http://127.0.0.1:${port}/`, { redirect: "manual" }).then(
    () => true,
    () => false,
  );

it("runs the vault and the dashboard, prints both URLs and, on the first start, the admin token", async () => {
  const vaultPort = await freePort();
  const dashboardPort = await freePort();
  const env = {
    COFFER_DATA_DIR: dataDir,
    COFFER_PORT: String(vaultPort),
    COFFER_DASHBOARD_PORT: String(dashboardPort),
  };

  const first = start(env);
  const output = await first.ready;
  expect(output).toContain(`Coffer vault listening on http://127.0.0.1:${vaultPort}`);
  expect(output).toContain(`Coffer dashboard on http://127.0.0.1:${dashboardPort}`);
  expect(output).toContain(`(sqlite, data dir ${dataDir})`);
  const tokens = output.match(/coffer_admin_[A-Za-z0-9_-]+/g) ?? [];
  expect(tokens, "the admin token, printed once").toHaveLength(1);

  // The token opens the vault's admin API; the dashboard serves its sign-in page.
  const projects = await fetch(`http://127.0.0.1:${vaultPort}/v1/admin/projects`, {
    headers: { authorization: `Bearer ${tokens[0]}`, "user-agent": "coffer-dashboard-test" },
  });
  expect(projects.status).toBe(200);
  const signIn = await fetch(`http://127.0.0.1:${dashboardPort}/`);
  expect(signIn.status).toBe(200);
  expect(await signIn.text()).toContain("Admin token");
  // The dashboard's session key is kept beside the vault's data, readable by its owner only.
  expect(statSync(join(dataDir, "dashboard.secret")).mode & 0o777).toBe(0o600);

  // Ctrl-C stops both.
  first.child.kill("SIGINT");
  expect(await first.exited).toBe(0);
  expect(await listening(vaultPort)).toBe(false);
  expect(await listening(dashboardPort)).toBe(false);

  // The next start: the same vault, no new token.
  const second = start(env);
  const again = await second.ready;
  expect(again).toContain(`Coffer dashboard on http://127.0.0.1:${dashboardPort}`);
  expect(again).not.toMatch(/coffer_admin_/);
  expect(again).toMatch(/admin token was printed on the vault's first start/);
  second.child.kill("SIGINT");
  expect(await second.exited).toBe(0);
});

it("refuses a dashboard port that is taken, naming the variable that moves it", async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  const { port } = taken.address() as { port: number };
  try {
    const run = start({
      COFFER_DATA_DIR: dataDir,
      COFFER_PORT: String(await freePort()),
      COFFER_DASHBOARD_PORT: String(port),
    });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(`127.0.0.1:${port} is already in use`);
    expect(run.output()).toContain("COFFER_DASHBOARD_PORT");
  } finally {
    taken.close();
  }
});

it("prints the first start's admin token even when the dashboard fails to start", async () => {
  // The vault makes its admin token on its first start and never shows it again: a dashboard that
  // fails (here, a session secret too short) must not take the token down with it.
  const fresh = mkdtempSync(join(tmpdir(), "coffer-start-"));
  try {
    const run = start({
      COFFER_DATA_DIR: fresh,
      COFFER_PORT: String(await freePort()),
      COFFER_DASHBOARD_PORT: String(await freePort()),
      COFFER_DASHBOARD_SECRET: "too-short",
    });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain("COFFER_DASHBOARD_SECRET must be 32 characters or more");
    expect(run.output().match(/coffer_admin_[A-Za-z0-9_-]+/g) ?? []).toHaveLength(1);
    expect(run.output()).toContain("It will NOT be shown again");
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
});
