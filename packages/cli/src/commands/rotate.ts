// `coffer rotate`: re-seals every entry still under a previous secret under the current one.
import type { RotateProgress } from "@coffer/core";
import type { Context } from "../context.js";
import { createProgress } from "../progress.js";
import { entries } from "../text.js";

export async function rotateCommand(ctx: Context, storeId: string): Promise<void> {
  const store = await ctx.store(storeId);
  const [current, ...previous] = await ctx.keyIds();
  if (previous.length === 0) {
    ctx.note(
      "No previous secrets given (COFFER_PREVIOUS_SECRETS, --previous-secrets): there is nothing this keyring can rotate.",
    );
  }
  const progress = createProgress(ctx.io, `Rotating ${storeId}`);
  // Ctrl-C stops between two batches of moves (each move is atomic on the vault), so the
  // command can say where it stopped; a second Ctrl-C kills at once.
  let interrupted = false;
  const stopListening = ctx.io.onInterrupt?.(() => {
    interrupted = true;
  });
  let result: RotateProgress;
  try {
    result = await store.rotate({
      onProgress: (p) => {
        progress.update(p.rotated, p.total);
        if (interrupted) throw new Interrupted(p);
      },
    });
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error;
    progress.stop();
    const { rotated, total } = error.progress;
    if (ctx.json) {
      ctx.io.stdout(
        `${JSON.stringify({ store: storeId, rotated, total, keyId: current, interrupted: true, complete: false })}\n`,
      );
    }
    ctx.io.stderr(
      `coffer: interrupted after rotating ${rotated} of ${entries(total)}. Run \`coffer rotate ${storeId}\` again to finish: entries already rotated are skipped.\n`,
    );
    ctx.io.setExitCode(130);
    return;
  } finally {
    progress.stop();
    stopListening?.();
  }

  // What is left, from the vault's own count of entries per secret.
  const info = await ctx.client().storeInfo(storeId);
  const held = new Set([current, ...previous]);
  const count = (keep: (keyId: string) => boolean) =>
    info.keyIds.filter((k) => keep(k.keyId)).reduce((n, k) => n + k.count, 0);
  const stale = count((id) => id !== current && held.has(id));
  const unknownKeyIds = info.keyIds.filter((k) => !held.has(k.keyId));
  const unknown = count((id) => !held.has(id));
  const complete = stale === 0 && unknown === 0;

  ctx.result(
    {
      store: storeId,
      rotated: result.rotated,
      total: result.total,
      keyId: current,
      entries: info.entryCount,
      remaining: stale + unknown,
      keyIds: info.keyIds,
      complete,
    },
    () =>
      [
        result.total === 0
          ? `Nothing to rotate in store "${storeId}".`
          : `Rotated ${result.rotated} of ${entries(result.total)} of store "${storeId}" to the current secret (key id ${current}).`,
        complete
          ? `${info.entryCount === 1 ? "The entry is" : `All ${entries(info.entryCount)} are`} under the current secret. Once every process of the application runs with it, the previous secrets can leave COFFER_PREVIOUS_SECRETS.`
          : `${entries(info.entryCount)}: ${info.entryCount - stale - unknown} under the current secret${stale ? `, ${stale} still under previous secrets (written meanwhile? run rotate again)` : ""}${unknown ? `, ${unknown} under secrets not given (key ids ${unknownKeyIds.map((k) => k.keyId).join(", ")})` : ""}.`,
      ].join("\n"),
  );
  if (!complete) {
    if (!ctx.json && unknown > 0) {
      ctx.io.stderr(
        "coffer: the rotation is not complete: add the secrets those entries were sealed under to COFFER_PREVIOUS_SECRETS and run rotate again.\n",
      );
    }
    ctx.io.setExitCode(1);
  }
}

/** Thrown from onProgress to stop a rotation between two batches. */
class Interrupted extends Error {
  readonly progress: RotateProgress;
  constructor(progress: RotateProgress) {
    super("Interrupted.");
    this.progress = progress;
  }
}
