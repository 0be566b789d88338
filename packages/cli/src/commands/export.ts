// `coffer export`: a store's sealed entries to a file, never decrypted (no secret needed).
import { randomBytes } from "node:crypto";
import { createReadStream, lstatSync, statSync } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { CofferError } from "@coffer/core";
import type { Context } from "../context.js";
import {
  EXPORT_FORMAT,
  EXPORT_VERSION,
  entryLine,
  headerLine,
  trailerLine,
} from "../export-format.js";
import { interruptible } from "../io.js";
import { createProgress } from "../progress.js";
import { entries } from "../text.js";

export async function exportCommand(ctx: Context, storeId: string, target: string): Promise<void> {
  const client = ctx.client(); // the settings first: a bad URL or API key says so
  const file = resolve(target);
  const existing = lstatSync(file, { throwIfNoEntry: false });
  // The export is renamed into place: over a device (/dev/null), a FIFO or a symlink that would
  // replace the special file itself, and over a directory it would fail after all the work.
  if (existing && !existing.isFile()) {
    throw new CofferError(
      "INVALID_ARGUMENT",
      `${file} exists and is not a regular file: export to a new file, or to a regular file with --force.`,
    );
  }
  if (existing && ctx.options.force !== true) {
    throw new CofferError(
      "INVALID_ARGUMENT",
      `${file} already exists: pass --force to replace it.`,
    );
  }
  if (!statSync(dirname(file), { throwIfNoEntry: false })?.isDirectory()) {
    throw new CofferError("INVALID_ARGUMENT", `No directory ${dirname(file)} to export into.`);
  }
  const info = await client.storeInfo(storeId); // STORE_NOT_FOUND before any file is created
  const createdAt = new Date().toISOString();

  // The entries go to a scratch file first: the header, written first, lists the key ids they
  // turn out to be sealed under. The export appears under its name only once complete.
  const stem = `${file}.${randomBytes(6).toString("hex")}`;
  const body = `${stem}.entries.tmp`;
  const assembled = `${stem}.tmp`;
  const keyIds = new Set<string>();
  let count = 0;
  const progress = createProgress(ctx.io, `Exporting ${storeId}`);
  // Ctrl-C stops between two pages and removes the partial files.
  const interrupt = interruptible(ctx.io);
  try {
    const out = await open(body, "wx", 0o600);
    try {
      let page = "";
      for await (const entry of client.sealedEntries(storeId)) {
        keyIds.add(entry.keyId);
        page += entryLine(entry);
        count++;
        if (count % 100 === 0) {
          interrupt.check();
          await out.write(page);
          page = "";
          progress.update(count, Math.max(count, info.entryCount));
        }
      }
      await out.write(page);
      progress.update(count, Math.max(count, info.entryCount));
    } finally {
      await out.close();
    }

    const final = await open(assembled, "wx", 0o600);
    try {
      await final.write(
        headerLine({
          format: EXPORT_FORMAT,
          version: EXPORT_VERSION,
          store: storeId,
          createdAt,
          keyIds: [...keyIds],
        }),
      );
      for await (const chunk of createReadStream(body)) await final.write(chunk as Buffer);
      await final.write(trailerLine(count));
      await final.sync();
    } finally {
      await final.close();
    }
    await rename(assembled, file);
  } finally {
    interrupt.stop();
    progress.stop();
    await rm(body, { force: true });
    await rm(assembled, { force: true });
  }

  ctx.result(
    { store: storeId, file, count, keyIds: [...keyIds], createdAt },
    () =>
      `Exported ${entries(count)} of store "${storeId}" to ${file} (mode 0600), still sealed. They stay sealed under the secret${keyIds.size === 1 ? "" : "s"} they were written with (key id${keyIds.size === 1 ? "" : "s"} ${[...keyIds].join(", ") || "-"}): importing needs ${keyIds.size === 1 ? "it" : "them"}.`,
  );
}
