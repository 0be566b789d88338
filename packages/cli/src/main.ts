// The `coffer` command line: secrets of a Coffer vault store from a terminal or a script.
// `--json` makes a command print exactly one JSON document on stdout; errors then go there too.
import { readFileSync } from "node:fs";
import { getSystemErrorMap } from "node:util";
import { CofferError, isCofferError } from "@coffer/core";
import { Command, CommanderError, Option } from "commander";
import { exportCommand } from "./commands/export.js";
import { importCommand } from "./commands/import.js";
import { initCommand } from "./commands/init.js";
import { rotateCommand } from "./commands/rotate.js";
import { secretCommand } from "./commands/secret.js";
import { deleteCommand, getCommand, keysCommand, setCommand } from "./commands/values.js";
import { type CommandOptions, Context, DEFAULT_URL } from "./context.js";
import { CancelledError, type CliIo, processIo } from "./io.js";

export const VERSION: string = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
).version;

/** Runs `coffer` with process.argv-style arguments; sets the exit code, never exits. */
export async function main(argv: string[], io: CliIo = processIo): Promise<void> {
  // Until a command runs (and says), a usage error answers in JSON if --json was asked for.
  const state = { json: argv.slice(2).includes("--json") };
  const program = createProgram(io, state);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    // Commander already printed its own message (usage errors, --help, --version).
    if (error instanceof CommanderError) {
      io.setExitCode(error.exitCode);
      return;
    }
    if (error instanceof CancelledError) {
      io.stderr("coffer: cancelled.\n");
      io.setExitCode(130);
      return;
    }
    const { code, message } = describeError(error);
    if (state.json) io.stdout(`${JSON.stringify({ error: { code, message } })}\n`);
    else io.stderr(`coffer: ${message} (${code})\n`);
    io.setExitCode(1);
  }
}

function describeError(error: unknown): { code: string; message: string } {
  if (isCofferError(error)) return { code: error.code, message: error.message };
  const system = error as { syscall?: unknown; errno?: unknown; code?: unknown; path?: unknown };
  if (typeof system?.syscall === "string" && typeof system.errno === "number") {
    // A file the user named could not be read or written (ENOENT, EISDIR, EACCES, …): their
    // mistake, with its own stable code, and Node's code kept in the message for searching.
    const reason = getSystemErrorMap().get(system.errno)?.[1] ?? "failed";
    const path = typeof system.path === "string" ? ` ${system.path}` : "";
    return {
      code: "INVALID_ARGUMENT",
      message: `Cannot ${system.syscall}${path}: ${reason} (${String(system.code)}).`,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  return { code: typeof code === "string" ? code : "INTERNAL_ERROR", message };
}

/** A yes/no variable as core's adapters read it: 1/true/yes, 0/false/no or empty. */
function yesNo(value: string | undefined, name: string): boolean {
  const text = (value ?? "").trim().toLowerCase();
  if (["", "0", "false", "no"].includes(text)) return false;
  if (["1", "true", "yes"].includes(text)) return true;
  throw new CofferError("INVALID_ARGUMENT", `${name} must be 1 or 0 (true or false).`);
}

/** The options read from COFFER_* variables when their flag is absent. */
const ENV_OPTIONS = [
  ["url", "COFFER_URL"],
  ["apiKey", "COFFER_API_KEY"],
  ["secret", "COFFER_SECRET"],
  ["previousSecrets", "COFFER_PREVIOUS_SECRETS"],
] as const;

export function createProgram(io: CliIo, state: { json: boolean } = { json: false }): Command {
  const env = io.env ?? process.env;
  const program = new Command("coffer")
    .description(
      "Read, write, rotate, export and import the values of a Coffer vault store. Values are sealed here, under COFFER_SECRET, before they reach the vault.",
    )
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      // Usage errors (unknown command or option, missing argument) in the shape of every other
      // error: one line with a code, or the JSON error document with --json.
      outputError: (text) => {
        const message = text.replace(/^error: /, "").trim();
        if (state.json) {
          io.stdout(`${JSON.stringify({ error: { code: "INVALID_ARGUMENT", message } })}\n`);
        } else io.stderr(`coffer: ${message} (INVALID_ARGUMENT)\n`);
      },
    })
    .configureHelp({ showGlobalOptions: true })
    .addOption(
      new Option("--url <url>", `vault service URL (default: ${DEFAULT_URL})`).env("COFFER_URL"),
    )
    .addOption(
      new Option("--api-key <key>", "API key (prefer the environment variable)").env(
        "COFFER_API_KEY",
      ),
    )
    .addOption(
      new Option(
        "--secret <secret>",
        "the secret values are sealed under (prefer the environment variable)",
      ).env("COFFER_SECRET"),
    )
    .addOption(
      new Option(
        "--previous-secrets <secrets>",
        "comma-separated older secrets whose entries still open (prefer the environment variable)",
      ).env("COFFER_PREVIOUS_SECRETS"),
    )
    .addOption(
      new Option(
        "--allow-insecure-http",
        "allow plain http:// to a host that is not loopback (a network you trust; 1 or 0 in the variable)",
      ).env("COFFER_ALLOW_INSECURE_HTTP"),
    );

  // Commander reads process.env; the io's environment is the one that counts (tests pass their
  // own). Flags still win over variables; an empty variable counts as unset.
  program.hook("preAction", (_program, command) => {
    for (const [key, variable] of ENV_OPTIONS) {
      if (program.getOptionValueSource(key) === "cli") continue;
      const value = env[variable];
      program.setOptionValueWithSource(key, value === "" ? undefined : value, "env");
    }
    if (program.getOptionValueSource("allowInsecureHttp") !== "cli") {
      const insecure = yesNo(env.COFFER_ALLOW_INSECURE_HTTP, "COFFER_ALLOW_INSECURE_HTTP");
      program.setOptionValueWithSource("allowInsecureHttp", insecure, "env");
    }
    // `init` writes a new secret unless one is given on its command line (never from the
    // environment, which may hold another application's).
    program.setOptionValueWithSource(
      "secretFlag",
      program.getOptionValueSource("secret") === "cli",
      "default",
    );
    state.json = command.opts().json === true;
  });

  /** A command whose action receives a Context and its positional arguments. */
  const command = (
    spec: string,
    description: string,
    run: (ctx: Context, ...args: never[]) => Promise<void>,
    options: { json?: boolean } = {},
  ) => {
    const cmd = program
      .command(spec)
      .description(description)
      .action(async (...args: unknown[]) => {
        const self = args.at(-1) as Command;
        const positional = args.slice(0, self.registeredArguments.length) as never[];
        const extra = self.args.slice(self.registeredArguments.length);
        await run(new Context(io, self.optsWithGlobals<CommandOptions>(), extra), ...positional);
      });
    if (options.json !== false) cmd.option("--json", "print one JSON document on stdout");
    return cmd;
  };

  command("secret", "Print a new secret (for COFFER_SECRET).", secretCommand);

  command(
    "init",
    "Write .env.local for an application: COFFER_URL, COFFER_API_KEY and a new COFFER_SECRET.",
    initCommand,
  )
    .option("--dir <dir>", "directory of the application", ".")
    .option("--force", "replace an existing .env.local without asking")
    .addHelpText(
      "after",
      `
The file is written with mode 0600. An existing .env.local is never replaced silently: on a
terminal you are asked (default no); otherwise --force is required. COFFER_URL and COFFER_API_KEY
come from their flags or variables; without an API key the line is left empty, to fill in with a
key from \`pnpm coffer-server key create\`. The secret is a new one, unless --secret is given on
the command line (COFFER_SECRET in the environment is not used: it may be another app's).
--allow-insecure-http (or COFFER_ALLOW_INSECURE_HTTP=1) adds COFFER_ALLOW_INSECURE_HTTP=1.`,
    );

  command(
    "get <store> <key>",
    "Print the value of a key, exactly as stored (no newline added). Exit code 1 if there is none.",
    getCommand,
  ).addHelpText("after", '\n--json prints {"key","value"}; value is null for a missing key.');

  command(
    "set <store> <key>",
    "Store a value read from standard input (never from an argument: it would land in your shell history).",
    setCommand,
  )
    .allowExcessArguments(true)
    .addHelpText(
      "after",
      `
The value is all of standard input, as UTF-8, with one trailing newline removed:
  printf '%s' "$TOKEN" | coffer set oauth-tokens gh:42
  coffer set oauth-tokens gh:42 < token.txt
On a terminal, you are asked for it instead ("Value (input hidden):"), without echo.`,
    );

  command(
    "delete <store> <key>",
    "Delete a key (under every secret given); says whether there was a value.",
    deleteCommand,
  );

  command(
    "keys <store>",
    "List the keys of a store, one per line (decrypted here: the vault cannot list them).",
    keysCommand,
  );

  command(
    "rotate <store>",
    "Re-seal every entry under a previous secret with the current one.",
    rotateCommand,
  ).addHelpText(
    "after",
    `
To change the secret: set the new one as COFFER_SECRET and the old one in COFFER_PREVIOUS_SECRETS
(or --secret NEW --previous-secrets OLD), deploy that, and run \`coffer rotate <store>\`.
Interrupting it is safe: running it again continues, skipping entries already rotated. It exits
with 1 while entries remain under secrets it was not given.`,
  );

  command(
    "export <store> <file>",
    "Write the store's sealed entries to a file (JSON Lines, mode 0600); nothing is decrypted.",
    exportCommand,
  )
    .option("--force", "replace an existing file")
    .addHelpText(
      "after",
      `
Needs COFFER_URL and COFFER_API_KEY only. The entries stay sealed under the secrets they were
written with and bound to this store: \`coffer import\` opens them with the secrets given to it.`,
    );

  command(
    "import <store> <file>",
    "Import an export into a store, sealed again under the current secret.",
    importCommand,
  ).addHelpText(
    "after",
    `
Each entry is opened with COFFER_SECRET and COFFER_PREVIOUS_SECRETS, then sealed under
COFFER_SECRET for the target store: to import under a new secret, give both
(--secret NEW --previous-secrets OLD). The whole file is checked first (header, end line, every
entry opens); nothing is written if any of it fails. Existing keys are overwritten; running it
again is harmless.`,
  );

  return program;
}
