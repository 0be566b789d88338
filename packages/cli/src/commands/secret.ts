import { generateSecret } from "@coffer/core";
import type { Context } from "../context.js";

/** `coffer secret`: a new secret for COFFER_SECRET. */
export async function secretCommand(ctx: Context): Promise<void> {
  const secret = generateSecret();
  ctx.result({ secret }, () => secret);
  ctx.note(
    "Keep it in COFFER_SECRET, and back it up: every value sealed under it is lost without it.",
  );
}
