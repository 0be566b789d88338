// CofferModule in real Nest testing modules, against a real vault service.
import {
  CofferModule,
  CofferService,
  type DataVaultStore,
  getDataVaultStoreToken,
  InjectDataVaultStore,
} from "@coffer/nestjs";
import { Injectable, Module } from "@nestjs/common";
import { ConfigModule, ConfigService } from "@nestjs/config";
import { Test } from "@nestjs/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Setup, setup } from "./helpers.js";

let t: Setup;
beforeAll(async () => {
  t = await setup();
});
afterAll(() => t.vault.close());

@Injectable()
class Tokens {
  constructor(@InjectDataVaultStore("oauth-tokens") readonly store: DataVaultStore) {}
}

@Injectable()
class UsesService {
  constructor(readonly coffer: CofferService) {}
}

/** A module that does not import CofferModule.forRoot itself. */
@Module({ providers: [UsesService] })
class ElsewhereModule {}

@Module({ imports: [CofferModule.forFeature(["oauth-tokens"])], providers: [Tokens] })
class TokensModule {}

async function roundTrip(coffer: CofferService, key: string): Promise<string | null> {
  const store = await coffer.getDataVaultStore("oauth-tokens");
  await store.setValue(key, `value of ${key}`);
  return store.getValue(key);
}

describe("forRoot", () => {
  it("reads COFFER_URL, COFFER_API_KEY and COFFER_SECRET from process.env when given no options", async () => {
    vi.stubEnv("COFFER_URL", t.options.url);
    vi.stubEnv("COFFER_API_KEY", t.options.apiKey);
    vi.stubEnv("COFFER_SECRET", t.options.secret);
    try {
      const app = await Test.createTestingModule({ imports: [CofferModule.forRoot()] }).compile();
      expect(await roundTrip(app.get(CofferService), "env")).toBe("value of env");
      await app.close();
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("takes options, and fails startup naming a variable that is missing", async () => {
    const app = await Test.createTestingModule({
      imports: [CofferModule.forRoot(t.options)],
    }).compile();
    expect(await roundTrip(app.get(CofferService), "options")).toBe("value of options");
    await app.close();

    const { secret: _, ...noSecret } = t.options;
    vi.stubEnv("COFFER_SECRET", "");
    try {
      await expect(
        Test.createTestingModule({ imports: [CofferModule.forRoot(noSecret)] }).compile(),
      ).rejects.toMatchObject({ code: "INVALID_ARGUMENT", details: { variable: "COFFER_SECRET" } });
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("forRootAsync", () => {
  it("builds its options with ConfigService", async () => {
    const config = () => ({ coffer: t.options });
    const app = await Test.createTestingModule({
      imports: [
        CofferModule.forRootAsync({
          imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [config] })],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            url: config.getOrThrow<string>("coffer.url"),
            apiKey: config.getOrThrow<string>("coffer.apiKey"),
            secret: config.getOrThrow<string>("coffer.secret"),
          }),
        }),
      ],
    }).compile();
    expect(process.env.COFFER_SECRET).toBeUndefined();
    expect(await roundTrip(app.get(CofferService), "config")).toBe("value of config");
    await app.close();
  });

  it("builds its options with a class (useClass)", async () => {
    class CofferConfig {
      create() {
        return t.options;
      }
    }
    const app = await Test.createTestingModule({
      imports: [CofferModule.forRootAsync({ useClass: CofferConfig })],
    }).compile();
    expect(await roundTrip(app.get(CofferService), "class")).toBe("value of class");
    await app.close();
  });

  it("fails startup with INVALID_ARGUMENT when the factory gives no options object", async () => {
    for (const options of [null, 42, "secret"]) {
      await expect(
        Test.createTestingModule({
          imports: [CofferModule.forRootAsync({ useFactory: () => options as never })],
        }).compile(),
      ).rejects.toMatchObject({ name: "CofferError", code: "INVALID_ARGUMENT" });
    }
  });
});

describe("isGlobal", () => {
  it("with isGlobal, modules that do not import CofferModule inject CofferService", async () => {
    const app = await Test.createTestingModule({
      imports: [CofferModule.forRoot({ ...t.options, isGlobal: true }), ElsewhereModule],
    }).compile();
    expect(app.get(UsesService).coffer).toBe(app.get(CofferService));
    await app.close();
  });

  it("without it, CofferService is only where CofferModule is imported", async () => {
    await expect(
      Test.createTestingModule({
        imports: [CofferModule.forRoot(t.options), ElsewhereModule],
      }).compile(),
    ).rejects.toThrow(/resolve dependencies of the UsesService \(\?\)/);
  });
});

describe("forFeature", () => {
  it("injects the store, in a module of its own, with or without isGlobal", async () => {
    for (const isGlobal of [false, true]) {
      const app = await Test.createTestingModule({
        imports: [CofferModule.forRoot({ ...t.options, isGlobal }), TokensModule],
      }).compile();
      const store = app.get(Tokens).store;
      expect(store.id).toBe("oauth-tokens");
      await store.setValue("gh:42", "gho_token");
      expect(
        await (await app.get(CofferService).getDataVaultStore("oauth-tokens")).getValue("gh:42"),
      ).toBe("gho_token");
      await app.close();
    }
  });

  it("can be replaced in a test module through getDataVaultStoreToken", async () => {
    const fake = { id: "oauth-tokens" } as DataVaultStore;
    const app = await Test.createTestingModule({
      imports: [CofferModule.forRoot(t.options), TokensModule],
    })
      .overrideProvider(getDataVaultStoreToken("oauth-tokens"))
      .useValue(fake)
      .compile();
    expect(app.get(Tokens).store).toBe(fake);
    await app.close();
  });

  it("fails startup with STORE_NOT_FOUND for a store the vault does not have", async () => {
    await expect(
      Test.createTestingModule({
        imports: [CofferModule.forRoot(t.options), CofferModule.forFeature(["no-such-store"])],
      }).compile(),
    ).rejects.toMatchObject({ name: "CofferError", code: "STORE_NOT_FOUND" });
  });
});

it("arguments of the wrong type are INVALID_ARGUMENT, not a TypeError", () => {
  for (const call of [
    () => CofferModule.forRoot(null as never),
    () => CofferModule.forRootAsync(null as never),
    () => CofferModule.forRootAsync({ inject: [ConfigService] } as never),
    () => CofferModule.forFeature("oauth-tokens" as never),
  ]) {
    expect(call).toThrow(
      expect.objectContaining({ name: "CofferError", code: "INVALID_ARGUMENT" }),
    );
  }
});
