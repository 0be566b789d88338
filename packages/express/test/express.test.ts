// cofferMiddleware and cofferErrorHandler in real Express apps (4 and 5), over HTTP, against a
// real vault service on SQLite.
import {
  type CofferError,
  cofferErrorResponse,
  createVault,
  generateSecret,
  isCofferError,
  type Vault,
} from "@coffer/core";
import { cofferErrorHandler, cofferMiddleware, type RequestWithVault } from "@coffer/express";
import { startVault, type TestVault } from "@coffer/testing";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import express5 from "express";
import express4 from "express4";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { countingFetch, serve } from "./helpers.js";

let vaultService: TestVault;
let apiKey: string;

beforeAll(async () => {
  vaultService = await startVault("sqlite");
  apiKey = await vaultService.createApiKey();
});
afterAll(() => vaultService?.close());

/** Connection options for the test vault, with a new secret unless one is given. */
const connection = (secret = generateSecret()) => ({ url: vaultService.url, apiKey, secret });

let stores = 0;
/** A new, empty store for one test. */
async function newStore(): Promise<string> {
  const id = `store-${++stores}`;
  await vaultService.createStore(id);
  return id;
}

/** An async route that works on Express 4 too (which does not catch rejected promises). */
const route =
  (handler: (req: RequestWithVault, res: Response) => Promise<unknown>): RequestHandler =>
  (req, res, next) => {
    handler(req as RequestWithVault, res).catch(next);
  };

describe.each([
  { name: "Express 5", express: express5 },
  { name: "Express 4", express: express4 },
])("$name", ({ express }) => {
  /** An app with the middleware, a value route per user, then the error handler. */
  function tokenApp(store: string, middleware: RequestHandler, errors: CofferError[] = []) {
    const app = express();
    app.use(express.json());
    app.use(middleware);
    app.put(
      "/users/:id/token",
      route(async (req, res) => {
        const tokens = await req.vault.getDataVaultStore(store);
        await tokens.setValue(`gh:${req.params.id}`, req.body.token);
        res.status(204).end();
      }),
    );
    app.get(
      "/users/:id/token",
      route(async (req, res) => {
        const tokens = await req.vault.getDataVaultStore(store);
        res.json({ token: await tokens.getValue(`gh:${req.params.id}`) });
      }),
    );
    app.use(cofferErrorHandler({ onServerError: (error) => errors.push(error) }));
    return app;
  }

  const put = (url: string, token: string) =>
    fetch(url, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token }),
    });

  it("puts the vault on req.vault: a route stores and reads values, sealed in the real vault", async () => {
    const store = await newStore();
    const options = connection();
    const base = await serve(tokenApp(store, cofferMiddleware(options)));
    expect((await put(`${base}/users/42/token`, "gho_abc")).status).toBe(204);
    expect(await (await fetch(`${base}/users/42/token`)).json()).toEqual({ token: "gho_abc" });
    expect(await (await fetch(`${base}/users/7/token`)).json()).toEqual({ token: null });
    // The value is in the vault service, readable by another process holding the same secret.
    const elsewhere = await createVault(options).getDataVaultStore(store);
    expect(await elsewhere.getValue("gh:42")).toBe("gho_abc");
    expect((await elsewhere.info()).entryCount).toBe(1);
  });

  it("reads COFFER_URL, COFFER_API_KEY and COFFER_SECRET from the environment", async () => {
    const store = await newStore();
    const { url, secret } = connection();
    vi.stubEnv("COFFER_URL", url);
    vi.stubEnv("COFFER_API_KEY", apiKey);
    vi.stubEnv("COFFER_SECRET", secret);
    const base = await serve(tokenApp(store, cofferMiddleware()));
    expect((await put(`${base}/users/1/token`, "from-env")).status).toBe(204);
    const direct = await createVault({ url, apiKey, secret }).getDataVaultStore(store);
    expect(await direct.getValue("gh:1")).toBe("from-env");
  });

  it("builds one vault for all requests: one store-existence check for 20 concurrent requests", async () => {
    const store = await newStore();
    const { fetch: vaultFetch, calls } = countingFetch();
    const seen = new Set<Vault>();
    const app = express();
    app.use(cofferMiddleware({ ...connection(), fetch: vaultFetch }));
    app.get(
      "/n/:i",
      route(async (req, res) => {
        seen.add(req.vault);
        const values = await req.vault.getDataVaultStore(store);
        res.json({ value: await values.getValue(`n:${req.params.i}`) });
      }),
    );
    const base = await serve(app);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => fetch(`${base}/n/${i}`)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(seen.size).toBe(1);
    expect(calls.filter((c) => c === `GET /v1/stores/${store}`)).toHaveLength(1);
    // Each request still reached the vault for its own value.
    expect(calls.filter((c) => c.startsWith(`GET /v1/stores/${store}/entries/`))).toHaveLength(20);
  });

  it("uses a vault passed in as is, without reading the environment", async () => {
    for (const name of ["COFFER_URL", "COFFER_API_KEY", "COFFER_SECRET"])
      vi.stubEnv(name, undefined);
    const vault = createVault(connection());
    const app = express();
    app.use(cofferMiddleware({ vault }));
    app.get("/", (req, res) => {
      res.json({ same: (req as RequestWithVault).vault === vault });
    });
    expect(await (await fetch(await serve(app))).json()).toEqual({ same: true });
  });

  it("answers STORE_NOT_FOUND with 404 and the code as JSON", async () => {
    const base = await serve(tokenApp("no-such-store", cofferMiddleware(connection())));
    const response = await fetch(`${base}/users/1/token`);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const body = await response.json();
    expect(body.error.code).toBe("STORE_NOT_FOUND");
    expect(body.error.message).toMatch(/no-such-store/);
  });

  it("answers WRONG_SECRET with 500, the code and a generic message; the details go to onServerError", async () => {
    const store = await newStore();
    const first = generateSecret();
    await (await createVault(connection(first)).getDataVaultStore(store)).setValue("gh:1", "v");
    const errors: CofferError[] = [];
    const other = generateSecret();
    const base = await serve(tokenApp(store, cofferMiddleware(connection(other)), errors));
    const response = await fetch(`${base}/users/1/token`);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      error: { code: "WRONG_SECRET", message: "The server could not reach its secret storage." },
    });
    // The log gets the whole error; the client sees neither its message nor its key ids.
    expect(errors.map((e) => e.code)).toEqual(["WRONG_SECRET"]);
    const keyIds = errors[0]?.details?.storeKeyIds as string[];
    expect(keyIds).toHaveLength(1);
    for (const keyId of keyIds) expect(text).not.toContain(keyId);
    expect(text).not.toContain(other);
  });

  it("passes errors that are not CofferErrors on to the next error handler", async () => {
    const app = express();
    app.use(cofferMiddleware(connection()));
    app.get("/", () => {
      throw new Error("not ours");
    });
    app.use(cofferErrorHandler());
    app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
      res.status(418).json({ handledBy: "next handler", message: error.message });
    });
    const response = await fetch(await serve(app));
    expect(response.status).toBe(418);
    expect(await response.json()).toEqual({ handledBy: "next handler", message: "not ours" });
  });
});

describe("configuration errors surface when the middleware is created", () => {
  it("a missing variable: INVALID_ARGUMENT naming it", () => {
    for (const name of ["COFFER_URL", "COFFER_API_KEY", "COFFER_SECRET"])
      vi.stubEnv(name, undefined);
    expect(thrown(() => cofferMiddleware())).toMatchObject({
      code: "INVALID_ARGUMENT",
      details: { variable: "COFFER_URL" },
      message: expect.stringMatching(/^COFFER_URL is not set/),
    });
    vi.stubEnv("COFFER_URL", "http://127.0.0.1:4747");
    vi.stubEnv("COFFER_API_KEY", "coffer_key_example");
    expect(thrown(() => cofferMiddleware()).details).toEqual({ variable: "COFFER_SECRET" });
  });

  it("a weak secret: WEAK_SECRET", () => {
    const error = thrown(() => cofferMiddleware({ ...connection(), secret: "too short" }));
    expect(error.code).toBe("WEAK_SECRET");
    expect(error.message).not.toContain("too short");
  });

  it("options that are not an object: INVALID_ARGUMENT, not a TypeError", () => {
    for (const options of [null, 42, "http://127.0.0.1:4747"]) {
      expect(thrown(() => cofferMiddleware(options as never)).code).toBe("INVALID_ARGUMENT");
    }
  });

  it("cofferErrorHandler options that are unusable: INVALID_ARGUMENT now, not a TypeError on a 5xx", () => {
    for (const options of [null, 42, { onServerError: "console.error" }]) {
      expect(thrown(() => cofferErrorHandler(options as never)).code).toBe("INVALID_ARGUMENT");
    }
  });

  it("a vault option that is not a vault: INVALID_ARGUMENT now, not a TypeError per request", () => {
    for (const vault of [null, 5, "vault", {}, { getDataVaultStore: "no" }]) {
      expect(thrown(() => cofferMiddleware({ vault } as never)).code).toBe("INVALID_ARGUMENT");
    }
  });
});

it("answers with exactly core's cofferErrorResponse for the error", async () => {
  const app = express5();
  app.use(cofferMiddleware(connection()));
  let raised: unknown;
  app.get("/", async (req) => {
    raised = await (req as RequestWithVault).vault.getDataVaultStore("absent").catch((e) => e);
    throw raised;
  });
  app.use(cofferErrorHandler());
  const response = await fetch(await serve(app));
  expect(isCofferError(raised)).toBe(true);
  expect({ status: response.status, body: await response.json() }).toEqual(
    cofferErrorResponse(raised),
  );
});

/** The CofferError a synchronous call throws (fails the test otherwise). */
function thrown(fn: () => unknown): CofferError {
  try {
    fn();
  } catch (error) {
    if (isCofferError(error)) return error;
    throw error;
  }
  throw new Error("expected a CofferError");
}
