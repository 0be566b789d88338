#!/usr/bin/env node
// `pnpm start`: builds what is stale (turbo cache), then runs the vault service and the dashboard
// together on the embedded SQLite default, prints both URLs (and, on the first start, the admin
// token) once both answer, and stops both on Ctrl-C (or when either exits).
//
// Environment: COFFER_PORT (4747), COFFER_DASHBOARD_PORT (4748), COFFER_DATA_DIR (.coffer),
// COFFER_DASHBOARD_SECRET (else generated once into <data dir>/dashboard.secret); the vault's own
// COFFER_* variables (COFFER_DATABASE_URL, …) pass through to it.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const vaultPort = process.env.COFFER_PORT ?? "4747";
const dashboardPort = process.env.COFFER_DASHBOARD_PORT ?? "4748";
const vaultUrl = `http://127.0.0.1:${vaultPort}`;
const dashboardUrl = `http://127.0.0.1:${dashboardPort}`;
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

/** Whether 127.0.0.1:`port` can be listened on (the vault checks its own port itself). */
const portFree = (port) =>
  new Promise((resolveFree) => {
    const probe = createServer()
      .once("error", () => resolveFree(false))
      .listen(Number(port), "127.0.0.1", () => probe.close(() => resolveFree(true)));
  });
if (withDashboard && !(await portFree(dashboardPort))) {
  console.error(
    `127.0.0.1:${dashboardPort} is already in use (another dashboard?): stop that process, or choose another port with COFFER_DASHBOARD_PORT.`,
  );
  process.exit(1);
}

// The CLI too: the README's next steps (`pnpm coffer secret`, `pnpm coffer set …`) use it.
const filters = [
  "--filter=@coffer/server...",
  "--filter=@coffer/cli...",
  ...(withDashboard ? ["--filter=@coffer/dashboard..."] : []),
];
const build = spawnSync(
  "pnpm",
  ["exec", "turbo", "run", "build", ...filters, "--output-logs=errors-only"],
  { cwd: root, stdio: "inherit" },
);
if (build.status !== 0) process.exit(build.status ?? 1);

const children = [];
let stopping = false;
const stop = (code) => {
  stopping = true;
  for (const child of children) {
    if (child.exitCode !== null) continue;
    // A child with `stopAfter` (the vault) is stopped once that settles: see below.
    const after = child.stopAfter ?? Promise.resolve();
    after.then(() => child.kill("SIGTERM"));
  }
  process.exitCode = code;
};
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

const run = (name, command, args, options) => {
  const child = spawn(command, args, {
    cwd: root,
    stdio: options.stdio,
    env: { ...process.env, ...options.env },
  });
  child.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(`${name} stopped (${signal ?? `exit ${code}`}); stopping Coffer.`);
      stop(code ?? 1);
    }
  });
  children.push(child);
  return child;
};

// The vault with --json: its first stdout line says where it listens and, on the first start,
// holds the admin token; its logs go to stderr. Anything else on stdout is passed on.
const vault = run(
  "The vault",
  process.execPath,
  ["apps/server/bin/coffer-server.js", "start", "--port", vaultPort, "--json"],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const started = new Promise((resolveStarted) => {
  // On the end of its output rather than its exit: a line written just before the exit still counts.
  const lines = createInterface({ input: vault.stdout });
  lines.on("close", () => resolveStarted(null));
  lines.on("line", (line) => {
    let parsed;
    try {
      parsed = JSON.parse(line);
    } catch {
      console.log(line);
      return;
    }
    if (parsed?.error) {
      console.error(`coffer-server: ${parsed.error.message} (${parsed.error.code})`);
    } else if (typeof parsed?.url === "string") {
      resolveStarted(parsed);
    } else {
      console.log(line);
    }
  });
});

// Stopping early (the dashboard failed, say) waits for the vault's first line, up to 10 s: on a first
// start the vault has made its admin token by then, and that line is the only place it is shown.
vault.stopAfter = Promise.race([started, new Promise((r) => setTimeout(r, 10_000).unref())]);

if (withDashboard) {
  run("The dashboard", "pnpm", ["--filter", "@coffer/dashboard", "--silent", "start"], {
    stdio: "inherit",
    env: { COFFER_URL: vaultUrl, COFFER_DASHBOARD_SECRET: dashboardSecret(), PORT: dashboardPort },
  });
}

/** Resolves once `url` answers HTTP at all (the dashboard sends its sign-in page). */
async function answers(url) {
  for (let i = 0; i < 600 && !stopping; i++) {
    const ok = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(2000) }).then(
      () => true,
      () => false,
    );
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** The vault's own framing of its first-start notice. */
function box(lines) {
  const width = Math.max(...lines.map((l) => l.length));
  const edge = "─".repeat(width + 2);
  return [`┌${edge}┐`, ...lines.map((l) => `│ ${l.padEnd(width)} │`), `└${edge}┘`].join("\n");
}

/** The first start's admin token, framed as the vault frames it. */
const tokenBox = (startup) =>
  box([
    "First start: an admin token was created for the dashboard and the admin API:",
    "",
    `    ${startup.adminToken}`,
    "",
    "It will NOT be shown again: store it now.",
    "Lost it? `pnpm coffer-server admin-token create` issues another.",
    `Default project: ${startup.projectId}`,
  ]);

const startup = await started;
if (startup && withDashboard && !stopping && !(await answers(dashboardUrl))) {
  if (!stopping) {
    console.error(`The dashboard did not answer on ${dashboardUrl} within a minute; stopping.`);
    stop(1);
  }
}
if (startup && !stopping) {
  const where = startup.dataDir ? `sqlite, data dir ${startup.dataDir}` : startup.engine;
  const lines = ["", `Coffer vault listening on ${startup.url} (${where})`];
  if (withDashboard) {
    lines.push(`Coffer dashboard on ${dashboardUrl} (sign in with the admin token)`);
  }
  if (startup.adminToken) {
    lines.push(tokenBox(startup));
  } else if (withDashboard) {
    lines.push(
      "(The admin token was printed on the vault's first start; `pnpm coffer-server admin-token create` issues another.)",
    );
  }
  lines.push("Ctrl-C stops both.", "");
  console.log(lines.join("\n"));
} else if (startup?.adminToken) {
  // Stopping before both answered (the dashboard failed, say): the vault has made its admin token
  // all the same, and will not show it again, so it is printed now rather than lost.
  console.log(["", tokenBox(startup), ""].join("\n"));
}
