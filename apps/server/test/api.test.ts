// The HTTP API end to end, on SQLite and on PostgreSQL: a real server on an ephemeral port, real
// envelopes sealed by @coffer/core, and every route's success and failure paths.
import { createSealer, generateSecret } from "@coffer/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startTestServer, type TestServer } from "./helpers/vault-server.js";

const sealer = createSealer({ secret: generateSecret() });
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

async function sealed(store: string, key: string, value: string) {
  const s = await sealer.seal(store, key, value);
  return { blindedId: s.blindedId, keyId: s.keyId, envelope: b64(s.envelope) };
}

describe.each<Engine>(["sqlite", "postgres"])("vault API on %s", (engine) => {
  let vault: TestServer;
  let admin: string;
  let key: string; // read-write, whole project
  const call: TestServer["call"] = (...args) => vault.call(...args);

  beforeAll(async () => {
    vault = await startTestServer(engine);
    admin = vault.adminToken;
    for (const id of ["oauth-tokens", "recovery-codes"]) {
      expect(
        (await call("POST", "/v1/admin/projects/default/stores", { token: admin, body: { id } }))
          .status,
      ).toBe(201);
    }
    const created = await call("POST", "/v1/admin/projects/default/keys", {
      token: admin,
      body: { name: "app" },
    });
    expect(created.status).toBe(201);
    key = created.body.apiKey;
  });
  afterAll(async () => {
    await vault?.close();
  });

  describe("entries", () => {
    it("puts, gets and opens an entry; versions count writes", async () => {
      const entry = await sealed("oauth-tokens", "gh:1", "ghp_first");
      const put = await call("PUT", `/v1/stores/oauth-tokens/entries/${entry.blindedId}`, {
        token: key,
        body: { keyId: entry.keyId, envelope: entry.envelope },
      });
      expect(put).toMatchObject({ status: 200, body: { blindedId: entry.blindedId, version: 1 } });

      const got = await call("GET", `/v1/stores/oauth-tokens/entries/${entry.blindedId}`, {
        token: key,
      });
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({
        blindedId: entry.blindedId,
        keyId: entry.keyId,
        envelope: entry.envelope,
        version: 1,
      });
      const opened = await sealer.open(
        "oauth-tokens",
        got.body.blindedId,
        Buffer.from(got.body.envelope, "base64url"),
      );
      expect(opened.value).toBe("ghp_first");

      const again = await sealed("oauth-tokens", "gh:1", "ghp_second");
      const overwrite = await call("PUT", `/v1/stores/oauth-tokens/entries/${entry.blindedId}`, {
        token: key,
        body: { keyId: again.keyId, envelope: again.envelope },
      });
      expect(overwrite.body.version).toBe(2);
    });

    it("reports a miss as ENTRY_NOT_FOUND with the key ids the store holds", async () => {
      const missing = await sealer.blindKey("oauth-tokens", "gh:none");
      const got = await call("GET", `/v1/stores/oauth-tokens/entries/${missing}`, { token: key });
      expect(got.status).toBe(404);
      expect(got.body.error.code).toBe("ENTRY_NOT_FOUND");
      expect(got.body.error.details.keyIds).toEqual([await sealer.keyId()]);
      expect(got.headers.get("x-coffer-error")).toBe("ENTRY_NOT_FOUND");
    });

    it("compare-and-set: ifVersion 0 creates only, a stale version conflicts", async () => {
      const entry = await sealed("oauth-tokens", "gh:cas", "v1");
      const path = `/v1/stores/oauth-tokens/entries/${entry.blindedId}`;
      expect(
        (
          await call("PUT", path, {
            token: key,
            body: { ...entry, blindedId: undefined, ifVersion: 0 },
          })
        ).body.version,
      ).toBe(1);
      const again = await call("PUT", path, {
        token: key,
        body: { keyId: entry.keyId, envelope: entry.envelope, ifVersion: 0 },
      });
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({
        code: "VERSION_CONFLICT",
        details: { currentVersion: 1 },
      });
      expect(
        (
          await call("PUT", path, {
            token: key,
            body: { keyId: entry.keyId, envelope: entry.envelope, ifVersion: 1 },
          })
        ).body.version,
      ).toBe(2);
      expect((await call("DELETE", `${path}?ifVersion=1`, { token: key })).status).toBe(409);
      expect((await call("DELETE", `${path}?ifVersion=2`, { token: key })).body).toEqual({
        deleted: true,
      });
      expect((await call("DELETE", path, { token: key })).body).toEqual({ deleted: false });
    });

    it("batch-puts atomically and batch-gets in one request", async () => {
      const entries = await Promise.all(
        [1, 2, 3].map((i) => sealed("recovery-codes", `user:${i}`, `codes-${i}`)),
      );
      const put = await call("POST", "/v1/stores/recovery-codes/entries/batch-put", {
        token: key,
        body: { entries },
      });
      expect(put.status).toBe(200);
      expect(put.body.versions.map((v: { version: number }) => v.version)).toEqual([1, 1, 1]);

      // One conflicting write aborts the whole batch.
      const fresh = await sealed("recovery-codes", "user:4", "codes-4");
      const conflict = await call("POST", "/v1/stores/recovery-codes/entries/batch-put", {
        token: key,
        body: { entries: [fresh, { ...entries[0], ifVersion: 0 }] },
      });
      expect(conflict.status).toBe(409);
      const missing = await call("GET", `/v1/stores/recovery-codes/entries/${fresh.blindedId}`, {
        token: key,
      });
      expect(missing.status).toBe(404);

      const absent = await sealer.blindKey("recovery-codes", "user:absent");
      const got = await call("POST", "/v1/stores/recovery-codes/entries/batch-get", {
        token: key,
        body: { blindedIds: [...entries.map((e) => e.blindedId), absent] },
      });
      expect(got.status).toBe(200);
      expect(got.body.entries).toHaveLength(3);
      expect(got.body.missing).toEqual([absent]);
      expect(got.body.keyIds).toEqual([await sealer.keyId()]);
    });

    it("refuses batches over 100 entries and duplicate ids", async () => {
      const one = await sealed("recovery-codes", "dup", "x");
      const tooMany = Array.from({ length: 101 }, () => one.blindedId);
      expect(
        (
          await call("POST", "/v1/stores/recovery-codes/entries/batch-get", {
            token: key,
            body: { blindedIds: tooMany },
          })
        ).body.error.code,
      ).toBe("INVALID_REQUEST");
      const dup = await call("POST", "/v1/stores/recovery-codes/entries/batch-put", {
        token: key,
        body: { entries: [one, one] },
      });
      expect(dup.status).toBe(400);
      expect(dup.body.error.code).toBe("INVALID_REQUEST");
    });

    it("lists a store with cursor pagination, every entry exactly once", async () => {
      const store = "oauth-tokens";
      const entries = await Promise.all(
        Array.from({ length: 25 }, (_, i) => sealed(store, `list:${i}`, `v${i}`)),
      );
      await call("POST", `/v1/stores/${store}/entries/batch-put`, {
        token: key,
        body: { entries },
      });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<TestServer["call"]>> = await call(
          "GET",
          `/v1/stores/${store}/entries?limit=7${cursor ? `&cursor=${cursor}` : ""}`,
          { token: key },
        );
        expect(page.status).toBe(200);
        expect(page.body.entries.length).toBeLessThanOrEqual(7);
        seen.push(...page.body.entries.map((e: { blindedId: string }) => e.blindedId));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual([...seen].sort());
      for (const e of entries) expect(seen).toContain(e.blindedId);
    });

    it("moves an entry atomically (re-keying)", async () => {
      const from = await sealed("oauth-tokens", "gh:move", "token");
      await call("PUT", `/v1/stores/oauth-tokens/entries/${from.blindedId}`, {
        token: key,
        body: { keyId: from.keyId, envelope: from.envelope },
      });
      const next = createSealer({ secret: generateSecret() });
      const s = await next.seal("oauth-tokens", "gh:move", "token");
      const to = { blindedId: s.blindedId, keyId: s.keyId, envelope: b64(s.envelope) };
      const moved = await call("POST", "/v1/stores/oauth-tokens/entries/move", {
        token: key,
        body: { from: { blindedId: from.blindedId, ifVersion: 1 }, to },
      });
      expect(moved).toMatchObject({ status: 200, body: { blindedId: to.blindedId, version: 1 } });
      expect(
        (await call("GET", `/v1/stores/oauth-tokens/entries/${from.blindedId}`, { token: key }))
          .status,
      ).toBe(404);
      expect(
        (await call("GET", `/v1/stores/oauth-tokens/entries/${to.blindedId}`, { token: key })).body
          .envelope,
      ).toBe(to.envelope);
      const gone = await call("POST", "/v1/stores/oauth-tokens/entries/move", {
        token: key,
        body: { from: { blindedId: from.blindedId }, to },
      });
      expect(gone.body.error.code).toBe("ENTRY_NOT_FOUND");
    });

    it("reports store info: count, bytes and key ids in use", async () => {
      const info = await call("GET", "/v1/stores/recovery-codes", { token: key });
      expect(info.status).toBe(200);
      expect(info.body).toMatchObject({ id: "recovery-codes", entryCount: 3 });
      expect(info.body.bytes).toBeGreaterThan(0);
      expect(info.body.keyIds).toEqual([{ keyId: await sealer.keyId(), count: 3 }]);
      expect((await call("GET", "/v1/stores/nope", { token: key })).body.error.code).toBe(
        "STORE_NOT_FOUND",
      );
    });
  });

  describe("validation: 4xx with a code, never a 500", () => {
    it.each([
      ["malformed JSON", "{not json", "INVALID_REQUEST"],
      [
        "unknown field",
        { keyId: "0123456789abcdef", envelope: "AAAA", extra: 1 },
        "INVALID_REQUEST",
      ],
      ["wrong type", { keyId: 42, envelope: "AAAA" }, "INVALID_REQUEST"],
      ["bad base64", { keyId: "0123456789abcdef", envelope: "not base64!" }, "INVALID_REQUEST"],
      [
        "negative version",
        { keyId: "0123456789abcdef", envelope: "AAAA", ifVersion: -1 },
        "INVALID_REQUEST",
      ],
      [
        "huge version",
        { keyId: "0123456789abcdef", envelope: "AAAA", ifVersion: 1e20 },
        "INVALID_REQUEST",
      ],
      ["missing field", { keyId: "0123456789abcdef" }, "INVALID_REQUEST"],
    ])("%s", async (_name, body, code) => {
      const id = await sealer.blindKey("oauth-tokens", "gh:validation");
      const response = await call("PUT", `/v1/stores/oauth-tokens/entries/${id}`, {
        token: key,
        body,
      });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe(code);
    });

    it("refuses base64url that does not decode to exactly what was sent, on every write route", async () => {
      // Node's decoder drops a dangling character or stray trailing bits: "a" would have stored
      // an empty envelope and "abcde" three bytes that read back as "abcd".
      const keyId = "0123456789abcdef";
      const id = await sealer.blindKey("oauth-tokens", "gh:non-canonical");
      const other = await sealer.blindKey("oauth-tokens", "gh:non-canonical-2");
      for (const envelope of ["a", "abcde", "AB", "AAAAB"]) {
        for (const [method, path, body] of [
          ["PUT", `/v1/stores/oauth-tokens/entries/${id}`, { keyId, envelope }],
          [
            "POST",
            "/v1/stores/oauth-tokens/entries/batch-put",
            { entries: [{ blindedId: id, keyId, envelope }] },
          ],
          [
            "POST",
            "/v1/stores/oauth-tokens/entries/move",
            { from: { blindedId: other }, to: { blindedId: id, keyId, envelope } },
          ],
        ] as const) {
          const response = await call(method, path, { token: key, body });
          expect(response.status, `${path} ${envelope}`).toBe(400);
          expect(response.body.error.code).toBe("INVALID_REQUEST");
        }
      }
      const missing = await call("GET", `/v1/stores/oauth-tokens/entries/${id}`, { token: key });
      expect(missing.status).toBe(404);
      // Canonical encodings of one, two and three bytes are fine.
      for (const envelope of ["AA", "AAA", "AAAA", "AQ", "_-8"]) {
        const put = await call("PUT", `/v1/stores/oauth-tokens/entries/${id}`, {
          token: key,
          body: { keyId, envelope },
        });
        expect(put.status, envelope).toBe(200);
        const got = await call("GET", `/v1/stores/oauth-tokens/entries/${id}`, { token: key });
        expect(got.body.envelope).toBe(envelope);
      }
      await call("DELETE", `/v1/stores/oauth-tokens/entries/${id}`, { token: key });
    });

    it("refuses query parameters a route does not define, on every route", async () => {
      const id = await sealer.blindKey("oauth-tokens", "gh:query");
      for (const [method, path, token, body] of [
        ["GET", "/v1/stores/oauth-tokens", key],
        ["GET", `/v1/stores/oauth-tokens/entries/${id}`, key],
        ["GET", "/v1/stores/oauth-tokens/entries", key],
        ["DELETE", `/v1/stores/oauth-tokens/entries/${id}`, key],
        ["POST", "/v1/stores/oauth-tokens/entries/batch-get", key, { blindedIds: [id] }],
        ["GET", "/v1/admin/projects", admin],
        ["GET", "/v1/admin/projects/default/stores", admin],
        ["GET", "/v1/admin/projects/default/audit", admin],
      ] as const) {
        const response = await call(method, `${path}?unknown=1`, { token, body });
        expect(response.status, path).toBe(400);
        expect(response.body.error.code, path).toBe("INVALID_REQUEST");
      }
    });

    it("refuses malformed ids in paths", async () => {
      for (const path of [
        "/v1/stores/Bad%20Store",
        "/v1/stores/oauth-tokens/entries/short",
        "/v1/stores/oauth-tokens/entries/..%2F..%2Fetc",
      ]) {
        const response = await call("GET", path, { token: key });
        expect(response.status, path).toBeGreaterThanOrEqual(400);
        expect(response.status, path).toBeLessThan(500);
        expect(response.body.error.code, path).toMatch(/INVALID_REQUEST|NOT_FOUND/);
      }
    });

    it("refuses an envelope over the size limit with VALUE_TOO_LARGE or PAYLOAD_TOO_LARGE", async () => {
      const id = await sealer.blindKey("oauth-tokens", "gh:big");
      const big = Buffer.alloc(2 * 1024 * 1024, 1).toString("base64url");
      const response = await call("PUT", `/v1/stores/oauth-tokens/entries/${id}`, {
        token: key,
        body: { keyId: "0123456789abcdef", envelope: big },
      });
      expect(response.status).toBe(413);
      expect(["VALUE_TOO_LARGE", "PAYLOAD_TOO_LARGE"]).toContain(response.body.error.code);
    });

    it("accepts the envelope of a 1 MiB value", async () => {
      const s = await sealer.seal("oauth-tokens", "gh:1mib", "x".repeat(1024 * 1024));
      const response = await call("PUT", `/v1/stores/oauth-tokens/entries/${s.blindedId}`, {
        token: key,
        body: { keyId: s.keyId, envelope: b64(s.envelope) },
      });
      expect(response.status).toBe(200);
    });

    it("answers unknown routes with NOT_FOUND", async () => {
      const response = await call("GET", "/v2/nothing", { token: key });
      expect(response).toMatchObject({ status: 404, body: { error: { code: "NOT_FOUND" } } });
    });
  });

  describe("access", () => {
    it("refuses no key, a malformed key and an unknown key with UNAUTHORIZED", async () => {
      const path = "/v1/stores/oauth-tokens";
      expect((await call("GET", path)).body.error.code).toBe("UNAUTHORIZED");
      expect((await call("GET", path, { token: "nonsense" })).body.error.code).toBe("UNAUTHORIZED");
      const forged = `${key.slice(0, -4)}AAAA`;
      const response = await call("GET", path, { token: forged });
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe("UNAUTHORIZED");
    });

    it("refuses the admin token on the data API and an API key on the admin API", async () => {
      expect((await call("GET", "/v1/stores/oauth-tokens", { token: admin })).body.error.code).toBe(
        "FORBIDDEN",
      );
      expect((await call("GET", "/v1/admin/projects", { token: key })).body.error.code).toBe(
        "FORBIDDEN",
      );
      expect((await call("GET", "/v1/admin/projects")).body.error.code).toBe("UNAUTHORIZED");
    });

    it("a revoked key fails on the very next request, and the refusal is audited", async () => {
      const created = await call("POST", "/v1/admin/projects/default/keys", {
        token: admin,
        body: { name: "to revoke" },
      });
      const doomed = created.body.apiKey;
      expect((await call("GET", "/v1/stores/oauth-tokens", { token: doomed })).status).toBe(200);
      expect(
        (
          await call("DELETE", `/v1/admin/projects/default/keys/${created.body.key.id}`, {
            token: admin,
          })
        ).body,
      ).toEqual({ revoked: true });
      const refused = await call("GET", "/v1/stores/oauth-tokens", { token: doomed });
      expect(refused).toMatchObject({ status: 401, body: { error: { code: "UNAUTHORIZED" } } });
      const audit = await call(
        "GET",
        `/v1/admin/projects/default/audit?key=${created.body.key.id}`,
        { token: admin },
      );
      const actions = audit.body.events.map(
        (e: { action: string; outcome: string }) => `${e.action}:${e.outcome}`,
      );
      expect(actions).toEqual(
        expect.arrayContaining(["key.create:ok", "key.revoke:ok", "auth.denied:denied"]),
      );
    });

    it("a read-only key reads but cannot write", async () => {
      const ro = (
        await call("POST", "/v1/admin/projects/default/keys", {
          token: admin,
          body: { readOnly: true },
        })
      ).body.apiKey;
      const entry = await sealed("oauth-tokens", "gh:ro", "v");
      expect((await call("GET", "/v1/stores/oauth-tokens", { token: ro })).status).toBe(200);
      const write = await call("PUT", `/v1/stores/oauth-tokens/entries/${entry.blindedId}`, {
        token: ro,
        body: { keyId: entry.keyId, envelope: entry.envelope },
      });
      expect(write).toMatchObject({ status: 403, body: { error: { code: "FORBIDDEN" } } });
      expect(
        (await call("DELETE", `/v1/stores/oauth-tokens/entries/${entry.blindedId}`, { token: ro }))
          .status,
      ).toBe(403);
    });

    it("a store-scoped key cannot reach another store", async () => {
      const scoped = (
        await call("POST", "/v1/admin/projects/default/keys", {
          token: admin,
          body: { storeIds: ["recovery-codes"] },
        })
      ).body.apiKey;
      expect((await call("GET", "/v1/stores/recovery-codes", { token: scoped })).status).toBe(200);
      const other = await call("GET", "/v1/stores/oauth-tokens", { token: scoped });
      expect(other).toMatchObject({ status: 403, body: { error: { code: "FORBIDDEN" } } });
      const entry = await sealed("oauth-tokens", "gh:1", "x");
      expect(
        (await call("GET", `/v1/stores/oauth-tokens/entries/${entry.blindedId}`, { token: scoped }))
          .status,
      ).toBe(403);
    });

    it("a key of project A never sees or touches project B, on any route", async () => {
      expect(
        (
          await call("POST", "/v1/admin/projects", {
            token: admin,
            body: { id: "tenant-b", name: "B" },
          })
        ).status,
      ).toBe(201);
      await call("POST", "/v1/admin/projects/tenant-b/stores", {
        token: admin,
        body: { id: "oauth-tokens" },
      });
      const keyB = (
        await call("POST", "/v1/admin/projects/tenant-b/keys", { token: admin, body: {} })
      ).body.apiKey;
      const secretOfA = await sealed("oauth-tokens", "gh:1", "ignored");
      // Same store id, same blinded id: B sees its own empty store, never A's entry.
      expect(
        (
          await call("GET", `/v1/stores/oauth-tokens/entries/${secretOfA.blindedId}`, {
            token: keyB,
          })
        ).status,
      ).toBe(404);
      expect((await call("GET", "/v1/stores/oauth-tokens", { token: keyB })).body.entryCount).toBe(
        0,
      );
      expect(
        (await call("GET", "/v1/stores/oauth-tokens/entries", { token: keyB })).body.entries,
      ).toEqual([]);
      expect(
        (
          await call("POST", "/v1/stores/oauth-tokens/entries/batch-get", {
            token: keyB,
            body: { blindedIds: [secretOfA.blindedId] },
          })
        ).body.entries,
      ).toEqual([]);
      expect(
        (
          await call("DELETE", `/v1/stores/oauth-tokens/entries/${secretOfA.blindedId}`, {
            token: keyB,
          })
        ).body.deleted,
      ).toBe(false);
      const move = await call("POST", "/v1/stores/oauth-tokens/entries/move", {
        token: keyB,
        body: { from: { blindedId: secretOfA.blindedId }, to: secretOfA },
      });
      expect(move.body.error.code).toBe("ENTRY_NOT_FOUND");
      expect(
        (await call("GET", "/v1/stores/recovery-codes", { token: keyB })).body.error.code,
      ).toBe("STORE_NOT_FOUND");
      // And A's entry is untouched.
      expect(
        (
          await call("GET", `/v1/stores/oauth-tokens/entries/${secretOfA.blindedId}`, {
            token: key,
          })
        ).status,
      ).toBe(200);
    });

    it("refuses browser requests on every route, before authentication", async () => {
      const browserHeaders = [
        { origin: "https://evil.example" },
        { "sec-fetch-site": "cross-site" },
        { "sec-fetch-mode": "cors" },
        { "sec-fetch-mode": "navigate" },
        { "sec-fetch-dest": "document" },
        { "sec-fetch-mode": "cors", "user-agent": "node", origin: "https://app.example" },
      ];
      const routes = [
        ["GET", "/healthz"],
        ["GET", "/metrics"],
        ["GET", "/openapi.json"],
        ["GET", "/v1/stores/oauth-tokens"],
        ["GET", "/v1/admin/projects"],
        ["OPTIONS", "/v1/stores/oauth-tokens"],
        ["PUT", "/v1/stores/oauth-tokens/entries/x"],
        ["GET", "/nowhere"],
      ] as const;
      for (const headers of browserHeaders) {
        for (const [method, path] of routes) {
          const response = await vault.raw(method, path, {
            ...headers,
            authorization: `Bearer ${key}`,
          });
          expect(response.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(403);
          expect(response.body.error.code).toBe("BROWSER_REQUEST_REJECTED");
          expect(response.headers["access-control-allow-origin"]).toBeUndefined();
        }
      }
    });

    it("lets Node's own fetch through: it sends Sec-Fetch-Mode: cors on every request", async () => {
      // Every other test of this file uses Node's fetch; this one says why that must keep working.
      const response = await fetch(`${vault.url}/v1/stores/oauth-tokens`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(response.status).toBe(200);
      const plain = await vault.raw("GET", "/v1/stores/oauth-tokens", {
        authorization: `Bearer ${key}`,
      });
      expect(plain.status).toBe(200);
    });
  });

  describe("admin API", () => {
    it("refuses names with control characters on both engines (PostgreSQL cannot store a NUL: it was a 500)", async () => {
      for (const name of ["a\u0000b", "bell\u0007", "esc\u001b[31m", "lone \ud800"]) {
        for (const [method, path, body] of [
          ["POST", "/v1/admin/projects", { id: "named", name }],
          ["POST", "/v1/admin/projects/default/stores", { id: "named", name }],
          ["PATCH", "/v1/admin/projects/default/stores/oauth-tokens", { name }],
          ["POST", "/v1/admin/projects/default/keys", { name }],
        ] as const) {
          const response = await call(method, path, { token: admin, body });
          expect(response.status, `${method} ${path} ${JSON.stringify(name)}`).toBe(400);
          expect(response.body.error.code).toBe("INVALID_REQUEST");
        }
      }
      const projects = await call("GET", "/v1/admin/projects", { token: admin });
      expect(projects.body.projects.map((p: { id: string }) => p.id)).not.toContain("named");
      // Letters of every script and emoji are names.
      const fine = await call("PATCH", "/v1/admin/projects/default/stores/oauth-tokens", {
        token: admin,
        body: { name: "Jetons d'accès 🔑" },
      });
      expect(fine.status).toBe(200);
      await call("PATCH", "/v1/admin/projects/default/stores/oauth-tokens", {
        token: admin,
        body: { name: "oauth-tokens" },
      });
    });

    it("creates, lists, renames and deletes stores; deleting destroys the entries", async () => {
      const created = await call("POST", "/v1/admin/projects/default/stores", {
        token: admin,
        body: { id: "api-keys", name: "Provider API keys" },
      });
      expect(created).toMatchObject({
        status: 201,
        body: { id: "api-keys", name: "Provider API keys", entryCount: 0 },
      });
      expect(
        (
          await call("POST", "/v1/admin/projects/default/stores", {
            token: admin,
            body: { id: "api-keys" },
          })
        ).body.error.code,
      ).toBe("STORE_EXISTS");
      expect(
        (
          await call("POST", "/v1/admin/projects/default/stores", {
            token: admin,
            body: { id: "Bad Id" },
          })
        ).body.error.code,
      ).toBe("INVALID_REQUEST");

      const entry = await sealed("api-keys", "openai:1", "sk-…");
      await call("PUT", `/v1/stores/api-keys/entries/${entry.blindedId}`, {
        token: key,
        body: { keyId: entry.keyId, envelope: entry.envelope },
      });
      const list = await call("GET", "/v1/admin/projects/default/stores", { token: admin });
      expect(list.body.stores.find((s: { id: string }) => s.id === "api-keys")).toMatchObject({
        entryCount: 1,
      });

      expect(
        (
          await call("PATCH", "/v1/admin/projects/default/stores/api-keys", {
            token: admin,
            body: { name: "  Renamed " },
          })
        ).status,
      ).toBe(200);
      const renamed = await call("GET", "/v1/admin/projects/default/stores", { token: admin });
      expect(renamed.body.stores.find((s: { id: string }) => s.id === "api-keys").name).toBe(
        "Renamed",
      );
      const blank = await call("PATCH", "/v1/admin/projects/default/stores/api-keys", {
        token: admin,
        body: { name: "   " },
      });
      expect(blank).toMatchObject({ status: 400, body: { error: { code: "INVALID_REQUEST" } } });
      expect(
        (await call("DELETE", "/v1/admin/projects/default/stores/api-keys", { token: admin })).body,
      ).toEqual({ deleted: true });
      expect((await call("GET", "/v1/stores/api-keys", { token: key })).body.error.code).toBe(
        "STORE_NOT_FOUND",
      );
      expect(
        (await call("DELETE", "/v1/admin/projects/default/stores/api-keys", { token: admin })).body
          .error.code,
      ).toBe("STORE_NOT_FOUND");
      // The same id again is a new, empty store.
      await call("POST", "/v1/admin/projects/default/stores", {
        token: admin,
        body: { id: "api-keys" },
      });
      expect((await call("GET", "/v1/stores/api-keys", { token: key })).body.entryCount).toBe(0);
    });

    it("lists projects and keys without ever returning a key", async () => {
      const projects = await call("GET", "/v1/admin/projects", { token: admin });
      expect(projects.body.projects.map((p: { id: string }) => p.id)).toContain("default");
      expect(
        (await call("POST", "/v1/admin/projects", { token: admin, body: { id: "default" } })).body
          .error.code,
      ).toBe("PROJECT_EXISTS");
      const keys = await call("GET", "/v1/admin/projects/default/keys", { token: admin });
      expect(keys.body.keys.length).toBeGreaterThan(0);
      expect(JSON.stringify(keys.body)).not.toContain(key);
      expect(keys.body.keys[0].prefix).toMatch(/^coffer_key_[a-z0-9]{12}$/);
      expect(
        (await call("GET", "/v1/admin/projects/nope/keys", { token: admin })).body.error.code,
      ).toBe("PROJECT_NOT_FOUND");
      expect(
        (
          await call("POST", "/v1/admin/projects/default/keys", {
            token: admin,
            body: { storeIds: ["no-such-store"] },
          })
        ).body.error.code,
      ).toBe("STORE_NOT_FOUND");
    });

    it("filters the audit log by store and action, and never shows plaintext or tokens", async () => {
      const byStore = await call("GET", "/v1/admin/projects/default/audit?store=recovery-codes", {
        token: admin,
      });
      expect(byStore.body.events.length).toBeGreaterThan(0);
      expect(
        byStore.body.events.every((e: { storeId: string }) => e.storeId === "recovery-codes"),
      ).toBe(true);
      const puts = await call("GET", "/v1/admin/projects/default/audit?action=entry.put&limit=2", {
        token: admin,
      });
      expect(puts.body.events).toHaveLength(2);
      expect(puts.body.events[0].id).toBeGreaterThan(puts.body.events[1].id);
      const older = await call(
        "GET",
        `/v1/admin/projects/default/audit?action=entry.put&before=${puts.body.events[1].id}`,
        { token: admin },
      );
      expect(older.body.events.every((e: { id: number }) => e.id < puts.body.events[1].id)).toBe(
        true,
      );
      const text = JSON.stringify(
        (await call("GET", "/v1/admin/projects/default/audit?limit=1000", { token: admin })).body,
      );
      expect(text).not.toContain(key);
      expect(text).not.toContain(admin);
      expect(text).not.toContain("ghp_");
    });

    it("counts reads and writes per store per day", async () => {
      const usage = await call("GET", "/v1/admin/projects/default/usage?days=7", { token: admin });
      expect(usage.status).toBe(200);
      const today = new Date().toISOString().slice(0, 10);
      const row = usage.body.usage.find(
        (u: { storeId: string; day: string }) => u.storeId === "oauth-tokens" && u.day === today,
      );
      expect(row.reads).toBeGreaterThan(0);
      expect(row.writes).toBeGreaterThan(0);
    });
  });

  describe("operations", () => {
    it("serves /healthz, Prometheus /metrics and the OpenAPI document", async () => {
      expect((await call("GET", "/healthz")).body).toEqual({ status: "ok", engine });
      const metrics = await fetch(`${vault.url}/metrics`);
      const text = await metrics.text();
      expect(metrics.headers.get("content-type")).toContain("text/plain");
      expect(text).toContain("coffer_http_requests_total");
      const openapi = await call("GET", "/openapi.json");
      expect(openapi.body.openapi).toMatch(/^3\./);
      expect(Object.keys(openapi.body.paths)).toEqual(
        expect.arrayContaining([
          "/v1/stores/{store}/entries/{blindedId}",
          "/v1/admin/projects/{project}/keys",
          "/healthz",
          "/metrics",
        ]),
      );
      // Every route documents the error shape for every status it can answer with.
      const put = openapi.body.paths["/v1/stores/{store}/entries/{blindedId}"].put;
      expect(Object.keys(put.responses)).toEqual(
        expect.arrayContaining(["200", "400", "401", "409", "413", "415", "429", "500", "503"]),
      );
    });

    it("logs structured JSON without tokens, keys, envelopes or whole blinded ids", async () => {
      const entry = await sealed("oauth-tokens", "gh:logged", "ghp_logged");
      await call("PUT", `/v1/stores/oauth-tokens/entries/${entry.blindedId}`, {
        token: key,
        body: { keyId: entry.keyId, envelope: entry.envelope },
      });
      await call("GET", `/v1/stores/oauth-tokens/entries/${entry.blindedId}`, {
        token: "coffer_key_aaaaaaaaaaaa_bad",
      });
      // Credentials put where they do not belong (refused, but the URL is still logged).
      const misplaced = await call(
        "GET",
        `/v1/stores/oauth-tokens/entries?apiKey=${key}&limit=5&password=hunter2`,
      );
      expect(misplaced.status).toBe(401);
      expect((await call("GET", `/v1/${admin}/stores`)).status).toBe(404);
      const logs = vault.logs();
      const lines = logs.trim().split("\n");
      expect(lines.length).toBeGreaterThan(5);
      for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
      for (const secret of [
        key,
        admin,
        entry.blindedId,
        entry.envelope,
        "coffer_key_aaaaaaaaaaaa_bad",
        key.slice(-43, -37),
        admin.slice(-43, -37),
        "hunter2",
      ])
        expect(logs).not.toContain(secret);
      expect(logs).toContain(entry.blindedId.slice(0, 6));
      // The public part of a credential stays, to tell which one was misused.
      expect(logs).toContain(`apiKey=…&limit=5&password=…`);
      expect(logs).toContain(`${admin.slice(0, "coffer_admin_".length + 12)}…`);
    });
  });
});

describe("a configured value limit (COFFER_MAX_VALUE_BYTES)", () => {
  let vault: TestServer;
  let key: string;
  beforeAll(async () => {
    vault = await startTestServer("sqlite", { maxValueBytes: 1024 });
    await vault.call("POST", "/v1/admin/projects/default/stores", {
      token: vault.adminToken,
      body: { id: "small" },
    });
    key = (
      await vault.call("POST", "/v1/admin/projects/default/keys", {
        token: vault.adminToken,
        body: {},
      })
    ).body.apiKey;
  });
  afterAll(async () => {
    await vault?.close();
  });

  const put = async (logicalKey: string, value: string) => {
    const entry = await sealed("small", logicalKey, value);
    return vault.call("PUT", `/v1/stores/small/entries/${entry.blindedId}`, {
      token: key,
      body: { keyId: entry.keyId, envelope: entry.envelope },
    });
  };

  it("accepts a value at the limit, even under a 256-byte key", async () => {
    expect((await put("k".repeat(256), "v".repeat(1024))).status).toBe(200);
    expect((await put("short", "v".repeat(1024))).status).toBe(200);
  });

  it("refuses twice the limit with 413 VALUE_TOO_LARGE on every write route", async () => {
    const single = await put("too-big", "v".repeat(2048));
    expect(single.status).toBe(413);
    expect(single.body.error).toMatchObject({
      code: "VALUE_TOO_LARGE",
      message: expect.stringContaining("COFFER_MAX_VALUE_BYTES"),
      details: { limit: expect.any(Number), size: expect.any(Number) },
    });
    const big = await sealed("small", "too-big", "v".repeat(2048));
    const batch = await vault.call("POST", "/v1/stores/small/entries/batch-put", {
      token: key,
      body: { entries: [big] },
    });
    expect(batch.status).toBe(413);
    expect(batch.body.error.code).toBe("VALUE_TOO_LARGE");
    const small = await sealed("small", "from", "v");
    await vault.call("PUT", `/v1/stores/small/entries/${small.blindedId}`, {
      token: key,
      body: { keyId: small.keyId, envelope: small.envelope },
    });
    const move = await vault.call("POST", "/v1/stores/small/entries/move", {
      token: key,
      body: { from: { blindedId: small.blindedId }, to: big },
    });
    expect(move.status).toBe(413);
    expect(move.body.error.code).toBe("VALUE_TOO_LARGE");
    // Far larger bodies stop at the route's body limit, before any parsing.
    const huge = await put("huge", "v".repeat(512 * 1024));
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe("PAYLOAD_TOO_LARGE");
  });
});
