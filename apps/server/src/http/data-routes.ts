// The data API, for applications (API key). Paths under /v1/stores/:store.
import { CofferError } from "@coffer/core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { Type } from "typebox";
import type { ServerConfig } from "../config.js";
import type { Principal, Vault } from "../vault.js";
import { entryJson, iso, isoOrNull } from "./json.js";
import {
  BlindedId,
  EntryBody,
  EntryParams,
  Envelope,
  errorResponses,
  KeyId,
  KeyIdCounts,
  MAX_BATCH,
  refuseUnknownQuery,
  StoreParams,
  StoreStatsBody,
  strict,
  Timestamp,
  Version,
} from "./schemas.js";

/**
 * Decodes an envelope sent as base64url. Canonical encodings only: Node's decoder silently drops a
 * dangling character or stray bits ("a" decodes to nothing, "abcde" to three bytes), which would
 * store something other than what the client sent, so those are INVALID_REQUEST.
 */
function fromBase64Url(text: string, path: string): Uint8Array {
  const bytes = Buffer.from(text, "base64url");
  if (bytes.length === 0 || bytes.toString("base64url") !== text) {
    throw new CofferError(
      "INVALID_REQUEST",
      `Invalid request body: ${path} is not canonical base64url (unpadded, no stray characters or bits).`,
      { details: { issues: [{ path: `body${path}`, message: "must be canonical base64url" }] } },
    );
  }
  return new Uint8Array(bytes);
}

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal & { kind: "key" };
  }
}

function principal(request: FastifyRequest): Principal & { kind: "key" } {
  // Set by the onRequest hook below for every route of this plugin.
  return request.principal as Principal & { kind: "key" };
}

export async function dataRoutes(
  app: FastifyInstance,
  options: { vault: Vault; config: ServerConfig; maxEnvelopeBytes: number },
) {
  const { vault, config } = options;
  // Room for twice the largest envelope (base64), so that an oversize value is answered with
  // VALUE_TOO_LARGE and its limit; only far larger bodies stop at PAYLOAD_TOO_LARGE.
  const singleBodyLimit = 2 * Math.ceil((options.maxEnvelopeBytes * 4) / 3) + 64 * 1024;
  const batchBodyLimit = Math.max(singleBodyLimit, 16 * 1024 * 1024);
  const EntryWrite = strict({
    blindedId: BlindedId,
    keyId: KeyId,
    envelope: Envelope,
    ifVersion: Type.Optional(Version),
  });
  const tags = ["data"];
  const security = [{ apiKey: [] }];

  app.addHook("onRoute", refuseUnknownQuery);
  app.addHook("onRequest", async (request) => {
    const caller = await vault.authenticateApiKey(request.headers.authorization);
    request.principal = caller;
    await vault.checkRateLimit(caller.apiKey, config.rateLimitPerMinute);
  });

  app.get(
    "/v1/stores/:store",
    {
      schema: {
        tags,
        security,
        summary: "Store info: entry count, bytes, and which key ids (secrets) its entries use",
        params: StoreParams,
        response: {
          200: strict({
            id: Type.String(),
            name: Type.String(),
            createdAt: Timestamp,
            ...StoreStatsBody,
            keyIds: KeyIdCounts,
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { store } = request.params as { store: string };
      const info = await vault.storeInfo(principal(request), store);
      return { ...info, createdAt: iso(info.createdAt), lastWriteAt: isoOrNull(info.lastWriteAt) };
    },
  );

  app.get(
    "/v1/stores/:store/entries/:blindedId",
    {
      schema: {
        tags,
        security,
        summary:
          "Read one entry. A miss is 404 ENTRY_NOT_FOUND with details.keyIds: the key ids the store holds",
        params: EntryParams,
        response: { 200: EntryBody, ...errorResponses },
      },
    },
    async (request) => {
      const { store, blindedId } = request.params as { store: string; blindedId: string };
      return entryJson(await vault.getEntry(principal(request), store, blindedId));
    },
  );

  app.put(
    "/v1/stores/:store/entries/:blindedId",
    {
      bodyLimit: singleBodyLimit,
      schema: {
        tags,
        security,
        summary:
          "Create or overwrite one entry; ifVersion makes it a compare-and-set (0: only if absent)",
        params: EntryParams,
        body: strict({ keyId: KeyId, envelope: Envelope, ifVersion: Type.Optional(Version) }),
        response: {
          200: strict({ blindedId: Type.String(), version: Version }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { store, blindedId } = request.params as { store: string; blindedId: string };
      const body = request.body as { keyId: string; envelope: string; ifVersion?: number };
      const version = await vault.putEntry(principal(request), store, {
        blindedId,
        keyId: body.keyId,
        envelope: fromBase64Url(body.envelope, "/envelope"),
        ifVersion: body.ifVersion,
      });
      return { blindedId, version };
    },
  );

  app.delete(
    "/v1/stores/:store/entries/:blindedId",
    {
      schema: {
        tags,
        security,
        summary: "Delete one entry; deleted is false if there was none",
        params: EntryParams,
        querystring: strict({
          ifVersion: Type.Optional(Type.String({ pattern: "^[0-9]{1,10}$" })),
        }),
        response: { 200: strict({ deleted: Type.Boolean() }), ...errorResponses },
      },
    },
    async (request) => {
      const { store, blindedId } = request.params as { store: string; blindedId: string };
      const { ifVersion } = request.query as { ifVersion?: string };
      const deleted = await vault.deleteEntry(
        principal(request),
        store,
        blindedId,
        ifVersion === undefined ? undefined : Number(ifVersion),
      );
      return { deleted };
    },
  );

  app.post(
    "/v1/stores/:store/entries/batch-get",
    {
      schema: {
        tags,
        security,
        summary: `Read up to ${MAX_BATCH} entries in one request`,
        params: StoreParams,
        body: strict({ blindedIds: Type.Array(BlindedId, { minItems: 1, maxItems: MAX_BATCH }) }),
        response: {
          200: strict({
            entries: Type.Array(EntryBody),
            missing: Type.Array(Type.String()),
            keyIds: Type.Optional(Type.Array(Type.String())),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { store } = request.params as { store: string };
      const { blindedIds } = request.body as { blindedIds: string[] };
      const result = await vault.getEntries(principal(request), store, blindedIds);
      return {
        entries: result.entries.map(entryJson),
        missing: result.missing,
        ...(result.keyIds ? { keyIds: result.keyIds } : {}),
      };
    },
  );

  app.post(
    "/v1/stores/:store/entries/batch-put",
    {
      bodyLimit: batchBodyLimit,
      schema: {
        tags,
        security,
        summary: `Write up to ${MAX_BATCH} entries atomically: one VERSION_CONFLICT writes none`,
        params: StoreParams,
        body: strict({ entries: Type.Array(EntryWrite, { minItems: 1, maxItems: MAX_BATCH }) }),
        response: {
          200: strict({
            versions: Type.Array(strict({ blindedId: Type.String(), version: Version })),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { store } = request.params as { store: string };
      const { entries } = request.body as {
        entries: Array<{ blindedId: string; keyId: string; envelope: string; ifVersion?: number }>;
      };
      const versions = await vault.putEntries(
        principal(request),
        store,
        entries.map((e, i) => ({
          blindedId: e.blindedId,
          keyId: e.keyId,
          envelope: fromBase64Url(e.envelope, `/entries/${i}/envelope`),
          ifVersion: e.ifVersion,
        })),
      );
      return {
        versions: entries.map((e, i) => ({
          blindedId: e.blindedId,
          version: versions[i] as number,
        })),
      };
    },
  );

  app.post(
    "/v1/stores/:store/entries/move",
    {
      bodyLimit: singleBodyLimit,
      schema: {
        tags,
        security,
        summary:
          "Atomically write a new entry and delete an old one (re-keying under a new secret)",
        params: StoreParams,
        body: strict({
          from: strict({ blindedId: BlindedId, ifVersion: Type.Optional(Version) }),
          to: EntryWrite,
        }),
        response: {
          200: strict({ blindedId: Type.String(), version: Version }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { store } = request.params as { store: string };
      const { from, to } = request.body as {
        from: { blindedId: string; ifVersion?: number };
        to: { blindedId: string; keyId: string; envelope: string; ifVersion?: number };
      };
      const version = await vault.moveEntry(principal(request), store, from, {
        blindedId: to.blindedId,
        keyId: to.keyId,
        envelope: fromBase64Url(to.envelope, "/to/envelope"),
        ifVersion: to.ifVersion,
      });
      return { blindedId: to.blindedId, version };
    },
  );

  app.get(
    "/v1/stores/:store/entries",
    {
      schema: {
        tags,
        security,
        summary:
          "List sealed entries in blinded-id order, a page at a time (for export and re-keying)",
        params: StoreParams,
        querystring: strict({
          cursor: Type.Optional(BlindedId),
          limit: Type.Optional(
            Type.String({ pattern: "^(100|[1-9][0-9]?)$", description: "1 to 100, default 100" }),
          ),
        }),
        response: {
          200: strict({
            entries: Type.Array(EntryBody),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { store } = request.params as { store: string };
      const { cursor, limit } = request.query as { cursor?: string; limit?: string };
      const page = await vault.listEntries(
        principal(request),
        store,
        cursor ?? null,
        limit ? Number(limit) : MAX_BATCH,
      );
      return { entries: page.entries.map(entryJson), nextCursor: page.nextCursor };
    },
  );
}
