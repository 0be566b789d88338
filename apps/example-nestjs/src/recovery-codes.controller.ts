import { randomInt } from "node:crypto";
import { CofferService } from "@coffer/nestjs";
import { Body, Controller, HttpCode, Post, UnauthorizedException } from "@nestjs/common";
import { UserId } from "./user-id.decorator.js";

const COUNT = 10;
const ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"; // no 0/o, 1/i/l
const CODE = /^[a-z2-9]{5}-[a-z2-9]{5}$/;

/**
 * 2FA recovery codes: shown once when made, each good for one sign-in. Each code is a key of its
 * own (`<user id>:<code>`), so redeeming is one delete that only the first request wins; the key
 * `<user id>` lists the current codes, so that making new ones revokes the old.
 */
@Controller("recovery-codes")
export class RecoveryCodesController {
  constructor(private readonly coffer: CofferService) {}

  @Post()
  async create(@UserId() userId: string) {
    const store = await this.coffer.getDataVaultStore("recovery-codes");
    const previous: string[] = JSON.parse((await store.getValue(userId)) ?? "[]");
    await Promise.all(previous.map((code) => store.deleteValue(`${userId}:${code}`)));
    const codes = Array.from({ length: COUNT }, newCode);
    const issuedAt = new Date().toISOString();
    await store.setValues([
      ...codes.map((code) => [`${userId}:${code}`, issuedAt] as const),
      [userId, JSON.stringify(codes)],
    ]);
    return { codes };
  }

  @Post("redeem")
  @HttpCode(200)
  async redeem(@UserId() userId: string, @Body() body: unknown) {
    const code = String((body as { code?: unknown } | undefined)?.code ?? "")
      .trim()
      .toLowerCase();
    const store = await this.coffer.getDataVaultStore("recovery-codes");
    if (!CODE.test(code) || !(await store.deleteValue(`${userId}:${code}`))) {
      throw new UnauthorizedException("Unknown or already used recovery code.");
    }
    return { redeemed: true };
  }
}

function newCode(): string {
  const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]);
  return `${chars.slice(0, 5).join("")}-${chars.slice(5).join("")}`;
}
