import { CofferError } from "@coffer/core";
import { type DynamicModule, Module, type Provider } from "@nestjs/common";
import { COFFER_VAULT, getDataVaultStoreToken } from "./coffer.constants.js";
import {
  type ASYNC_OPTIONS_TYPE,
  type CofferModuleOptions,
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN,
  type OPTIONS_TYPE,
} from "./coffer.module-definition.js";
import { CofferService } from "./coffer.service.js";

/** Holds the vault, always global, so that `forFeature` finds it whether or not `isGlobal` is set. */
@Module({})
class CofferVaultModule {}

/**
 * Connects a Nest application to its Coffer vault: `forRoot` once, `forFeature` where a module
 * injects stores.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [CofferModule.forRoot({ isGlobal: true }), CofferModule.forFeature(["oauth-tokens"])],
 *   controllers: [OAuthTokensController],
 * })
 * export class AppModule {}
 * ```
 */
@Module({})
export class CofferModule {
  /** Options left out are read from `process.env`; `isGlobal: true` provides CofferService everywhere. */
  static forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    if (typeof options !== "object" || options === null) {
      throw invalid("CofferModule.forRoot takes an options object, or nothing.");
    }
    return withVault(ConfigurableModuleClass.forRoot(options));
  }

  /**
   * Options from a factory (or `useClass`, `useExisting`), e.g. one that injects ConfigService.
   *
   * @example
   * ```ts
   * CofferModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({ secret: config.getOrThrow("COFFER_SECRET") }),
   *   isGlobal: true,
   * });
   * ```
   */
  static forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    if (
      typeof options !== "object" ||
      options === null ||
      !(options.useFactory || options.useClass || options.useExisting)
    ) {
      throw invalid(
        "CofferModule.forRootAsync takes { useFactory, inject? } (or useClass, useExisting).",
      );
    }
    return withVault(ConfigurableModuleClass.forRootAsync(options));
  }

  /** Makes each store injectable with `@InjectDataVaultStore(id)`; a missing store fails startup (STORE_NOT_FOUND). */
  static forFeature(storeIds: readonly string[]): DynamicModule {
    if (!Array.isArray(storeIds)) {
      throw invalid('CofferModule.forFeature takes an array of store ids, e.g. ["oauth-tokens"].');
    }
    const providers = storeIds.map((storeId) => ({
      provide: getDataVaultStoreToken(storeId),
      useFactory: (vault: CofferService) => vault.getDataVaultStore(storeId),
      inject: [COFFER_VAULT],
    }));
    return { module: CofferModule, providers, exports: providers };
  }
}

const invalid = (message: string) => new CofferError("INVALID_ARGUMENT", message);

/** Moves the builder's options providers next to the vault, and shows CofferService as asked. */
function withVault({ global, imports = [], providers = [] }: DynamicModule): DynamicModule {
  const vault: Provider = {
    provide: COFFER_VAULT,
    useFactory: (options: CofferModuleOptions) => new CofferService(options),
    inject: [MODULE_OPTIONS_TOKEN],
  };
  return {
    module: CofferModule,
    ...(global === undefined ? {} : { global }),
    imports: [
      {
        module: CofferVaultModule,
        global: true,
        imports,
        providers: [...providers, vault],
        exports: [COFFER_VAULT],
      },
    ],
    providers: [{ provide: CofferService, useExisting: COFFER_VAULT }],
    exports: [CofferService],
  };
}
