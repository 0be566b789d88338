// The `coffer-server` command line. Every command opens the vault the way the server does
// (openVault), does one thing through the service layer, and closes storage again, also on errors.
// `--json` makes a command print exactly one JSON document on stdout; errors then go there too.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { CofferError, isCofferError } from "@coffer/core";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { tokenPrefix } from "./auth/tokens.js";
import { type BackupCounts, type BackupProgress, restoreBackup, writeBackup } from "./backup.js";
import { DEFAULTS, resolveConfig, type ServerConfig } from "./config.js";
import {
  generateMasterKeyString,
  keyFiles,
  MasterKeyring,
  parseMasterKey,
  promoteNextKeyFile,
  removePreviousKeyFile,
  stageNextKeyFile,
} from "./crypto/master-key.js";
import { apiKeyJson, auditJson, iso, storeJson } from "./http/json.js";
import { PROJECT_ID_PATTERN } from "./ids.js";
import { openVault, startServer, VERSION } from "./server.js";
import { openStorage } from "./storage/index.js";
import type { Project } from "./storage/types.js";
import { type Principal, Vault } from "./vault.js";

/** Where the CLI writes; tests pass their own to capture output in-process. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Progress lines are drawn only on a terminal. */
  stderrIsTTY: boolean;
  /** Asks a yes/no question; absent when nobody is there to answer (no terminal). */
  confirm?: ((question: string) => Promise<boolean>) | undefined;
  setExitCode(code: number): void;
}

const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  stderrIsTTY: Boolean(process.stderr.isTTY),
  confirm: process.stdin.isTTY && process.stderr.isTTY ? askOnTerminal : undefined,
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

async function askOnTerminal(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  // Ctrl-C (or the terminal closing) is a "no".
  const interrupted = new Promise<string>((resolve) => {
    prompt.once("SIGINT", () => resolve(""));
    prompt.once("close", () => resolve(""));
  });
  const answered = prompt.question(`${question} [y/N] `).catch(() => "");
  try {
    return /^y(es)?$/i.test((await Promise.race([answered, interrupted])).trim());
  } finally {
    prompt.close();
  }
}

/** `--json` for every command, or COFFER_JSON=1 (true, yes) in the environment. */
const jsonFromEnv = () => /^(1|true|yes)$/i.test(process.env.COFFER_JSON?.trim() ?? "");

const CLI: Principal = { kind: "cli" };
/** For commands that never wrap or unwrap a data key (see Context.withVault). */
const NO_DATA_KEYS = { noDataKeys: true } as const;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

interface GlobalOptions {
  dataDir: string;
  databaseUrl: string | undefined;
  masterKey: string | undefined;
  previousMasterKeys: string | undefined;
  logLevel: ServerConfig["logLevel"];
  json?: boolean;
}

interface StartOptions {
  port?: number;
  host?: string;
  maxValueBytes?: number;
  rateLimit?: number;
  requestTimeout?: number;
}

/** One run of a command: its options, the config they make, and how to print the result. */
class Context {
  constructor(
    readonly io: CliIo,
    readonly options: GlobalOptions & StartOptions & Record<string, unknown>,
  ) {}

  get json(): boolean {
    return this.options.json === true || jsonFromEnv();
  }

  get config(): ServerConfig {
    const o = this.options;
    return resolveConfig({
      dataDir: o.dataDir,
      databaseUrl: o.databaseUrl,
      masterKey: o.masterKey,
      previousMasterKeys: o.previousMasterKeys,
      logLevel: o.logLevel,
      ...(o.host !== undefined ? { host: o.host } : {}),
      ...(o.port !== undefined ? { port: o.port } : {}),
      ...(o.maxValueBytes !== undefined ? { maxValueBytes: o.maxValueBytes } : {}),
      ...(o.rateLimit !== undefined ? { rateLimitPerMinute: o.rateLimit } : {}),
      ...(o.requestTimeout !== undefined ? { requestTimeoutMs: o.requestTimeout } : {}),
    });
  }

  /** Prints the JSON document with --json, the human text otherwise. */
  result(json: unknown, human: () => string): void {
    if (this.json) this.io.stdout(`${JSON.stringify(json)}\n`);
    else this.io.stdout(`${human()}\n`);
  }

  note(text: string): void {
    this.io.stderr(`${text}\n`);
  }

  /**
   * Opens the vault, runs `fn`, and always closes storage. An embedded vault must already exist
   * unless `create` (restore into a new data dir), so a mistyped --data-dir is an error.
   * `noDataKeys`: the command never wraps or unwraps a data key, so on PostgreSQL it runs without
   * COFFER_MASTER_KEY.
   */
  async withVault<T>(
    fn: (vault: Vault) => Promise<T>,
    options: { create?: boolean; noDataKeys?: boolean } = {},
  ): Promise<T> {
    const vault = await openVault(this.config, {
      mustExist: !options.create,
      masterKeyOptional: options.noDataKeys === true,
    });
    try {
      return await fn(vault);
    } finally {
      await vault.close();
      await vault.storage.close();
    }
  }
}

/**
 * The commander program. It throws a CommanderError where commander would exit (exitOverride):
 * runCli turns that, and every other failure, into output and an exit code.
 */
export function buildCli(io: CliIo = processIo): Command {
  return createCli(io).program;
}

/** Runs `coffer-server` with process.argv-style arguments; sets the exit code, never exits. */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<void> {
  const { program, state } = createCli(io);
  // Known before parsing, so that a usage error is printed once, in the form the caller asked for.
  state.usageErrorsAsJson = argv.includes("--json") || jsonFromEnv();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    // Commander already printed its own message (usage errors, --help, --version), except a usage
    // error for a script that asked for JSON: that one is printed here, as JSON, on stdout.
    if (error instanceof CommanderError) {
      if (error.exitCode !== 0 && state.usageErrorsAsJson) {
        const message = error.message.replace(/^error: /, "");
        io.stdout(`${JSON.stringify({ error: { code: "INVALID_ARGUMENT", message } })}\n`);
      }
      io.setExitCode(error.exitCode);
      return;
    }
    const { code, message } = describeError(error);
    if (state.json) io.stdout(`${JSON.stringify({ error: { code, message } })}\n`);
    else io.stderr(`coffer-server: ${message}${code ? ` (${code})` : ""}\n`);
    if (
      !isCofferError(error) &&
      ["debug", "trace"].includes(state.logLevel) &&
      error instanceof Error
    ) {
      io.stderr(`${error.stack ?? ""}\n`);
    }
    io.setExitCode(1);
  }
}

function describeError(error: unknown): { code: string | undefined; message: string } {
  if (isCofferError(error)) {
    // Before the first start there is no `default` project yet: say where it comes from.
    let hint =
      error.code === "PROJECT_NOT_FOUND" && error.details?.projectId === "default"
        ? " The first `coffer-server start` creates it (or run `coffer-server project create default`)."
        : "";
    // An operator needs the reason the database is unreachable (the driver's message names the
    // host and port, never the password).
    const cause = error.cause as { message?: unknown; code?: unknown } | undefined;
    if (error.code === "SERVICE_UNAVAILABLE" && cause) {
      const reason = cause.message || cause.code;
      if (typeof reason === "string" && reason) hint = ` (${reason})`;
    }
    return { code: error.code, message: error.message + hint };
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  return { code: typeof code === "string" ? code : "INTERNAL_ERROR", message };
}

function createCli(io: CliIo) {
  const state = { json: false, logLevel: "info" as string, usageErrorsAsJson: false };
  const program = new Command("coffer-server")
    .description(
      "The Coffer vault service: run it, and manage projects, stores, API keys and backups.",
    )
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      outputError: (message, write) => {
        if (!state.usageErrorsAsJson) write(message);
      },
    })
    .configureHelp({ showGlobalOptions: true })
    .addOption(
      new Option(
        "--data-dir <dir>",
        "data directory of the embedded SQLite database and master.key",
      )
        .env("COFFER_DATA_DIR")
        .default(DEFAULTS.dataDir),
    )
    .addOption(
      new Option(
        "--database-url <url>",
        "PostgreSQL URL (postgres://…); embedded SQLite without it",
      ).env("COFFER_DATABASE_URL"),
    )
    .addOption(
      new Option("--master-key <key>", "master key (prefer the environment variable)").env(
        "COFFER_MASTER_KEY",
      ),
    )
    .addOption(
      new Option(
        "--previous-master-keys <keys>",
        "comma-separated master keys still needed to unwrap data keys",
      ).env("COFFER_PREVIOUS_MASTER_KEYS"),
    )
    .addOption(
      new Option("--log-level <level>", "server log level")
        .env("COFFER_LOG_LEVEL")
        .choices(LOG_LEVELS)
        .default(DEFAULTS.logLevel),
    );

  // Remember --json and the log level of the command about to run, for error output.
  program.hook("preAction", (_program, command) => {
    const options = command.optsWithGlobals();
    state.json = options.json === true || jsonFromEnv();
    state.logLevel = String(options.logLevel);
  });

  /** A leaf command with --json, whose action receives a Context and its positional arguments. */
  const leaf = (
    parent: Command,
    spec: string,
    description: string,
    run: (ctx: Context, ...args: string[]) => Promise<void>,
  ) =>
    parent
      .command(spec)
      .description(description)
      .option("--json", "print one JSON document on stdout (env: COFFER_JSON=1)")
      .action(async (...args: unknown[]) => {
        const command = args.at(-1) as Command;
        const positional = args.slice(0, command.registeredArguments.length) as string[];
        await run(new Context(io, command.optsWithGlobals()), ...positional);
      });

  addStart(leaf, program);
  leaf(
    program,
    "migrate",
    "Apply pending database migrations and print the schema version.",
    migrate,
  );
  addProjectCommands(leaf, program);
  addStoreCommands(leaf, program);
  addKeyCommands(leaf, program);
  addAdminTokenCommands(leaf, program);
  addMasterKeyCommands(leaf, program);
  addBackupCommands(leaf, program);
  addAudit(leaf, program);
  return { program, state };
}

type Leaf = (
  parent: Command,
  spec: string,
  description: string,
  run: (ctx: Context, ...args: string[]) => Promise<void>,
) => Command;

// ── start ─────────────────────────────────────────────────────────────────────────────────────

function addStart(leaf: Leaf, program: Command): void {
  leaf(
    program,
    "start",
    "Start the vault service (creates the database and an admin token on first start).",
    start,
  )
    .addOption(
      new Option("--port <port>", "TCP port (0: any free port)")
        .env("COFFER_PORT")
        .argParser(integer(0, 65535))
        .default(DEFAULTS.port),
    )
    .addOption(
      new Option("--host <host>", "address to listen on").env("COFFER_HOST").default(DEFAULTS.host),
    )
    .addOption(
      new Option("--max-value-bytes <n>", "largest value accepted, in bytes")
        .env("COFFER_MAX_VALUE_BYTES")
        .argParser(integer(1, 64 * 1024 * 1024))
        .default(DEFAULTS.maxValueBytes),
    )
    .addOption(
      new Option("--rate-limit <n>", "requests per minute per API key (0: off)")
        .env("COFFER_RATE_LIMIT")
        .argParser(integer(0, Number.MAX_SAFE_INTEGER))
        .default(DEFAULTS.rateLimitPerMinute),
    )
    .addOption(
      new Option("--request-timeout <ms>", "time a client has to send a whole request")
        .env("COFFER_REQUEST_TIMEOUT_MS")
        .argParser(integer(1000, 3_600_000))
        .default(DEFAULTS.requestTimeoutMs),
    );
}

async function start(ctx: Context): Promise<void> {
  const config = ctx.config;
  // With --json, stdout carries only the startup line: server logs go to stderr.
  const running = await startServer(config, ctx.json ? process.stderr : undefined).catch(
    (error: unknown) => {
      throw listenError(error, config) ?? error;
    },
  );
  const engine = running.vault.storage.engine;
  const dataDir = engine === "sqlite" ? config.dataDir : null;
  ctx.result({ url: running.url, engine, dataDir, ...(running.bootstrap ?? {}) }, () => {
    const where = `Coffer vault listening on ${running.url} (${engine}${dataDir ? `, data dir ${dataDir}` : ""})`;
    if (!running.bootstrap) return where;
    return `${where}\n${box([
      "First start: an admin token was created for the dashboard and the admin API:",
      "",
      `    ${running.bootstrap.adminToken}`,
      "",
      "It will NOT be shown again: store it now.",
      "Lost it? `coffer-server admin-token create` issues another.",
      `Default project: ${running.bootstrap.projectId}`,
    ])}`;
  });

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      ctx.note(`Received ${signal} again: exiting now.`);
      process.exit(1);
    }
    stopping = true;
    ctx.note(`Received ${signal}: stopping (finishing in-flight requests)…`);
    // A safety net past the server's own grace period: a stop must never hang.
    setTimeout(() => {
      ctx.note("coffer-server: still stopping after 20 s: exiting now.");
      process.exit(1);
    }, 20_000).unref();
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        ctx.note(`coffer-server: error while stopping: ${describeError(error).message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

/** A port that is taken or not allowed, said the way an operator can act on. */
function listenError(error: unknown, config: ServerConfig): Error | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const where = `${config.host}:${config.port}`;
  const hint = "choose another with --port (COFFER_PORT) or --host (COFFER_HOST)";
  if (code === "EADDRINUSE") {
    return Object.assign(
      new Error(
        `${where} is already in use (another Coffer vault?): stop that process, or ${hint}.`,
      ),
      { code },
    );
  }
  if (code === "EACCES" || code === "EADDRNOTAVAIL") {
    return Object.assign(new Error(`Cannot listen on ${where} (${code}): ${hint}.`), { code });
  }
  return undefined;
}

// ── migrate ───────────────────────────────────────────────────────────────────────────────────

async function migrate(ctx: Context): Promise<void> {
  const config = ctx.config;
  // Not openVault: that migrates already (so nothing would be left to report) and needs master keys.
  const storage = await openStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const applied = await storage.migrate();
    const schemaVersion = await storage.schemaVersion();
    ctx.result({ engine: storage.engine, applied, schemaVersion }, () =>
      applied.length
        ? `Applied migration${applied.length > 1 ? "s" : ""} ${applied.join(", ")} (${storage.engine}); schema version is now ${schemaVersion}.`
        : `Nothing to migrate (${storage.engine}): schema version ${schemaVersion} is current.`,
    );
  } finally {
    await storage.close();
  }
}

// ── projects, stores, keys ────────────────────────────────────────────────────────────────────

const projectJson = (p: Project) => ({ id: p.id, name: p.name, createdAt: iso(p.createdAt) });

function addProjectCommands(leaf: Leaf, program: Command): void {
  const project = program
    .command("project")
    .description("Projects: tenants whose keys never see another project's stores.");
  leaf(
    project,
    "create [id]",
    "Create a project (the id defaults to one made from --name).",
    async (ctx, given: string | undefined) => {
      const named = checkName(ctx.options.name);
      const id = given ?? (named === undefined ? undefined : idFromName(named));
      if (id === undefined || !new RegExp(PROJECT_ID_PATTERN).test(id)) {
        throw new CofferError(
          "INVALID_ARGUMENT",
          `${id === undefined ? "Give the project an id (`coffer-server project create <id> [--name …]`). " : ""}Project ids are 1 to 64 characters of a-z, 0-9, '_' and '-', starting with a letter or digit.`,
        );
      }
      const name = named ?? id;
      const created = await ctx.withVault(
        (vault) => vault.createProject(CLI, id, name),
        NO_DATA_KEYS,
      );
      ctx.result(projectJson(created), () => `Created project "${created.id}" (${created.name}).`);
    },
  ).option("--name <name>", "display name");

  leaf(project, "list", "List projects.", async (ctx) => {
    const projects = await ctx.withVault((vault) => vault.listProjects(), NO_DATA_KEYS);
    ctx.result({ projects: projects.map(projectJson) }, () =>
      table(
        ["ID", "NAME", "CREATED"],
        projects.map((p) => [p.id, p.name, iso(p.createdAt)]),
      ),
    );
  });
}

function addStoreCommands(leaf: Leaf, program: Command): void {
  const store = program
    .command("store")
    .description("Stores: one per kind of secret, each with its own data key.");
  const projectOption = () =>
    new Option("--project <id>", "project").env("COFFER_PROJECT").default("default");

  leaf(store, "create <id>", "Create a store (and its data key).", async (ctx, id) => {
    const name = checkName(ctx.options.name);
    const created = await ctx.withVault((vault) =>
      vault.createStore(CLI, String(ctx.options.project), id, name),
    );
    ctx.result(
      storeJson(created),
      () => `Created store "${created.id}" (${created.name}) in project "${created.projectId}".`,
    );
  })
    .addOption(projectOption())
    .option("--name <name>", "display name");

  leaf(store, "list", "List stores with their entry count, size and last write.", async (ctx) => {
    const stores = await ctx.withVault(
      (vault) => vault.listStores(String(ctx.options.project)),
      NO_DATA_KEYS,
    );
    ctx.result({ stores: stores.map(storeJson) }, () =>
      table(
        ["ID", "NAME", "ENTRIES", "BYTES", "LAST WRITE"],
        stores.map((s) => [
          s.id,
          s.name,
          String(s.entryCount),
          formatBytes(s.bytes),
          s.lastWriteAt === null ? "-" : iso(s.lastWriteAt),
        ]),
      ),
    );
  }).addOption(projectOption());

  leaf(
    store,
    "delete <id>",
    "Delete a store, its entries and its data key (irreversible; asks first on a terminal).",
    async (ctx, id) => {
      const projectId = String(ctx.options.project);
      const entries = await ctx.withVault(async (vault) => {
        await vault.requireProject(projectId);
        const existing = await vault.storage.getStore(projectId, id);
        const stats = existing ? await vault.storage.getStoreStats(projectId, id) : undefined;
        // A person at a terminal confirms; scripts (no terminal, --json) and --yes do not.
        const confirm = ctx.options.yes === true || ctx.json ? undefined : ctx.io.confirm;
        if (
          existing &&
          confirm &&
          !(await confirm(
            `Delete store "${id}" of project "${projectId}"? Its ${stats?.entryCount ?? 0} entries and its data key are destroyed and cannot be recovered (only from a backup).`,
          ))
        ) {
          throw new CofferError(
            "INVALID_ARGUMENT",
            `Not confirmed: store "${id}" was not deleted.`,
          );
        }
        await vault.deleteStore(CLI, projectId, id); // STORE_NOT_FOUND when absent
        return stats?.entryCount ?? 0;
      }, NO_DATA_KEYS);
      ctx.result(
        { deleted: true, projectId, id, entryCount: entries },
        () =>
          `Deleted store "${id}" of project "${projectId}": ${entries} entries and its data key are destroyed.`,
      );
    },
  )
    .addOption(projectOption())
    .option("--yes", "do not ask for confirmation on a terminal");
}

function addKeyCommands(leaf: Leaf, program: Command): void {
  const key = program.command("key").description("API keys of the data API.");
  const projectOption = () =>
    new Option("--project <id>", "project").env("COFFER_PROJECT").default("default");

  leaf(key, "create", "Create an API key (shown once).", async (ctx) => {
    const o = ctx.options;
    const projectId = String(o.project);
    const created = await ctx.withVault(
      (vault) =>
        vault.createApiKey(CLI, projectId, {
          name: checkName(o.name),
          storeIds: o.store as string[] | undefined,
          readOnly: o.readOnly === true,
        }),
      NO_DATA_KEYS,
    );
    const { record } = created;
    ctx.result({ apiKey: created.apiKey, key: apiKeyJson(record) }, () =>
      [
        `Created API key ${record.id} "${record.name}" in project "${projectId}" (${scopeText(record.storeIds)}, ${record.readOnly ? "read-only" : "read-write"}):`,
        "",
        `    ${created.apiKey}`,
        "",
        "It is shown this once and cannot be recovered: store it now (e.g. as your application's COFFER_API_KEY).",
      ].join("\n"),
    );
  })
    .addOption(projectOption())
    .option("--store <id...>", "limit the key to these stores (repeatable; default: every store)")
    .option("--read-only", "the key can read but not write")
    .option("--name <name>", "display name");

  leaf(key, "list", "List API keys (never the keys themselves).", async (ctx) => {
    const keys = await ctx.withVault(
      (vault) => vault.listApiKeys(String(ctx.options.project)),
      NO_DATA_KEYS,
    );
    ctx.result({ keys: keys.map(apiKeyJson) }, () =>
      table(
        ["ID", "NAME", "STORES", "ACCESS", "CREATED", "LAST USED", "STATUS"],
        keys.map((k) => [
          k.id,
          k.name,
          k.storeIds ? k.storeIds.join(",") : "all",
          k.readOnly ? "read-only" : "read-write",
          iso(k.createdAt),
          k.lastUsedAt === null ? "never" : iso(k.lastUsedAt),
          k.revokedAt === null ? "active" : `revoked ${iso(k.revokedAt)}`,
        ]),
      ),
    );
  }).addOption(projectOption());

  leaf(
    key,
    "revoke <id>",
    "Revoke an API key: it fails from the very next request.",
    async (ctx, id) => {
      // Key ids are unique across projects: --project (COFFER_PROJECT) only double-checks.
      const given = ctx.options.project as string | undefined;
      const projectId = await ctx.withVault(async (vault) => {
        const projectId = given ?? (await vault.storage.getApiKey(id))?.projectId;
        if (projectId === undefined) {
          throw new CofferError("KEY_NOT_FOUND", `No API key "${id}".`, { details: { keyId: id } });
        }
        await vault.revokeApiKey(CLI, projectId, id);
        return projectId;
      }, NO_DATA_KEYS);
      ctx.result(
        { revoked: true, projectId, id },
        () => `Revoked API key ${id} of project "${projectId}".`,
      );
    },
  ).addOption(
    new Option("--project <id>", "the key's project (default: looked up)").env("COFFER_PROJECT"),
  );
}

// ── admin tokens ──────────────────────────────────────────────────────────────────────────────

function addAdminTokenCommands(leaf: Leaf, program: Command): void {
  const adminToken = program
    .command("admin-token")
    .description("Admin tokens of the admin API and the dashboard.");
  leaf(
    adminToken,
    "create",
    "Issue another admin token (shown once), e.g. when the first one was lost.",
    async (ctx) => {
      const created = await ctx.withVault((vault) => vault.createAdminToken(CLI), NO_DATA_KEYS);
      ctx.result(created, () =>
        [
          `Created admin token ${created.id}:`,
          "",
          `    ${created.adminToken}`,
          "",
          "It is shown this once and cannot be recovered: store it now.",
        ].join("\n"),
      );
    },
  );
  leaf(adminToken, "list", "List admin tokens (never the tokens themselves).", async (ctx) => {
    const tokens = await ctx.withVault((vault) => vault.listAdminTokens(), NO_DATA_KEYS);
    const json = tokens.map((t) => ({
      id: t.id,
      prefix: tokenPrefix("admin", t.id),
      createdAt: iso(t.createdAt),
    }));
    ctx.result({ adminTokens: json }, () =>
      table(
        ["ID", "PREFIX", "CREATED"],
        json.map((t) => [t.id, t.prefix, t.createdAt]),
      ),
    );
  });
  leaf(
    adminToken,
    "revoke <id>",
    "Revoke an admin token (its id, or its coffer_admin_<id> prefix): it fails from the very next request. The last one is kept.",
    async (ctx, given) => {
      const id = String(given).replace(/^coffer_admin_/, "");
      await ctx.withVault((vault) => vault.revokeAdminToken(CLI, id), NO_DATA_KEYS);
      ctx.result({ revoked: true, id }, () => `Revoked admin token ${id}.`);
    },
  );
}

// ── master keys ───────────────────────────────────────────────────────────────────────────────

function addMasterKeyCommands(leaf: Leaf, program: Command): void {
  leaf(
    program,
    "rotate-master-key",
    "Rewrap every store's data key under a new master key (entries are not rewritten).",
    rotateMasterKey,
  )
    .addOption(
      new Option(
        "--new-master-key <key>",
        "the new master key, for COFFER_MASTER_KEY deployments (prefer the environment variable)",
      ).env("COFFER_NEW_MASTER_KEY"),
    )
    .addHelpText(
      "after",
      `
Embedded default (key file in the data directory): works while the server runs (it reads the
new key file when it next creates or opens a store). The new key is staged as master.key.next,
made current once every data key is rewrapped, and the old one kept as master.key.previous until
no store needs it.

With COFFER_MASTER_KEY (required with PostgreSQL), generate a key with \`coffer-server master-key
generate\` and pass it as COFFER_NEW_MASTER_KEY. Processes that do not know the new key cannot open
data keys they have not cached, so for no errors at all: first restart every process with the new
key added to COFFER_PREVIOUS_MASTER_KEYS, then rotate, then restart with COFFER_MASTER_KEY=<new>
and COFFER_PREVIOUS_MASTER_KEYS=<old>; drop the old key once every process has restarted.`,
    );

  const masterKey = program.command("master-key").description("Master keys.");
  leaf(masterKey, "generate", "Print a new master key (for COFFER_MASTER_KEY).", async (ctx) => {
    const text = generateMasterKeyString();
    const { id } = parseMasterKey(text, "generated key");
    ctx.result({ masterKey: text, id }, () => text);
    if (!ctx.json)
      ctx.note(
        `Master key id ${id}. Keep it secret and backed up: without it no store can be opened.`,
      );
  });
}

async function rotateMasterKey(ctx: Context): Promise<void> {
  const config = ctx.config;
  const keyFile = !config.databaseUrl && !config.masterKey;
  const newKeyText = ctx.options.newMasterKey as string | undefined;
  if (keyFile && newKeyText) {
    throw new CofferError(
      "INVALID_ARGUMENT",
      "--new-master-key is for deployments that set COFFER_MASTER_KEY; the embedded default generates the new key into its data directory.",
    );
  }
  if (!keyFile && !newKeyText) {
    throw new CofferError(
      "INVALID_ARGUMENT",
      "With COFFER_MASTER_KEY, pass the new key as --new-master-key or COFFER_NEW_MASTER_KEY (generate one with `coffer-server master-key generate`).",
    );
  }
  await ctx.withVault(async (vault) => {
    const old = vault.masterKeys;
    const files = keyFiles(config.dataDir);
    // A leftover master.key.next is an interrupted rotation: some stores may already be wrapped
    // under it, so it is reused, never overwritten.
    const resumed = keyFile && existsSync(files.next);
    const next = newKeyText
      ? parseMasterKey(newKeyText, "--new-master-key")
      : resumed
        ? parseMasterKey(readFileSync(files.next, "utf8"), files.next)
        : stageNextKeyFile(config.dataDir);
    if (next.id === old.current.id) {
      throw new CofferError(
        "INVALID_ARGUMENT",
        `The new master key is the current one (id ${next.id}).`,
      );
    }
    const keyring = new MasterKeyring(next, [
      old.current,
      ...old.previousIds.map((id) => old.get(id)),
    ]);
    const rotated = new Vault({
      storage: vault.storage,
      masterKeys: keyring,
      maxEnvelopeBytes: vault.maxEnvelopeBytes,
    });
    const rewrapped = await rotated.rewrapDataKeys(false);
    let previousKeyFileRemoved = false;
    if (keyFile) {
      promoteNextKeyFile(config.dataDir);
      const stillOld = (await vault.storage.listAllStores()).some((s) => s.masterKeyId !== next.id);
      if (!stillOld) {
        removePreviousKeyFile(config.dataDir);
        previousKeyFileRemoved = true;
      }
    }
    await vault.storage.appendAudit([
      {
        at: Date.now(),
        projectId: null,
        actor: "cli",
        action: "master_key.rotate",
        storeId: null,
        apiKeyId: null,
        outcome: "ok",
        code: null,
        details: { from: old.current.id, to: next.id, rewrapped },
      },
    ]);
    const summary = {
      rewrapped,
      oldMasterKeyId: old.current.id,
      newMasterKeyId: next.id,
      keySource: keyFile ? "file" : "environment",
      ...(keyFile ? { resumed, previousKeyFileRemoved } : {}),
    };
    ctx.result(summary, () => {
      const lines = [
        `Rewrapped ${rewrapped} data key${rewrapped === 1 ? "" : "s"} from master key ${old.current.id} to ${next.id}${resumed ? " (resumed an interrupted rotation)" : ""}. Entries were not rewritten.`,
      ];
      if (keyFile) {
        lines.push(
          `${files.current} now holds the new key${previousKeyFileRemoved ? "; the old key file was removed" : `; ${files.previous} is kept until no store needs it`}.`,
        );
      } else {
        lines.push(
          "Next: set COFFER_MASTER_KEY to the new key and COFFER_PREVIOUS_MASTER_KEYS to the old one, and restart every process.",
          "Keep the old key in COFFER_PREVIOUS_MASTER_KEYS until every process has restarted (each start rewraps stores still under it); then remove it.",
        );
      }
      return lines.join("\n");
    });
  });
}

// ── backup, restore, audit ────────────────────────────────────────────────────────────────────

function addBackupCommands(leaf: Leaf, program: Command): void {
  leaf(
    program,
    "backup <file>",
    "Write a backup (JSON Lines; envelopes stay sealed, restorable under any master key).",
    async (ctx, file) => {
      const path = resolve(file);
      const progress = progressLine(ctx.io);
      const { counts, engine } = await ctx.withVault(async (vault) => ({
        counts: await writeBackup(vault, path, progress.update),
        engine: vault.storage.engine,
      }));
      progress.done();
      ctx.result(
        { file: path, engine, counts },
        () => `Backed up ${countsText(counts)} to ${path}.`,
      );
    },
  );

  leaf(
    program,
    "restore <file>",
    "Restore a backup into an empty vault (new data keys under the current master key).",
    async (ctx, file) => {
      const path = resolve(file);
      const progress = progressLine(ctx.io);
      const { result, engine } = await ctx.withVault(
        async (vault) => ({
          result: await restoreBackup(vault, path, progress.update),
          engine: vault.storage.engine,
        }),
        { create: true },
      );
      progress.done();
      ctx.result(
        {
          file: path,
          engine,
          counts: result.counts,
          skippedAdminTokens: result.skippedAdminTokens,
        },
        () => `Restored ${countsText(result.counts)} from ${path} into ${engine}.`,
      );
    },
  );
}

function addAudit(leaf: Leaf, program: Command): void {
  leaf(program, "audit", "Recent audit events, newest first.", async (ctx) => {
    const o = ctx.options as Record<string, string | number | undefined>;
    const events = await ctx.withVault(
      (vault) =>
        vault.listAudit({
          projectId: o.project as string | undefined,
          storeId: o.store as string | undefined,
          action: o.action as string | undefined,
          apiKeyId: o.key as string | undefined,
          since: o.since as number | undefined,
          until: o.until as number | undefined,
          limit: Number(o.limit),
        }),
      NO_DATA_KEYS,
    );
    ctx.result({ events: events.map(auditJson) }, () =>
      table(
        ["AT", "ACTION", "ACTOR", "PROJECT", "STORE", "OUTCOME", "DETAILS"],
        events.map((e) => [
          iso(e.at),
          e.action,
          e.actor,
          e.projectId ?? "-",
          e.storeId ?? "-",
          e.code ? `${e.outcome} ${e.code}` : e.outcome,
          Object.keys(e.details).length ? JSON.stringify(e.details) : "",
        ]),
      ),
    );
  })
    .addOption(
      new Option("--project <id>", "only this project (default: all)").env("COFFER_PROJECT"),
    )
    .option("--store <id>", "only this store")
    .option("--action <action>", "only this action, e.g. store.delete or auth.denied")
    .option("--key <id>", "only events of this API key id")
    .addOption(
      new Option("--since <time>", "only events at or after this time (ISO 8601)").argParser(
        timestamp,
      ),
    )
    .addOption(
      new Option("--until <time>", "only events before this time (ISO 8601)").argParser(timestamp),
    )
    .addOption(
      new Option("--limit <n>", "how many events").argParser(integer(1, 1000)).default(50),
    );
}

// ── helpers ───────────────────────────────────────────────────────────────────────────────────

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

function timestamp(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new InvalidArgumentError("expected a time such as 2025-01-31 or 2025-01-31T12:00:00Z.");
  }
  return ms;
}

/** An id made from a display name: "Acme Inc." → "acme-inc" (undefined when nothing is left). */
function idFromName(name: string): string | undefined {
  const id = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "") // accents, split off by NFKD
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[-_]+|-+$/g, "")
    .replace(/-{2,}/g, "-")
    .slice(0, 64)
    .replace(/-+$/, "");
  return id === "" ? undefined : id;
}

function checkName(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const name = String(value).trim();
  if (name.length < 1 || name.length > 200)
    throw new CofferError("INVALID_ARGUMENT", "Names are 1 to 200 characters.");
  return name;
}

function scopeText(storeIds: string[] | null): string {
  return storeIds ? `stores ${storeIds.join(", ")}` : "every store";
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

function countsText(c: BackupCounts): string {
  const n = (count: number, one: string, many = `${one}s`) =>
    `${count} ${count === 1 ? one : many}`;
  return [
    n(c.projects, "project"),
    n(c.stores, "store"),
    n(c.entries, "entry", "entries"),
    n(c.apiKeys, "API key"),
    n(c.adminTokens, "admin token"),
  ].join(", ");
}

function table(headers: string[], rows: string[][]): string {
  if (rows.length === 0) return "(none)";
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  return [headers, ...rows]
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function box(lines: string[]): string {
  const width = Math.max(...lines.map((l) => l.length));
  const edge = "─".repeat(width + 2);
  return [`┌${edge}┐`, ...lines.map((l) => `│ ${l.padEnd(width)} │`), `└${edge}┘`].join("\n");
}

/** A counter redrawn in place on stderr, at most every 100 ms, and only on a terminal. */
function progressLine(io: CliIo): { update: BackupProgress; done(): void } {
  let last = 0;
  let drawn = false;
  return {
    update: (phase, counts) => {
      const now = Date.now();
      if (!io.stderrIsTTY || now - last < 100) return;
      last = now;
      drawn = true;
      io.stderr(`\r${phase}: ${countsText(counts)}\x1b[K`);
    },
    done: () => {
      if (drawn) io.stderr("\r\x1b[K");
    },
  };
}
