import { type DataVaultStore, InjectDataVaultStore } from "@coffer/nestjs";
import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Put,
} from "@nestjs/common";
import { UserId } from "./user-id.decorator.js";

/** Each user's OAuth tokens, one per provider, under the key `<user id>:<provider>`. */
@Controller("oauth-tokens")
export class OAuthTokensController {
  constructor(@InjectDataVaultStore("oauth-tokens") private readonly tokens: DataVaultStore) {}

  @Put(":provider")
  @HttpCode(204)
  async save(@UserId() userId: string, @Param("provider") provider: string, @Body() body: unknown) {
    const token = (body as { token?: unknown } | undefined)?.token;
    if (typeof token !== "string" || token === "") {
      throw new BadRequestException('Send JSON: { "token": "…" }.');
    }
    await this.tokens.setValue(key(userId, provider), token);
  }

  @Get(":provider")
  async read(@UserId() userId: string, @Param("provider") provider: string) {
    const token = await this.tokens.getValue(key(userId, provider));
    if (token === null) throw new NotFoundException(`No ${provider} token for this user.`);
    return { provider, token };
  }

  @Delete(":provider")
  @HttpCode(204)
  async remove(@UserId() userId: string, @Param("provider") provider: string) {
    if (!(await this.tokens.deleteValue(key(userId, provider)))) {
      throw new NotFoundException(`No ${provider} token for this user.`);
    }
  }
}

function key(userId: string, provider: string): string {
  if (!/^[a-z0-9-]{1,32}$/.test(provider)) {
    throw new BadRequestException("A provider is lowercase letters, digits or -, e.g. github.");
  }
  return `${userId}:${provider}`;
}
