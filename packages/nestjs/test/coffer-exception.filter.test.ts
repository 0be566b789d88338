// CofferExceptionFilter in a real Nest HTTP application, against a real vault service.
import { createVault, generateSecret } from "@coffer/core";
import { CofferExceptionFilter, CofferModule, CofferService } from "@coffer/nestjs";
import {
  type ArgumentsHost,
  Catch,
  Controller,
  type ExceptionFilter,
  Get,
  HttpException,
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

@Controller()
@UseFilters(new CofferExceptionFilter())
class InstanceFilteredProbeController extends ProbeController {}

interface Registration {
  controllers: (typeof ProbeController)[];
  providers?: { provide: string; useClass: typeof CofferExceptionFilter }[];
  global?: (app: INestApplication) => CofferExceptionFilter;
}

const registrations: Record<string, Registration> = {
  "APP_FILTER provider": {
    controllers: [ProbeController],
    providers: [{ provide: APP_FILTER, useClass: CofferExceptionFilter }],
  },
  "app.useGlobalFilters(new CofferExceptionFilter())": {
    controllers: [ProbeController],
    global: () => new CofferExceptionFilter(),
  },
  "app.useGlobalFilters with the HTTP adapter": {
    controllers: [ProbeController],
    global: (app) => new CofferExceptionFilter(app.getHttpAdapter()),
  },
  "@UseFilters(CofferExceptionFilter) on a controller": {
    controllers: [FilteredProbeController],
  },
  "@UseFilters(new CofferExceptionFilter()) on a controller": {
    controllers: [InstanceFilteredProbeController],
  },
};

describe.each(Object.entries(registrations))("registered as %s", (_, registration) => {
  let app: INestApplication;
  beforeAll(async () => {
    const { global, ...metadata } = registration;
    const moduleRef = await Test.createTestingModule({
      imports: [CofferModule.forRoot(t.options)],
      ...metadata,
    })
      .setLogger(logger)
      .compile();
    app = moduleRef.createNestApplication();
    if (global) app.useGlobalFilters(global(app));
    await app.init();
  });
  afterAll(() => app.close());

  it("answers STORE_NOT_FOUND with 404 and its code, message and details", async () => {
    const response = await request(app.getHttpServer()).get("/missing-store").expect(404);
    expect(response.headers["content-type"]).toMatch(/^application\/json/);
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

/** An application's own filter for Nest's HTTP exceptions. */
@Catch(HttpException)
class TeapotFilter implements ExceptionFilter {
  catch(_exception: HttpException, host: ArgumentsHost) {
    host.switchToHttp().getResponse().status(418).json({ by: "TeapotFilter" });
  }
}

it("catches CofferErrors only: the application's other filters still get theirs", async () => {
  for (const filters of [
    [CofferExceptionFilter, TeapotFilter],
    [TeapotFilter, CofferExceptionFilter],
  ]) {
    const moduleRef = await Test.createTestingModule({
      imports: [CofferModule.forRoot(t.options)],
      controllers: [ProbeController],
      providers: filters.map((useClass) => ({ provide: APP_FILTER, useClass })),
    })
      .setLogger(logger)
      .compile();
    const app = await moduleRef.createNestApplication().init();
    await request(app.getHttpServer()).get("/http-exception").expect(418, { by: "TeapotFilter" });
    const coffer = await request(app.getHttpServer()).get("/missing-store").expect(404);
    expect(coffer.body.error.code).toBe("STORE_NOT_FOUND");
    await app.close();
  }
});
