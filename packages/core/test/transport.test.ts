// The transport against real HTTP servers on loopback: retries only what is safe to repeat,
// keeps the server's error codes, and fails clearly when nothing answers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { isCofferError } from "../src/index.js";
import { Transport } from "../src/transport.js";

const API_KEY = "coffer_key_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
let server: Server | undefined;

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (isCofferError(error)) return error;
    throw error;
  }
  throw new Error("expected a CofferError");
}

const json = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
};

describe("Transport", () => {
  it("refuses plain http:// to a non-loopback host unless allowed, and malformed options", () => {
    expect(() => new Transport({ url: "http://vault.example.com", apiKey: API_KEY })).toThrow(
      /Refusing plain http/,
    );
    expect(
      () =>
        new Transport({
          url: "http://vault.example.com",
          apiKey: API_KEY,
          allowInsecureHttp: true,
        }),
    ).not.toThrow();
    for (const url of [
      "http://localhost:4747",
      "http://127.0.0.1:4747",
      "http://[::1]:4747",
      "http://app.localhost",
      "https://vault.example.com",
    ]) {
      expect(() => new Transport({ url, apiKey: API_KEY }), url).not.toThrow();
    }
    for (const url of ["vault.example.com", "ftp://vault.example.com", ""]) {
      expect(() => new Transport({ url, apiKey: API_KEY }), url).toThrow(/url must/);
    }
    expect(() => new Transport({ url: "https://v.example", apiKey: "hunter2" })).toThrow(/API key/);
  });

  it("refuses timeouts a timer cannot hold and API keys a header cannot carry, at construction", async () => {
    const url = "https://vault.example.com";
    // Each of these used to fail at every request: a RangeError, or an immediate TIMEOUT.
    for (const timeoutMs of [Number.POSITIVE_INFINITY, 2 ** 31, 0.5, Number.NaN, "100"]) {
      const error = await failure(
        (async () => new Transport({ url, apiKey: API_KEY, timeoutMs: timeoutMs as number }))(),
      );
      expect(error.code, String(timeoutMs)).toBe("INVALID_ARGUMENT");
      expect(error.message).toMatch(/^timeoutMs must be/);
    }
    // A fractional timeout is rounded up to whole milliseconds, as AbortSignal.timeout needs.
    let seen = "";
    const base = await serve((req, res) => {
      seen = String(req.headers.authorization);
      json(res, 200, { ok: true });
    });
    const precise = new Transport({ url: base, apiKey: API_KEY, timeoutMs: 1500.5 });
    expect(await precise.request("GET", "/x", { idempotent: true })).toEqual({ ok: true });
    // An API key with a line break inside would be a NETWORK_ERROR ("is it running?") later.
    for (const apiKey of [`${API_KEY}\nX-Other: 1`, "coffer_key_a b", "coffer_key_é"]) {
      const error = await failure((async () => new Transport({ url, apiKey }))());
      expect(error.code).toBe("INVALID_ARGUMENT");
      expect(error.message).not.toContain(apiKey);
    }
    // A CRLF line end from an env file is dropped, as fetch would drop it.
    await new Transport({ url: base, apiKey: `${API_KEY}\r\n` }).request("GET", "/", {
      idempotent: true,
    });
    expect(seen).toBe(`Bearer ${API_KEY}`);
  });

  it("refuses a URL with credentials (they would be echoed in errors), a query or a fragment", () => {
    for (const url of [
      "https://user:hunter2@vault.example.com",
      "https://user@vault.example.com",
      "https://vault.example.com/?token=hunter2",
      "https://vault.example.com/#x",
    ]) {
      let message = "";
      try {
        new Transport({ url, apiKey: API_KEY });
      } catch (error) {
        message = (error as Error).message;
        expect(isCofferError(error) && error.code).toBe("INVALID_ARGUMENT");
      }
      expect(message, url).toMatch(/url must/);
      expect(message).not.toContain("hunter2");
    }
    // A path prefix (a vault behind a reverse proxy) is fine.
    expect(
      () => new Transport({ url: "https://example.com/coffer/", apiKey: API_KEY }),
    ).not.toThrow();
  });

  it("keeps connections alive: 40 sequential requests, not 40 connections", async () => {
    let connections = 0;
    const url = await serve((_req, res) => json(res, 200, { ok: true }));
    server?.on("connection", () => connections++);
    const transport = new Transport({ url, apiKey: API_KEY });
    for (let i = 0; i < 40; i++) await transport.request("GET", "/x", { idempotent: true });
    // Node's fetch (undici) alternates between two pooled sockets for back-to-back requests.
    expect(connections).toBeGreaterThan(0);
    expect(connections).toBeLessThanOrEqual(2);
  });

  it("carries 300 concurrent requests from one transport", async () => {
    const url = await serve((req, res) => {
      // Answer out of order, a little later: all 300 are in flight together.
      setTimeout(() => json(res, 200, { path: req.url }), 5 + Math.random() * 20);
    });
    const transport = new Transport({ url, apiKey: API_KEY });
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        transport.request<{ path: string }>("GET", `/x/${i}`, { idempotent: true }),
      ),
    );
    expect(answers.map((a) => a.path)).toEqual(Array.from({ length: 300 }, (_, i) => `/x/${i}`));
  });

  it("a 200 that is not JSON is not the vault: SERVICE_UNAVAILABLE, never taken for data", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html><title>Dashboard</title>");
    });
    const error = await failure(
      new Transport({ url, apiKey: API_KEY, retries: 0 }).request("GET", "/v1/stores/s", {
        idempotent: true,
      }),
    );
    expect(error.code).toBe("SERVICE_UNAVAILABLE");
    expect(error.message).toContain("is COFFER_URL the Coffer vault?");
    expect(error.message).not.toContain(API_KEY);
  });

  it("sends the API key as a bearer token and a server user agent, and parses JSON", async () => {
    let seen: IncomingMessage["headers"] = {};
    const url = await serve((req, res) => {
      seen = req.headers;
      json(res, 200, { ok: true });
    });
    const transport = new Transport({ url, apiKey: API_KEY });
    expect(await transport.request("GET", "/v1/stores/s", { idempotent: true })).toEqual({
      ok: true,
    });
    expect(seen.authorization).toBe(`Bearer ${API_KEY}`);
    expect(seen["user-agent"]).toBe("@coffer/core");
  });

  it("keeps the server's error code, status and details", async () => {
    const url = await serve((_req, res) =>
      json(res, 409, {
        error: { code: "VERSION_CONFLICT", message: "Stale.", details: { currentVersion: 3 } },
      }),
    );
    const error = await failure(
      new Transport({ url, apiKey: API_KEY }).request("PUT", "/x", { idempotent: true, body: {} }),
    );
    expect(error).toMatchObject({
      code: "VERSION_CONFLICT",
      status: 409,
      message: "Stale.",
      details: { currentVersion: 3 },
    });
  });

  it("retries a safe request through 503s, with backoff, and succeeds", async () => {
    let attempts = 0;
    const url = await serve((_req, res) => {
      attempts++;
      if (attempts < 3)
        json(res, 503, { error: { code: "SERVICE_UNAVAILABLE", message: "Down." } });
      else json(res, 200, { ok: attempts });
    });
    const result = await new Transport({ url, apiKey: API_KEY }).request("GET", "/x", {
      idempotent: true,
    });
    expect(result).toEqual({ ok: 3 });
  });

  it("never repeats an unsafe request, and gives up on a safe one after the configured retries", async () => {
    let attempts = 0;
    const url = await serve((_req, res) => {
      attempts++;
      json(res, 503, { error: { code: "SERVICE_UNAVAILABLE", message: "Down." } });
    });
    const transport = new Transport({ url, apiKey: API_KEY, retries: 2 });
    expect(
      (await failure(transport.request("POST", "/move", { idempotent: false, body: {} }))).code,
    ).toBe("SERVICE_UNAVAILABLE");
    expect(attempts).toBe(1);
    attempts = 0;
    expect((await failure(transport.request("GET", "/x", { idempotent: true }))).code).toBe(
      "SERVICE_UNAVAILABLE",
    );
    expect(attempts).toBe(3);
  });

  it("does not retry a client mistake", async () => {
    let attempts = 0;
    const url = await serve((_req, res) => {
      attempts++;
      json(res, 403, { error: { code: "FORBIDDEN", message: "Read-only." } });
    });
    expect(
      (
        await failure(
          new Transport({ url, apiKey: API_KEY }).request("GET", "/x", { idempotent: true }),
        )
      ).code,
    ).toBe("FORBIDDEN");
    expect(attempts).toBe(1);
  });

  it("reports something that is not the vault (an HTML 502 from a proxy)", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<html>Bad gateway</html>");
    });
    const error = await failure(
      new Transport({ url, apiKey: API_KEY, retries: 0 }).request("GET", "/x", {
        idempotent: true,
      }),
    );
    expect(error.code).toBe("SERVICE_UNAVAILABLE");
    expect(error.status).toBe(502);
    expect(error.message).toContain("is COFFER_URL the Coffer vault?");
  });

  it("times out a request that never answers", async () => {
    const url = await serve(() => {
      /* never answers */
    });
    const started = Date.now();
    const error = await failure(
      new Transport({ url, apiKey: API_KEY, timeoutMs: 150, retries: 0 }).request("GET", "/x", {
        idempotent: true,
      }),
    );
    expect(error.code).toBe("TIMEOUT");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("times out a server that sends its headers and then stalls the body, even with a fetch that ignores the signal", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('{"id":'); // … and nothing more
    });
    const ignoresSignal: typeof fetch = (input, init) => {
      const { signal: _ignored, ...rest } = init ?? {};
      return fetch(input, rest);
    };
    try {
      for (const custom of [undefined, ignoresSignal]) {
        const started = Date.now();
        const error = await failure(
          new Transport({
            url,
            apiKey: API_KEY,
            timeoutMs: 150,
            retries: 0,
            fetch: custom,
          }).request("GET", "/x", { idempotent: true }),
        );
        expect(error.code).toBe("TIMEOUT");
        expect(Date.now() - started).toBeLessThan(2000);
      }
    } finally {
      server?.closeAllConnections();
    }
  });

  it("fails clearly when nothing listens", async () => {
    const url = await serve(() => {});
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    const error = await failure(
      new Transport({ url, apiKey: API_KEY, retries: 1 }).request("GET", "/x", {
        idempotent: true,
      }),
    );
    expect(error.code).toBe("NETWORK_ERROR");
    expect(error.message).toContain(url);
    expect(error.message).not.toContain(API_KEY);
  });
});
