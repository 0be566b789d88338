import { randomInt } from "node:crypto";
import { CofferService, type DataVaultStore } from "@coffer/nestjs";
import { Body, Controller, HttpCode, Post, UnauthorizedException } from "@nestjs/common";
import { UserId } from "./user-id.decorator.js";

const COUNT = 10;
const ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"; // no 0/o, 1/i/l
const CODE = /^[a-z2-9]{5}-[a-z2-9]{5}$/;

/**
 * 2FA recovery codes: shown once when made, each good for one sign-in. Each code is a key of its
 * own (`<user id>:<code>`), so redeeming is one delete that only the first request wins; the key
 * `<user id>` lists the current codes, and only a listed code redeems, so that making new ones
 * revokes the old at once, even when two requests make new ones at the same time.
 */
@Controller("recovery-codes")
export class RecoveryCodesController {
  constructor(private readonly coffer: CofferService) {}

  @Post()
  async create(@UserId() userId: string) {
    const store = await this.coffer.getDataVaultStore("recovery-codes");
    const previous = await currentCodes(store, userId);
    const codes = Array.from({ length: COUNT }, newCode);
    const issuedAt = new Date().toISOString();
    // The codes and the list in one all-or-nothing write: from then on only these are listed.
    await store.setValues([
      ...codes.map((code) => [`${userId}:${code}`, issuedAt] as const),
      [userId, JSON.stringify(codes)],
    ]);
    // Tidying up: unlisted, the old codes no longer redeem either way.
    await Promise.all(previous.map((code) => store.deleteValue(`${userId}:${code}`)));
    return { codes };
  }

  @Post("redeem")
  @HttpCode(200)
  async redeem(@UserId() userId: string, @Body() body: unknown) {
    const sent = (body as { code?: unknown } | undefined)?.code;
    const code = typeof sent === "string" ? sent.trim().toLowerCase() : "";
    const store = await this.coffer.getDataVaultStore("recovery-codes");
    if (
      !CODE.test(code) ||
      !(await currentCodes(store, userId)).includes(code) ||
      !(await store.deleteValue(`${userId}:${code}`))
    ) {
      throw new UnauthorizedException("Unknown or already used recovery code.");
    }
    return { redeemed: true };
  }
}

/** The user's current codes: those of the last batch made. */
async function currentCodes(store: DataVaultStore, userId: string): Promise<string[]> {
  return JSON.parse((await store.getValue(userId)) ?? "[]");
}

function newCode(): string {
  const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]);
  return `${chars.slice(0, 5).join("")}-${chars.slice(5).join("")}`;
}
