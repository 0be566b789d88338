// Every route × every wrong credential: refused with the right status and code, and the refusal in
// the audit log. Then browser-style requests on every route: refused before authentication. The
// routes come from the server itself (its router and /openapi.json), so a new route cannot escape.
import { request as httpRequest } from "node:http";
import { createSealer, generateSecret } from "@coffer/core";
import type { Vault } from "@coffer/server";
import { startVault, type TestVault } from "@coffer/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validBody } from "../src/http-fuzz.js";
import { createPrincipals, declaredRoutes, type Principals } from "../src/principals.js";
import { Rng } from "../src/raw-http.js";
import { report } from "../src/report.js";

type Route = { method: string; path: string };
// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely and asserted on
type Json = any;

/** Data routes that write: a read-only key must be refused on these, and only these. */
const WRITES = new Set([
  "PUT /v1/stores/{store}/entries/{blindedId}",
  "DELETE /v1/stores/{store}/entries/{blindedId}",
  "POST /v1/stores/{store}/entries/batch-put",
  "POST /v1/stores/{store}/entries/move",
]);
const READS = new Set([
  "GET /v1/stores/{store}",
  "GET /v1/stores/{store}/entries/{blindedId}",
  "GET /v1/stores/{store}/entries",
  "POST /v1/stores/{store}/entries/batch-get",
]);
const OPEN = new Set(["GET /healthz", "GET /metrics", "GET /openapi.json"]);

function send(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; body: Json; code: string | undefined }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(
      `${url}${path}`,
      {
        method,
        headers: {
          ...headers,
          ...(payload ? { "content-type": "application/json" } : {}),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => {
          let parsed: Json = text;
          try {
            parsed = JSON.parse(text);
          } catch {}
          const code = res.headers["x-coffer-error"];
          resolve({
            status: res.statusCode ?? 0,
            body: parsed,
            code: typeof code === "string" ? code : undefined,
          });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** Paths of the router's tree print: `├── /v1/stores/:store (GET, HEAD)` under its parent. */
function routerRoutes(printed: string): Route[] {
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of printed.split("\n")) {
    const match = /^([│ ]*)[├└]── (\S+) \(([^)]+)\)/.exec(line);
    if (!match) continue;
    const depth = (match[1] as string).length / 4;
    stack.length = depth;
    stack.push(match[2] as string);
    const path = stack.join("").replace(/:(\w+)/g, "{$1}");
    for (const method of (match[3] as string).split(", ")) {
      if (method !== "HEAD") routes.push({ method, path });
    }
  }
  return routes;
}

describe("access matrix", () => {
  let server: TestVault;
  let vault: Vault;
  let p: Principals;
  let routes: Route[];
  const sealer = createSealer({ secret: generateSecret() });
  const sealed: Array<{ blindedId: string; keyId: string; envelope: string }> = [];

  beforeAll(async () => {
    server = await startVault("sqlite");
    vault = server.running.vault;
    p = await createPrincipals(server.url, server.running.bootstrap?.adminToken as string);
    for (let i = 0; i < 3; i++) {
      const s = await sealer.seal("alpha", `k${i}`, `v${i}`);
      sealed.push({
        blindedId: s.blindedId,
        keyId: s.keyId,
        envelope: Buffer.from(s.envelope).toString("base64url"),
      });
    }
    routes = await declaredRoutes(server.url);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("takes its routes from the server: the router and /openapi.json agree", () => {
    const fromRouter = routerRoutes(server.running.app.printRoutes({ commonPrefix: false }));
    const key = (r: Route) => `${r.method} ${r.path}`;
    expect(new Set(fromRouter.map(key))).toEqual(new Set(routes.map(key)));
    for (const r of routes) {
      const known = r.path.startsWith("/v1/admin/")
        ? true
        : r.path.startsWith("/v1/stores/")
          ? WRITES.has(key(r)) || READS.has(key(r))
          : OPEN.has(key(r));
      expect(known, `${key(r)} is classified as read, write, admin or open`).toBe(true);
    }
  });

  /** The path of a route aimed at `store` (data) or the default project (admin). */
  const pathOf = (route: Route, store: string) =>
    route.path
      .replace("{store}", store)
      .replace("{blindedId}", (sealed[0] as { blindedId: string }).blindedId)
      .replace("{project}", "default")
      .replace("{keyId}", "zzzzzzzzzzzz");
  const bodyOf = (route: Route) =>
    validBody(new Rng(1), route, {
      routes: [],
      principals: p,
      sealed: sealed as [(typeof sealed)[0]],
    });

  it("refuses every wrong credential on every route with the right code, and audits it", async () => {
    interface Cell {
      credential: string;
      header: string | undefined;
      applies(route: Route): boolean;
      store?: string;
      status: number;
      code: string;
      reason: string;
      /** The key id the audit event names, if any. */
      apiKeyId?: string;
    }
    const key = (r: Route) => `${r.method} ${r.path}`;
    const data = (r: Route) => r.path.startsWith("/v1/stores/");
    const adminRoute = (r: Route) => r.path.startsWith("/v1/admin/");
    const any = (r: Route) => data(r) || adminRoute(r);
    const cells: Cell[] = [
      {
        credential: "no key",
        header: undefined,
        applies: any,
        status: 401,
        code: "UNAUTHORIZED",
        reason: "",
      },
      {
        credential: "malformed key",
        header: `Bearer ${p.rw.slice(0, -2)}`,
        applies: any,
        status: 401,
        code: "UNAUTHORIZED",
        reason: "",
      },
      {
        credential: "not a bearer",
        header: `Basic ${Buffer.from("a:b").toString("base64")}`,
        applies: any,
        status: 401,
        code: "UNAUTHORIZED",
        reason: "",
      },
      {
        credential: "unknown key",
        header: `Bearer coffer_key_${"q".repeat(12)}_${"A".repeat(43)}`,
        applies: data,
        status: 401,
        code: "UNAUTHORIZED",
        reason: "unknown or malformed API key",
      },
      {
        credential: "revoked key",
        header: `Bearer ${p.revoked}`,
        applies: data,
        status: 401,
        code: "UNAUTHORIZED",
        reason: "revoked API key",
        apiKeyId: p.ids.revoked,
      },
      {
        credential: "another project's key",
        header: `Bearer ${p.otherProject}`,
        applies: data,
        store: p.stores[1], // exists in the default project only
        status: 404,
        code: "STORE_NOT_FOUND",
        reason: "no such store in the key's project",
        apiKeyId: p.ids.otherProject,
      },
      {
        credential: "read-only key on a write",
        header: `Bearer ${p.readOnly}`,
        applies: (r) => WRITES.has(key(r)),
        status: 403,
        code: "FORBIDDEN",
        reason: "write with a read-only key",
        apiKeyId: p.ids.readOnly,
      },
      {
        credential: "store-scoped key on another store",
        header: `Bearer ${p.scoped}`,
        applies: data,
        store: p.stores[1],
        status: 403,
        code: "FORBIDDEN",
        reason: "store outside the key's scope",
        apiKeyId: p.ids.scoped,
      },
      {
        credential: "admin token on the data API",
        header: `Bearer ${p.admin}`,
        applies: data,
        status: 403,
        code: "FORBIDDEN",
        reason: "admin token on the data API",
      },
      {
        credential: "unknown admin token",
        header: `Bearer coffer_admin_${"q".repeat(12)}_${"A".repeat(43)}`,
        applies: adminRoute,
        status: 401,
        code: "UNAUTHORIZED",
        reason: "missing or invalid admin token",
      },
      ...(["rw", "readOnly", "scoped", "revoked", "otherProject"] as const).map((name) => ({
        credential: `API key (${name}) on the admin API`,
        header: `Bearer ${p[name]}`,
        applies: adminRoute,
        status: 403,
        code: "FORBIDDEN",
        reason: "API key on the admin API",
        apiKeyId: p.ids[name],
      })),
    ];

    let checked = 0;
    const perCredential: Record<string, number> = {};
    const failures: string[] = [];
    for (const route of routes) {
      for (const cell of cells) {
        if (!cell.applies(route)) continue;
        const since = Date.now();
        const res = await send(
          server.url,
          route.method,
          pathOf(route, cell.store ?? p.stores[0]),
          cell.header === undefined ? {} : { authorization: cell.header },
          bodyOf(route),
        );
        const where = `${key(route)} with ${cell.credential}`;
        if (
          res.status !== cell.status ||
          res.body?.error?.code !== cell.code ||
          res.code !== cell.code
        ) {
          failures.push(
            `${where}: ${res.status} ${JSON.stringify(res.body?.error ?? res.body).slice(0, 160)}`,
          );
          continue;
        }
        const [event] = await vault.listAudit({ action: "auth.denied", since, limit: 1 });
        const matches =
          event !== undefined &&
          event.outcome === "denied" &&
          event.code === cell.code &&
          (cell.reason === "" || event.details.reason === cell.reason) &&
          (cell.apiKeyId === undefined || event.apiKeyId === cell.apiKeyId);
        if (!matches) failures.push(`${where}: no matching audit event (${JSON.stringify(event)})`);
        checked++;
        perCredential[cell.credential] = (perCredential[cell.credential] ?? 0) + 1;
      }
    }
    report("access-matrix", {
      routes: routes.length,
      credentialCases: cells.length,
      cellsChecked: checked,
      perCredential,
      failures: failures.length,
    });
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });

  it("lets the right credential through on every route (the matrix refuses for the right reason)", async () => {
    for (const route of routes) {
      const k = `${route.method} ${route.path}`;
      if (OPEN.has(k)) continue;
      const token = route.path.startsWith("/v1/admin/")
        ? p.admin
        : READS.has(k)
          ? p.readOnly
          : p.rw;
      const res = await send(
        server.url,
        route.method,
        pathOf(route, p.stores[0]),
        { authorization: `Bearer ${token}` },
        bodyOf(route),
      );
      // Authorised: any answer but a credential refusal (a miss like KEY_NOT_FOUND is fine).
      expect([401, 403], `${k}: ${JSON.stringify(res.body)}`).not.toContain(res.status);
    }
  });

  it("refuses browser-style requests on every route, before authentication", async () => {
    const browsers: Array<Record<string, string>> = [
      { origin: "https://app.example" },
      { origin: "null" },
      { "sec-fetch-site": "same-origin" },
      { "sec-fetch-site": "cross-site", "sec-fetch-mode": "cors" },
      { "sec-fetch-mode": "navigate" },
      { "sec-fetch-mode": "cors", "user-agent": "Mozilla/5.0" },
      { "sec-fetch-mode": "cors" }, // no User-Agent at all
      { "sec-fetch-dest": "empty" },
      { "sec-fetch-user": "?1" },
      { "sec-fetch-mode": "cors", "user-agent": "node", origin: "https://app.example" },
    ];
    let checked = 0;
    const failures: string[] = [];
    const all = [...routes, { method: "GET", path: "/no/such/route" }];
    for (const route of all) {
      const token = route.path.startsWith("/v1/admin/") ? p.admin : p.rw;
      for (const headers of browsers) {
        for (const credential of [{ authorization: `Bearer ${token}` }, {}]) {
          const res = await send(
            server.url,
            route.method,
            pathOf(route, p.stores[0]),
            { ...headers, ...credential },
            bodyOf(route),
          );
          if (
            res.status !== 403 ||
            res.body?.error?.code !== "BROWSER_REQUEST_REJECTED" ||
            res.code !== "BROWSER_REQUEST_REJECTED"
          ) {
            failures.push(
              `${route.method} ${route.path} ${JSON.stringify(headers)}: ${res.status}`,
            );
          }
          checked++;
        }
      }
      // and no CORS header ever, even on the answer to a preflight
      const preflight = await send(server.url, "OPTIONS", pathOf(route, p.stores[0]), {
        origin: "https://app.example",
        "access-control-request-method": route.method,
      });
      expect(preflight.status).toBeGreaterThanOrEqual(400);
    }
    report("browser-refusal", {
      routes: all.length,
      headerSets: browsers.length,
      requestsChecked: checked,
      failures: failures.length,
    });
    expect(failures).toEqual([]);
  });
});
