import { CofferExceptionFilter, CofferModule } from "@coffer/nestjs";
import { Module } from "@nestjs/common";
import { APP_FILTER } from "@nestjs/core";
import { OAuthTokensController } from "./oauth-tokens.controller.js";
import { RecoveryCodesController } from "./recovery-codes.controller.js";

@Module({
  imports: [
    // COFFER_URL, COFFER_API_KEY and COFFER_SECRET come from the environment (.env.local).
    CofferModule.forRoot(),
    // Checked at startup: a store missing from the vault stops the app with STORE_NOT_FOUND.
    CofferModule.forFeature(["oauth-tokens"]),
  ],
  controllers: [OAuthTokensController, RecoveryCodesController],
  // Coffer's errors answer with their status and { error: { code, message } }.
  providers: [{ provide: APP_FILTER, useClass: CofferExceptionFilter }],
})
export class AppModule {}
