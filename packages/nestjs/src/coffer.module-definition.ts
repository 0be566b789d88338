import type { VaultOptions } from "@coffer/core";
import { ConfigurableModuleBuilder } from "@nestjs/common";

/**
 * Options of `CofferModule.forRoot`: any of `createVault`'s. What is left out is read from
 * `process.env` (COFFER_URL, COFFER_API_KEY, COFFER_SECRET, COFFER_PREVIOUS_SECRETS).
 *
 * @example
 * ```ts
 * const options: CofferModuleOptions = { secret: await secrets.fetch("coffer"), timeoutMs: 5_000 };
 * CofferModule.forRoot(options); // COFFER_URL and COFFER_API_KEY from the environment
 * ```
 */
export type CofferModuleOptions = Partial<VaultOptions>;

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<CofferModuleOptions>()
    .setClassMethodName("forRoot")
    .setExtras({ isGlobal: false }, (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
    }))
    .build();
