// CofferExceptionFilter in a real Nest HTTP application, against a real vault service.
import { createVault, generateSecret } from "@coffer/core";
import { CofferExceptionFilter, CofferModule, CofferService } from "@coffer/nestjs";
import {
  Controller,
  Get,
  type INestApplication,
  type LoggerService,
  NotFoundException,
  UseFilters,
} from "@nestjs/common";
import { APP_FILTER } from "@nestjs/core";
import { Test } from "@nestjs/testing";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Setup, setup } from "./helpers.js";

let t: Setup;
beforeAll(async () => {
  t = await setup();
  // An entry under another application's secret: reading the store with ours is WRONG_SECRET.
  const other = createVault({ ...t.options, secret: generateSecret() });
  await (await other.getDataVaultStore("recovery-codes")).setValue("alice:1", "x");
});
afterAll(() => t.vault.close());

@Controller()
class ProbeController {
  constructor(private readonly coffer: CofferService) {}

  @Get("missing-store")
  async missingStore() {
    return this.coffer.getDataVaultStore("no-such-store");
  }

  @Get("wrong-secret")
  async wrongSecret() {
    return (await this.coffer.getDataVaultStore("recovery-codes")).getValue("alice:1");
  }

  @Get("plain-error")
  plainError() {
    throw new Error("not a Coffer error");
  }

  @Get("http-exception")
  httpException() {
    throw new NotFoundException("no such thing");
  }
}

const errors: unknown[] = [];
const logger: LoggerService = { log() {}, warn() {}, error: (message) => errors.push(message) };

@Controller()
@UseFilters(CofferExceptionFilter)
class FilteredProbeController extends ProbeController {}

const registrations = {
  "APP_FILTER provider": {
    controllers: [ProbeController],
    providers: [{ provide: APP_FILTER, useClass: CofferExceptionFilter }],
  },
  "app.useGlobalFilters": { controllers: [ProbeController] },
  "@UseFilters on a controller": { controllers: [FilteredProbeController] },
};

describe.each(Object.entries(registrations))("registered as %s", (name, metadata) => {
  let app: INestApplication;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CofferModule.forRoot(t.options)],
      ...metadata,
    })
      .setLogger(logger)
      .compile();
    app = moduleRef.createNestApplication();
    if (name === "app.useGlobalFilters") {
      app.useGlobalFilters(new CofferExceptionFilter(app.getHttpAdapter()));
    }
    await app.init();
  });
  afterAll(() => app.close());

  it("answers STORE_NOT_FOUND with 404 and its code, message and details", async () => {
    const response = await request(app.getHttpServer()).get("/missing-store").expect(404);
    expect(response.body).toEqual({
      error: {
        code: "STORE_NOT_FOUND",
        message: expect.stringContaining("no-such-store"),
        details: { storeId: "no-such-store" },
      },
    });
  });

  it("answers WRONG_SECRET with 500, its code and a generic message, and logs it in full", async () => {
    errors.length = 0;
    const response = await request(app.getHttpServer()).get("/wrong-secret").expect(500);
    expect(response.body).toEqual({
      error: { code: "WRONG_SECRET", message: "The server could not reach its secret storage." },
    });
    expect(response.text).not.toMatch(/COFFER_SECRET|keyIds/);
    expect(errors).toEqual([expect.objectContaining({ code: "WRONG_SECRET" })]);
  });

  it("leaves other errors to Nest's default handling", async () => {
    const plain = await request(app.getHttpServer()).get("/plain-error").expect(500);
    expect(plain.body).toEqual({ statusCode: 500, message: "Internal server error" });
    const http = await request(app.getHttpServer()).get("/http-exception").expect(404);
    expect(http.body).toEqual({ statusCode: 404, message: "no such thing", error: "Not Found" });
  });
});
