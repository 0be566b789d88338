// `coffer get | set | delete | keys`: one store's values through the SDK.
import { CofferError, isCofferError } from "@coffer/core";
import type { Context } from "../context.js";
import { readAllStdin, readHiddenLine } from "../io.js";
import { entries } from "../text.js";

export async function getCommand(ctx: Context, storeId: string, key: string): Promise<void> {
  const store = await ctx.store(storeId);
  let value: string | null;
  let encoding: "utf8" | "base64" = "utf8";
  try {
    value = await store.getValue(key);
  } catch (error) {
    // A value stored as bytes (by an application, through the SDK): printed as base64.
    if (!isCofferError(error) || error.code !== "INVALID_ARGUMENT") throw error;
    const bytes = await store.getBytes(key);
    if (bytes === null) throw error;
    value = Buffer.from(bytes).toString("base64");
    encoding = "base64";
  }
  if (value === null) {
    ctx.io.setExitCode(1);
    if (ctx.json) ctx.io.stdout(`${JSON.stringify({ key, value: null })}\n`);
    else ctx.io.stderr(`coffer: no value for key "${key}" in store "${storeId}".\n`);
    return;
  }
  if (ctx.json) {
    ctx.io.stdout(
      `${JSON.stringify(encoding === "utf8" ? { key, value } : { key, value, encoding })}\n`,
    );
    return;
  }
  if (encoding === "base64") ctx.io.stderr("coffer: the value is binary: printed as base64.\n");
  // Exactly the value: `$(coffer get …)` and `coffer get … > file` get nothing else.
  ctx.io.stdout(value);
}

export async function setCommand(ctx: Context, storeId: string, key: string): Promise<void> {
  if (ctx.extraArgs.length > 0) {
    throw new CofferError(
      "INVALID_ARGUMENT",
      'set takes the value on standard input, never as an argument (it would land in your shell history): `printf %s "$VALUE" | coffer set <store> <key>`, or run it on a terminal to be asked for it.',
    );
  }
  // Check the credentials and the store before asking for the value.
  const store = await ctx.store(storeId);
  const stdin = ctx.io.stdin;
  if (!stdin) {
    throw new CofferError(
      "INVALID_ARGUMENT",
      "set reads the value from standard input, and there is none.",
    );
  }
  const value = stdin.isTTY
    ? await readHiddenLine(ctx.io, stdin, "Value (input hidden): ")
    : await readAllStdin(stdin);
  await store.setValue(key, value);
  ctx.result({ key, stored: true }, () => `Stored "${key}" in store "${storeId}".`);
}

export async function deleteCommand(ctx: Context, storeId: string, key: string): Promise<void> {
  const store = await ctx.store(storeId);
  const deleted = await store.deleteValue(key);
  ctx.result({ key, deleted }, () =>
    deleted
      ? `Deleted "${key}" from store "${storeId}".`
      : `No value for "${key}" in store "${storeId}": nothing deleted.`,
  );
}

export async function keysCommand(ctx: Context, storeId: string): Promise<void> {
  const store = await ctx.store(storeId);
  // A key not yet rotated can exist under the current and a previous secret: list it once.
  const seen = new Set<string>();
  for await (const key of store.keys()) {
    if (seen.has(key)) continue;
    seen.add(key);
    if (!ctx.json) ctx.io.stdout(`${key}\n`);
  }
  if (ctx.json) ctx.io.stdout(`${JSON.stringify([...seen])}\n`);
  // Entries under secrets this keyring lacks are invisible to keys(): say so.
  const keyIds = new Set(await ctx.keyIds());
  const info = await ctx.client().storeInfo(storeId);
  const hidden = info.keyIds.filter((k) => !keyIds.has(k.keyId)).reduce((n, k) => n + k.count, 0);
  if (hidden > 0) {
    ctx.note(
      `coffer: ${entries(hidden)} of store "${storeId}" ${hidden === 1 ? "is" : "are"} sealed under secrets not given (COFFER_SECRET, COFFER_PREVIOUS_SECRETS): their keys are not listed.`,
    );
  }
}
