#!/usr/bin/env node
// `pnpm start`: builds what is stale (turbo cache), then runs the vault service and the dashboard
// together on the embedded SQLite default, and stops both on Ctrl-C (or when either exits).
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const vaultPort = process.env.COFFER_PORT ?? "4747";
const dashboardPort = process.env.COFFER_DASHBOARD_PORT ?? "4748";
const vaultUrl = `http://127.0.0.1:${vaultPort}`;
const withDashboard = existsSync(new URL("../apps/dashboard/package.json", import.meta.url));

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
    PORT: dashboardPort,
  });
  setTimeout(() => {
    if (!stopping)
      console.log(
        `\nCoffer dashboard on http://127.0.0.1:${dashboardPort} (sign in with the admin token)\n`,
      );
  }, 1500);
}
