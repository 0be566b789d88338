// `coffer init`: writes .env.local for an application, with a fresh secret.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { CofferError, checkVaultUrl, createSealer, generateSecret } from "@coffer/core";
import type { Context } from "../context.js";
import { gitIgnores } from "../gitignore.js";
import { CancelledError, confirm } from "../io.js";

export const ENV_FILE = ".env.local";

export async function initCommand(ctx: Context): Promise<void> {
  const dir = resolve(String(ctx.options.dir ?? "."));
  const file = resolve(dir, ENV_FILE);
  const url = ctx.url;
  const insecure = ctx.allowInsecureHttp;
  checkVaultUrl(url, insecure); // as the SDK will: https, or http on loopback unless allowed
  const apiKey = ctx.options.apiKey || undefined;
  // A secret given on the command line (another copy of the same app); checked as the SDK will.
  const given = ctx.options.secretFlag === true ? ctx.options.secret : undefined;
  if (given !== undefined) {
    createSealer({ secret: given });
    checkEnvValue("COFFER_SECRET", given);
  }
  checkEnvValue("COFFER_URL", url);
  if (apiKey !== undefined) checkEnvValue("COFFER_API_KEY", apiKey);

  const exists = existsSync(file);
  if (exists && ctx.options.force !== true) {
    const stdin = ctx.io.stdin;
    if (!stdin?.isTTY) {
      throw new CofferError(
        "INVALID_ARGUMENT",
        `${file} already exists: not overwriting it (its COFFER_SECRET may be the only copy). Pass --force to replace it.`,
      );
    }
    let yes: boolean;
    try {
      yes = await confirm(
        ctx.io,
        stdin,
        `${file} already exists. Overwrite it? Its COFFER_SECRET is lost unless you kept a copy.`,
      );
    } catch (error) {
      if (error instanceof CancelledError) yes = false;
      else throw error;
    }
    if (!yes) {
      ctx.io.stderr("Left it unchanged.\n");
      ctx.io.setExitCode(1);
      return;
    }
  }

  const text = envFile({ url, apiKey, secret: given ?? generateSecret(), insecure });
  if (exists) {
    // Replace in one step, so that an interruption leaves the old file or the new one.
    const temporary = `${file}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      await writeFile(temporary, text, { mode: 0o600, flag: "wx" });
      await rename(temporary, file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  } else {
    await writeFile(file, text, { mode: 0o600, flag: "wx" });
  }

  const ignore = gitIgnores(file);
  const unignored = ignore.files.length > 0 && !ignore.ignored;
  ctx.result(
    {
      file,
      overwritten: exists,
      url,
      apiKeySet: apiKey !== undefined,
      newSecret: given === undefined,
      gitignored: ignore.ignored,
    },
    () =>
      [
        `Wrote ${file} (mode 0600) with ${given === undefined ? "a new COFFER_SECRET" : "the COFFER_SECRET given"}.`,
        apiKey === undefined
          ? "COFFER_API_KEY is empty: create a key with `pnpm coffer-server key create` and paste it in."
          : "",
        "Back up COFFER_SECRET somewhere safe: values sealed under it cannot be read without it.",
      ]
        .filter(Boolean)
        .join("\n"),
  );
  if (unignored) {
    ctx.note(
      `Warning: ${ignore.files[0]} does not ignore ${ENV_FILE}: add a line "${ENV_FILE}" so the secret is never committed.`,
    );
  }
}

function envFile(values: {
  url: string;
  apiKey: string | undefined;
  secret: string;
  insecure: boolean;
}): string {
  return [
    `# Coffer settings for this application, written by \`coffer init\` on ${new Date().toISOString().slice(0, 10)}.`,
    "# Keep this file out of version control.",
    "",
    "# The Coffer vault service.",
    `COFFER_URL=${values.url}`,
    ...(values.insecure
      ? [
          "# Plain http:// to a host that is not loopback: only on a network you trust.",
          "COFFER_ALLOW_INSECURE_HTTP=1",
        ]
      : []),
    values.apiKey === undefined
      ? "# An API key of the vault: create one with `pnpm coffer-server key create` and paste it here."
      : "# An API key of the vault.",
    `COFFER_API_KEY=${values.apiKey ?? ""}`,
    "# The secret values are sealed under, before they leave this application. Back it up:",
    "# without it nothing stored under it can be read. To change it, see `coffer rotate --help`.",
    `COFFER_SECRET=${values.secret}`,
    "",
  ].join("\n");
}

/** A value that fits on one unquoted line of a dotenv file. */
function checkEnvValue(name: string, value: string): void {
  if (!/^[^\s#"'`\\]+$/.test(value)) {
    throw new CofferError(
      "INVALID_ARGUMENT",
      `${name} cannot be written to ${ENV_FILE}: it contains spaces, quotes, '#' or backslashes.`,
    );
  }
}
