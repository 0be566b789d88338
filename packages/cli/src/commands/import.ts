// `coffer import`: an export into a store. Envelopes are bound to the exporting store and sealed
// under the exporting secret, so each is opened with the keyring (secret + previous secrets) and
// sealed again under the current secret, for the target store.
import { resolve } from "node:path";
import {
  CofferError,
  createSealer,
  isCofferError,
  type OpenedEntry,
  type Sealer,
} from "@coffer/core";
import type { Context } from "../context.js";
import type { SealedWireEntry } from "../export-format.js";
import { type ExportHeader, readExport } from "../export-format.js";
import { interruptible } from "../io.js";
import { createProgress } from "../progress.js";
import { entries } from "../text.js";

const BATCH = 100;

export async function importCommand(ctx: Context, storeId: string, source: string): Promise<void> {
  const file = resolve(source);
  const store = await ctx.store(storeId); // credentials and STORE_NOT_FOUND first
  const keyring = ctx.keyring;
  const sealer = createSealer(keyring);
  const keyIds = await sealer.keyIds();
  const rank = (keyId: string) => keyIds.indexOf(keyId);

  // Pass 1: the whole file must be well formed, complete, and open under the keyring before
  // anything is written. Remembers which line holds each key (a key exported under two secrets
  // is taken from the one this keyring ranks first).
  let header: ExportHeader | undefined;
  let total = 0;
  const best = new Map<string, { line: number; rank: number }>();
  const foreign = new Map<string, number>();
  for await (const item of readExport(file)) {
    if (item.kind === "header") header = item.header;
    else if (item.kind === "entry" && header) {
      total++;
      if (rank(item.entry.keyId) < 0) {
        foreign.set(item.entry.keyId, (foreign.get(item.entry.keyId) ?? 0) + 1);
        continue;
      }
      if (foreign.size > 0) continue; // failing anyway: only count the rest
      const opened = await openEntry(sealer, header, item.entry, file, item.line);
      const r = rank(opened.keyId);
      const seen = best.get(opened.key);
      if (!seen || r < seen.rank) best.set(opened.key, { line: item.line, rank: r });
    }
  }
  if (!header) throw new CofferError("INVALID_ARGUMENT", `${file} has no header.`);
  if (foreign.size > 0) {
    const count = [...foreign.values()].reduce((a, b) => a + b, 0);
    throw new CofferError(
      "WRONG_SECRET",
      `${count} of the ${entries(total)} in ${file} are sealed under secrets not given (key ids ${[...foreign.keys()].join(", ")}): pass the secret store "${header.store}" was exported under in --previous-secrets (COFFER_PREVIOUS_SECRETS). Nothing was imported.`,
      { details: { keyIds: [...foreign.keys()], held: keyIds } },
    );
  }

  // Pass 2: open again and write under the current secret, 100 entries per request.
  const progress = createProgress(ctx.io, `Importing into ${storeId}`);
  // Ctrl-C stops between two batches (each is all-or-nothing); running it again is harmless.
  const interrupt = interruptible(ctx.io);
  let imported = 0;
  try {
    let batch: Array<[string, string | Uint8Array]> = [];
    const flush = async () => {
      if (batch.length === 0) return;
      interrupt.check();
      await store.setValues(batch);
      imported += batch.length;
      batch = [];
      progress.update(imported, best.size);
    };
    for await (const item of readExport(file)) {
      if (item.kind !== "entry") continue;
      const opened = await openEntry(sealer, header, item.entry, file, item.line);
      if (best.get(opened.key)?.line !== item.line) continue;
      batch.push([opened.key, opened.value]);
      if (batch.length >= BATCH) await flush();
    }
    await flush();
  } finally {
    interrupt.stop();
    progress.stop();
  }

  const duplicates = total - best.size;
  ctx.result(
    {
      store: storeId,
      from: header.store,
      file,
      entries: total,
      imported,
      duplicates,
      keyId: keyIds[0],
    },
    () =>
      `Imported ${entries(imported)} into store "${storeId}" from ${file} (store "${header.store}", exported ${header.createdAt}), sealed under the current secret (key id ${keyIds[0]}).${duplicates ? ` ${duplicates} older copies of keys exported twice were skipped.` : ""}`,
  );
}

async function openEntry(
  sealer: Sealer,
  header: ExportHeader,
  entry: SealedWireEntry,
  file: string,
  line: number,
): Promise<OpenedEntry> {
  try {
    return await sealer.open(
      header.store,
      entry.blindedId,
      new Uint8Array(Buffer.from(entry.envelope, "base64url")),
    );
  } catch (error) {
    if (!isCofferError(error)) throw error;
    throw new CofferError(error.code, `${error.message} (${file}, line ${line})`, {
      cause: error,
      details: { line },
    });
  }
}
