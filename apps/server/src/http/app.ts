// The HTTP service: Fastify with schema validation on every route, one error shape, no CORS, and
// browser requests refused before anything else runs.

import { CofferError, ERROR_STATUS, isCofferError, isCofferErrorCode } from "@coffer/core";
import swagger from "@fastify/swagger";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from "fastify";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { maxEnvelopeBytes, type ServerConfig } from "../config.js";
import type { Vault } from "../vault.js";
import { adminRoutes } from "./admin-routes.js";
import { dataRoutes } from "./data-routes.js";
import { HealthBody } from "./schemas.js";

export interface AppOptions {
  vault: Vault;
  config: ServerConfig;
  version: string;
  /** A pino destination for the logs (tests capture them); defaults to stdout. */
  logStream?: NodeJS.WritableStream;
}

const BROWSER_HEADERS = [
  "origin",
  "sec-fetch-site",
  "sec-fetch-mode",
  "sec-fetch-dest",
  "sec-fetch-user",
] as const;
// Node's fetch (undici) adds `Sec-Fetch-Mode: cors` to every request and drops any other value, so
// that header alone, from a server runtime's User-Agent, is not a browser. A browser's request
// also carries Origin (every cross-origin fetch) or Sec-Fetch-Site (every modern browser).
const SERVER_RUNTIME_AGENT = /^(node|undici|deno|bun|@coffer\/|coffer)/i;

/** True for a request that a browser made. */
export function isBrowserRequest(headers: Record<string, string | string[] | undefined>): boolean {
  const present = BROWSER_HEADERS.filter((h) => headers[h] !== undefined);
  if (present.length === 0) return false;
  const onlyFetchMode =
    present.length === 1 && present[0] === "sec-fetch-mode" && headers["sec-fetch-mode"] === "cors";
  const agent = headers["user-agent"];
  return !(onlyFetchMode && typeof agent === "string" && SERVER_RUNTIME_AGENT.test(agent));
}
// What a URL may show in a log. Credentials keep only their public part; long random-looking runs
// (blinded ids, token secrets, master keys: base64url with capitals, or 43+ characters) keep a
// 6-character prefix, while store and project ids (lowercase, at most 64) stay readable; the
// query string keeps only the values of the API's own parameters, as callers may put anything there.
const CREDENTIAL =
  /(coffer_(?:key|admin)_[a-z0-9]{12})_[A-Za-z0-9_-]*|(coffer_master_)[A-Za-z0-9_-]*/g;
const RANDOM_LOOKING = /[A-Za-z0-9_-]{20,}/g;
const LOGGED_QUERY = new Set([
  "cursor",
  "limit",
  "ifVersion",
  "store",
  "action",
  "key",
  "since",
  "until",
  "before",
  "days",
]);

export function redactUrl(url: string): string {
  const mark = url.indexOf("?");
  let redacted = mark === -1 ? url : url.slice(0, mark);
  if (mark !== -1) {
    const params = url
      .slice(mark + 1)
      .split("&")
      .map((param) => {
        const name = param.split("=", 1)[0] ?? "";
        return LOGGED_QUERY.has(name)
          ? param
          : /^[A-Za-z0-9_-]{1,32}$/.test(name)
            ? `${name}=…`
            : "…";
      });
    redacted += `?${params.join("&")}`;
  }
  return redacted
    .replace(CREDENTIAL, (_, token?: string, master?: string) => `${token ?? master}…`)
    .replace(RANDOM_LOOKING, (run) =>
      run.length >= 43 || /[A-Z]/.test(run) ? `${run.slice(0, 6)}…` : run,
    );
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { vault, config } = options;
  // Sockets whose latest request has been answered: a client error after that gets no response.
  const answered = new WeakSet<object>();

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: "coffer_" });
  const requests = new Counter({
    name: "coffer_http_requests_total",
    help: "HTTP requests by route and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [metrics],
  });
  const latency = new Histogram({
    name: "coffer_http_request_duration_seconds",
    help: "HTTP request latency by route",
    labelNames: ["method", "route"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [metrics],
  });

  /** One metric sample and one log line per request, with only the safe fields. */
  const recordRequest = (
    request: FastifyRequest,
    status: number,
    elapsedMs: number | undefined,
    matched: string | undefined,
  ): void => {
    const route = matched ?? "unmatched";
    requests.inc({ method: request.method, route, status });
    if (elapsedMs !== undefined)
      latency.observe({ method: request.method, route }, elapsedMs / 1000);
    const level = status >= 500 ? "error" : "info";
    // Pino's isLevelEnabled (missing from Fastify's logger type): no log object when it is dropped.
    if (
      (request.log as { isLevelEnabled?(l: string): boolean }).isLevelEnabled?.(level) === false
    ) {
      return;
    }
    const ms = elapsedMs === undefined ? undefined : Math.round(elapsedMs * 100) / 100;
    request.log[level](
      { method: request.method, url: redactUrl(request.url), route, status, ms },
      "request",
    );
  };
  const app = Fastify({
    logger: {
      level: config.logLevel,
      ...(options.logStream ? { stream: options.logStream } : {}),
      // Only what is safe: never headers (Authorization), bodies (envelopes) or full blinded ids.
      serializers: {
        req: (req: { method: string; url: string; id: string }) => ({
          method: req.method,
          url: redactUrl(req.url),
          id: req.id,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
    // One line per request, written by the onResponse hook below with only the safe fields.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    ajv: {
      customOptions: {
        removeAdditional: false,
        coerceTypes: false,
        useDefaults: false,
        allErrors: false,
      },
    },
    // A URL the router cannot decode or a path parameter over its length: the API's error shape.
    // Fastify runs no hooks for these, so they are counted and logged here.
    frameworkErrors: (error, request, reply) => {
      const status = error.statusCode === 414 ? 414 : 400;
      const coffer = new CofferError("INVALID_REQUEST", error.message, { status });
      // The reply's generic types know only route schemas; this one is untyped on purpose.
      const untyped = reply as unknown as {
        code(n: number): { header(k: string, v: string): { send(body: unknown): unknown } };
      };
      untyped.code(status).header("x-coffer-error", coffer.code).send({ error: coffer.toJSON() });
      // Refused before Fastify started the reply's clock: no latency to report.
      recordRequest(request, status, undefined, undefined);
    },
    // Requests that arrive while stopping get 503 from the hook below, in the API's error shape
    // (Fastify's own 503 has no code, which clients branch on).
    return503OnClosing: false,
    forceCloseConnections: "idle",
    // Fastify's default is no limit: a body trickled a byte a minute held a socket forever. Node
    // only enforces it when given at construction (http), and Fastify then sets it again.
    requestTimeout: config.requestTimeoutMs,
    http: {
      // Checked in the onRequest hook instead, so the refusal has the API's error shape.
      requireHostHeader: false,
      requestTimeout: config.requestTimeoutMs,
      // How often Node looks for expired requests (its default, 30 s, would double a short timeout).
      connectionsCheckingInterval: Math.min(30_000, Math.ceil(config.requestTimeoutMs / 4)),
    },
    // Errors Node raises before a request exists (timeout, header overflow, malformed HTTP) get the
    // same error shape as everything else.
    clientErrorHandler: (error, socket) => {
      if ((error as NodeJS.ErrnoException).code === "ECONNRESET" || socket.destroyed) return;
      // Not when the request was already answered (e.g. refused before its body finished).
      if (socket.writable && !answered.has(socket)) {
        socket.write(clientErrorResponse((error as NodeJS.ErrnoException).code));
      }
      socket.destroy(error);
    },
  });

  // Node closes a CONNECT without a word when nobody listens: answer it like any unknown route.
  // The socket is the handler's from then on, outside the server's connection list, so it is
  // destroyed once the answer is out: a client keeping it open would otherwise hold up a stop.
  app.server.on("connect", (_request: unknown, socket: import("node:stream").Duplex) => {
    socket.end(
      errorResponse(404, "Not Found", new CofferError("NOT_FOUND", "No such route.")),
      () => socket.destroy(),
    );
  });

  // Server-only: a browser announces itself with these headers; refuse before parsing anything.
  app.addHook("onRequest", async (request) => {
    answered.delete(request.raw.socket);
    if (request.raw.httpVersion === "1.1" && !request.headers.host) {
      throw new CofferError("INVALID_REQUEST", "An HTTP/1.1 request needs a Host header.");
    }
    if (isBrowserRequest(request.headers)) {
      throw new CofferError(
        "BROWSER_REQUEST_REJECTED",
        "Coffer only answers servers: call it from your application's backend, never from a browser.",
      );
    }
  });

  // Stopping (SIGTERM): requests already routed finish; one that arrives now on an open keep-alive
  // connection is refused with SERVICE_UNAVAILABLE, and Fastify closes that connection after it.
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onRequest", async () => {
    if (closing) {
      throw new CofferError("SERVICE_UNAVAILABLE", "The server is stopping; retry shortly.");
    }
  });

  app.addHook("onSend", async (request) => {
    answered.add(request.raw.socket);
  });

  app.addHook("onResponse", async (request, reply) => {
    recordRequest(request, reply.statusCode, reply.elapsedTime, request.routeOptions.url);
  });

  app.setErrorHandler(async (error: FastifyError | CofferError, request, reply) => {
    const coffer = toCofferError(error);
    if (coffer.status >= 500 && coffer.code !== "SERVICE_UNAVAILABLE") {
      request.log.error(
        { err: { message: error.message, code: (error as FastifyError).code, stack: error.stack } },
        "request failed",
      );
    }
    if (coffer.code === "RATE_LIMITED")
      reply.header("retry-after", String(coffer.details?.retryAfter ?? 60));
    if (coffer.code === "SERVICE_UNAVAILABLE") reply.header("retry-after", "1");
    reply.header("x-coffer-error", coffer.code);
    return reply.code(coffer.status).send({ error: coffer.toJSON() });
  });

  app.setNotFoundHandler(async (request, reply) => {
    reply.header("x-coffer-error", "NOT_FOUND");
    return reply.code(404).send({
      error: {
        code: "NOT_FOUND",
        message: `No route ${request.method} ${redactUrl(request.url.split("?")[0] ?? "")}.`,
      },
    });
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: "Coffer vault API",
        version: options.version,
        description: "Stores blinded ids and sealed envelopes. Server-to-server only.",
      },
      components: {
        securitySchemes: {
          apiKey: { type: "http", scheme: "bearer", description: "An API key: coffer_key_…" },
          adminToken: {
            type: "http",
            scheme: "bearer",
            description: "The admin token: coffer_admin_…",
          },
        },
      },
    },
  });

  const operations = { tags: ["operations"], security: [] };
  app.get(
    "/healthz",
    {
      schema: {
        ...operations,
        summary: "Liveness and database reachability (no credentials needed)",
        response: { 200: HealthBody, 503: HealthBody },
      },
    },
    async (_request, reply) => {
      try {
        await vault.storage.ping();
        return { status: "ok", engine: vault.storage.engine };
      } catch {
        return reply
          .code(503)
          .header("x-coffer-error", "SERVICE_UNAVAILABLE")
          .send({ status: "unavailable", engine: vault.storage.engine });
      }
    },
  );
  app.get(
    "/metrics",
    { schema: { ...operations, summary: "Prometheus metrics (text exposition format)" } },
    async (_request, reply) =>
      reply.header("content-type", metrics.contentType).send(await metrics.metrics()),
  );
  app.get("/openapi.json", { schema: { ...operations, summary: "This document" } }, async () =>
    app.swagger(),
  );

  await app.register(dataRoutes, {
    vault,
    config,
    maxEnvelopeBytes: maxEnvelopeBytes(config.maxValueBytes),
  });
  await app.register(adminRoutes, { vault });
  return app;
}

const CLIENT_ERRORS: Record<string, [number, string, CofferError]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [
    408,
    "Request Timeout",
    new CofferError("REQUEST_TIMEOUT", "The request did not arrive in time."),
  ],
  HPE_HEADER_OVERFLOW: [
    431,
    "Request Header Fields Too Large",
    new CofferError("INVALID_REQUEST", "The request headers are too large.", { status: 431 }),
  ],
};
const BAD_HTTP: [number, string, CofferError] = [
  400,
  "Bad Request",
  new CofferError("INVALID_REQUEST", "The request is not valid HTTP."),
];

/** A raw HTTP response for an error Node reports on the socket, in the API's error shape. */
export function clientErrorResponse(nodeCode: string | undefined): string {
  const [status, reason, error] = (nodeCode && CLIENT_ERRORS[nodeCode]) || BAD_HTTP;
  return errorResponse(status, reason, error);
}

function errorResponse(status: number, reason: string, error: CofferError): string {
  const body = JSON.stringify({ error: error.toJSON() });
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nx-coffer-error: ${error.code}\r\nConnection: close\r\n\r\n${body}`;
}

/** Every failure becomes a CofferError with a stable code; client mistakes are never 500s. */
export function toCofferError(error: unknown): CofferError {
  if (isCofferError(error)) return error;
  const e = error as FastifyError & { validationContext?: string };
  if (e.validation) {
    return new CofferError(
      "INVALID_REQUEST",
      `Invalid request ${e.validationContext ?? ""}: ${e.message}`.replace(/\s+/g, " "),
      {
        details: {
          issues: e.validation.map((v) => ({
            path: `${e.validationContext ?? ""}${v.instancePath}`,
            message: v.message ?? "invalid",
          })),
        },
      },
    );
  }
  const status = typeof e.statusCode === "number" ? e.statusCode : 500;
  if (status === 413)
    return new CofferError(
      "PAYLOAD_TOO_LARGE",
      "The request body is larger than this route accepts.",
    );
  if (status === 415)
    return new CofferError("UNSUPPORTED_MEDIA_TYPE", "Send JSON: Content-Type: application/json.");
  if (status === 429) return new CofferError("RATE_LIMITED", "Too many requests.");
  if (status === 503)
    return new CofferError(
      "SERVICE_UNAVAILABLE",
      "The server is shutting down or unavailable; retry shortly.",
    );
  if (status >= 400 && status < 500) {
    // Fastify's own 4xx (malformed JSON, empty body, bad content length…): its message names the problem.
    return new CofferError("INVALID_REQUEST", e.message || "The request is malformed.", {
      status: 400,
    });
  }
  const code = isCofferErrorCode(e.code) ? e.code : "INTERNAL_ERROR";
  return new CofferError(code, "Internal error. It was logged; if it persists, report it.", {
    status: ERROR_STATUS[code],
  });
}
