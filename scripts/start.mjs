#!/usr/bin/env node
// `pnpm start`: builds what is stale (turbo cache), then runs the vault service and the dashboard
// together on the embedded SQLite default, and stops both on Ctrl-C (or when either exits).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const vaultPort = process.env.COFFER_PORT ?? "4747";
const dashboardPort = process.env.COFFER_DASHBOARD_PORT ?? "4748";
const vaultUrl = `http://127.0.0.1:${vaultPort}`;
const withDashboard = existsSync(new URL("../apps/dashboard/package.json", import.meta.url));
const dataDir = resolve(root, process.env.COFFER_DATA_DIR ?? ".coffer");

/** The dashboard's session key, kept beside the vault's data (0600) so sign-ins survive restarts. */
function dashboardSecret() {
  if (process.env.COFFER_DASHBOARD_SECRET) return process.env.COFFER_DASHBOARD_SECRET;
  const file = join(dataDir, "dashboard.secret");
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600, flag: "wx" });
  }
  return readFileSync(file, "utf8").trim();
}

const filters = [
  "--filter=@coffer/server...",
  ...(withDashboard ? ["--filter=@coffer/dashboard..."] : []),
];
const build = spawnSync(
  "pnpm",
  ["exec", "turbo", "run", "build", ...filters, "--output-logs=errors-only"],
  {
    cwd: root,
    stdio: "inherit",
  },
);
if (build.status !== 0) process.exit(build.status ?? 1);

const children = [];
const run = (name, command, args, env) => {
  const child = spawn(command, args, {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, ...env },
  });
  child.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(`${name} stopped (${signal ?? `exit ${code}`}); stopping Coffer.`);
      stop(code ?? 1);
    }
  });
  children.push(child);
};
let stopping = false;
const stop = (code) => {
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  process.exitCode = code;
};
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

run(
  "The vault",
  process.execPath,
  ["apps/server/bin/coffer-server.js", "start", "--port", vaultPort],
  {},
);
if (withDashboard) {
  run("The dashboard", "pnpm", ["--filter", "@coffer/dashboard", "--silent", "start"], {
    COFFER_URL: vaultUrl,
    COFFER_DASHBOARD_SECRET: dashboardSecret(),
    PORT: dashboardPort,
  });
  setTimeout(() => {
    if (!stopping)
      console.log(
        `\nCoffer dashboard on http://127.0.0.1:${dashboardPort} (sign in with the admin token)\n`,
      );
  }, 1500);
}
