// The admin API, for operators and the dashboard (admin token). Paths under /v1/admin.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { Type } from "typebox";
import type { Principal, Vault } from "../vault.js";
import { apiKeyJson, auditJson, iso, storeJson } from "./json.js";
import {
  ApiKeyBody,
  errorResponses,
  ProjectId,
  ProjectParams,
  ProjectStoreParams,
  refuseUnknownQuery,
  StoreId,
  StoreStatsBody,
  strict,
  Timestamp,
} from "./schemas.js";

const Name = Type.String({ minLength: 1, maxLength: 200 });

const AuditBody = strict({
  id: Type.Integer(),
  at: Timestamp,
  projectId: Type.Union([Type.String(), Type.Null()]),
  actor: Type.String(),
  action: Type.String(),
  storeId: Type.Union([Type.String(), Type.Null()]),
  apiKeyId: Type.Union([Type.String(), Type.Null()]),
  outcome: Type.String(),
  code: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
});

const StoreBody = strict({
  projectId: Type.String(),
  id: Type.String(),
  name: Type.String(),
  createdAt: Timestamp,
  ...StoreStatsBody,
});
declare module "fastify" {
  interface FastifyRequest {
    admin?: Principal & { kind: "admin" };
  }
}

const admin = (request: FastifyRequest) => request.admin as Principal & { kind: "admin" };

export async function adminRoutes(app: FastifyInstance, options: { vault: Vault }) {
  const { vault } = options;
  const tags = ["admin"];
  const security = [{ adminToken: [] }];

  app.addHook("onRoute", refuseUnknownQuery);
  app.addHook("onRequest", async (request) => {
    request.admin = await vault.authenticateAdmin(request.headers.authorization);
  });

  app.get(
    "/v1/admin/projects",
    {
      schema: {
        tags,
        security,
        summary: "List projects",
        response: {
          200: strict({
            projects: Type.Array(
              strict({ id: Type.String(), name: Type.String(), createdAt: Timestamp }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async () => ({
      projects: (await vault.listProjects()).map((p) => ({ ...p, createdAt: iso(p.createdAt) })),
    }),
  );

  app.post(
    "/v1/admin/projects",
    {
      schema: {
        tags,
        security,
        summary: "Create a project (a tenant: its keys never see another project's stores)",
        body: strict({ id: ProjectId, name: Type.Optional(Name) }),
        response: {
          201: strict({ id: Type.String(), name: Type.String(), createdAt: Timestamp }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { id, name } = request.body as { id: string; name?: string };
      const project = await vault.createProject(admin(request), id, name ?? id);
      return reply.code(201).send({ ...project, createdAt: iso(project.createdAt) });
    },
  );

  app.get(
    "/v1/admin/projects/:project/stores",
    {
      schema: {
        tags,
        security,
        summary: "List stores with entry count, bytes and last write",
        params: ProjectParams,
        response: { 200: strict({ stores: Type.Array(StoreBody) }), ...errorResponses },
      },
    },
    async (request) => {
      const { project } = request.params as { project: string };
      return { stores: (await vault.listStores(project)).map(storeJson) };
    },
  );

  app.post(
    "/v1/admin/projects/:project/stores",
    {
      schema: {
        tags,
        security,
        summary: "Create a store",
        params: ProjectParams,
        body: strict({ id: StoreId, name: Type.Optional(Name) }),
        response: { 201: StoreBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { project } = request.params as { project: string };
      const { id, name } = request.body as { id: string; name?: string };
      return reply
        .code(201)
        .send(storeJson(await vault.createStore(admin(request), project, id, name)));
    },
  );

  app.patch(
    "/v1/admin/projects/:project/stores/:store",
    {
      schema: {
        tags,
        security,
        summary: "Rename a store",
        params: ProjectStoreParams,
        body: strict({ name: Name }),
        response: { 200: strict({ ok: Type.Boolean() }), ...errorResponses },
      },
    },
    async (request) => {
      const { project, store } = request.params as { project: string; store: string };
      await vault.renameStore(
        admin(request),
        project,
        store,
        (request.body as { name: string }).name,
      );
      return { ok: true };
    },
  );

  app.delete(
    "/v1/admin/projects/:project/stores/:store",
    {
      schema: {
        tags,
        security,
        summary: "Delete a store, its entries and its data key (irreversible)",
        params: ProjectStoreParams,
        response: { 200: strict({ deleted: Type.Boolean() }), ...errorResponses },
      },
    },
    async (request) => {
      const { project, store } = request.params as { project: string; store: string };
      await vault.deleteStore(admin(request), project, store);
      return { deleted: true };
    },
  );

  app.get(
    "/v1/admin/projects/:project/keys",
    {
      schema: {
        tags,
        security,
        summary: "List API keys (never the keys themselves)",
        params: ProjectParams,
        response: { 200: strict({ keys: Type.Array(ApiKeyBody) }), ...errorResponses },
      },
    },
    async (request) => {
      const { project } = request.params as { project: string };
      return { keys: (await vault.listApiKeys(project)).map(apiKeyJson) };
    },
  );

  app.post(
    "/v1/admin/projects/:project/keys",
    {
      schema: {
        tags,
        security,
        summary: "Create an API key; the key is in this response only",
        params: ProjectParams,
        body: strict({
          name: Type.Optional(Name),
          storeIds: Type.Optional(Type.Array(StoreId, { maxItems: 100 })),
          readOnly: Type.Optional(Type.Boolean()),
        }),
        response: { 201: strict({ apiKey: Type.String(), key: ApiKeyBody }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { project } = request.params as { project: string };
      const body = request.body as { name?: string; storeIds?: string[]; readOnly?: boolean };
      const created = await vault.createApiKey(admin(request), project, body);
      return reply.code(201).send({ apiKey: created.apiKey, key: apiKeyJson(created.record) });
    },
  );

  app.delete(
    "/v1/admin/projects/:project/keys/:keyId",
    {
      schema: {
        tags,
        security,
        summary: "Revoke an API key: it fails from the very next request",
        params: strict({ project: ProjectId, keyId: Type.String({ pattern: "^[a-z0-9]{12}$" }) }),
        response: { 200: strict({ revoked: Type.Boolean() }), ...errorResponses },
      },
    },
    async (request) => {
      const { project, keyId } = request.params as { project: string; keyId: string };
      await vault.revokeApiKey(admin(request), project, keyId);
      return { revoked: true };
    },
  );

  app.get(
    "/v1/admin/projects/:project/audit",
    {
      schema: {
        tags,
        security,
        summary: "Audit events, newest first; page with before=<id of the last event seen>",
        params: ProjectParams,
        querystring: strict({
          store: Type.Optional(StoreId),
          action: Type.Optional(Type.String({ pattern: "^[a-z_.]{1,64}$" })),
          key: Type.Optional(Type.String({ pattern: "^[a-z0-9]{12}$" })),
          since: Type.Optional(Timestamp),
          until: Type.Optional(Timestamp),
          before: Type.Optional(Type.String({ pattern: "^[0-9]{1,15}$" })),
          limit: Type.Optional(Type.String({ pattern: "^([1-9][0-9]{0,2}|1000)$" })),
        }),
        response: { 200: strict({ events: Type.Array(AuditBody) }), ...errorResponses },
      },
    },
    async (request) => {
      const { project } = request.params as { project: string };
      const q = request.query as Record<string, string | undefined>;
      const events = await vault.listAudit({
        projectId: project,
        storeId: q.store,
        action: q.action,
        apiKeyId: q.key,
        since: q.since ? Date.parse(q.since) : undefined,
        until: q.until ? Date.parse(q.until) : undefined,
        before: q.before ? Number(q.before) : undefined,
        limit: q.limit ? Number(q.limit) : 100,
      });
      return { events: events.map(auditJson) };
    },
  );

  app.get(
    "/v1/admin/projects/:project/usage",
    {
      schema: {
        tags,
        security,
        summary: "Reads and writes per store per UTC day",
        params: ProjectParams,
        querystring: strict({
          days: Type.Optional(Type.String({ pattern: "^([1-9]|[1-9][0-9]|[1-3][0-9]{2})$" })),
          store: Type.Optional(StoreId),
        }),
        response: {
          200: strict({
            usage: Type.Array(
              strict({
                storeId: Type.String(),
                day: Type.String(),
                reads: Type.Integer(),
                writes: Type.Integer(),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { project } = request.params as { project: string };
      const { days, store } = request.query as { days?: string; store?: string };
      const rows = await vault.usage(project, days ? Number(days) : 30, store);
      return {
        usage: rows.map(({ storeId, day, reads, writes }) => ({ storeId, day, reads, writes })),
      };
    },
  );
}
