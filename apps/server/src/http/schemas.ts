// Request and response schemas (TypeBox → JSON Schema): they validate every request, shape every
// response, and are the source of /openapi.json. Unknown fields are refused, never dropped.
import { type TSchema, Type } from "typebox";
import {
  BLINDED_ID_PATTERN,
  KEY_ID_PATTERN,
  PROJECT_ID_PATTERN,
  STORE_ID_PATTERN,
} from "../ids.js";

export const MAX_BATCH = 100;
const BASE64URL = "^[A-Za-z0-9_-]*$";

export const StoreId = Type.String({ pattern: STORE_ID_PATTERN, description: "Store id" });
export const ProjectId = Type.String({ pattern: PROJECT_ID_PATTERN, description: "Project id" });
export const BlindedId = Type.String({
  pattern: BLINDED_ID_PATTERN,
  description: "Blinded id (43 base64url characters)",
});
export const KeyId = Type.String({
  pattern: KEY_ID_PATTERN,
  description: "Id of the application secret that sealed the envelope",
});
export const Version = Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 });
export const Timestamp = Type.String({ format: "date-time" });

// No maxLength here: an envelope over the limit is VALUE_TOO_LARGE (413) from the vault, with
// the limit in its details, rather than a schema error; the route's body limit bounds memory.
export const Envelope = Type.String({
  pattern: BASE64URL,
  minLength: 1,
  description: "Sealed envelope, base64url",
});

export const strict = <T extends Record<string, TSchema>>(properties: T) =>
  Type.Object(properties, { additionalProperties: false });

/** The query of a route that takes none: a parameter it does not define is refused, not ignored. */
export const NoQuery = strict({});

/**
 * An onRoute hook: every route of the plugin that declares no query schema gets {@link NoQuery}.
 */
export function refuseUnknownQuery(route: { schema?: { querystring?: unknown } }): void {
  route.schema = { ...route.schema, querystring: route.schema?.querystring ?? NoQuery };
}

export const ErrorBody = strict({
  error: strict({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
});

export const EntryBody = strict({
  blindedId: BlindedId,
  keyId: KeyId,
  envelope: Type.String(),
  version: Version,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const StoreParams = strict({ store: StoreId });
export const EntryParams = strict({ store: StoreId, blindedId: BlindedId });
export const ProjectParams = strict({ project: ProjectId });
export const ProjectStoreParams = strict({ project: ProjectId, store: StoreId });

export const StoreStatsBody = {
  entryCount: Type.Integer(),
  bytes: Type.Integer(),
  lastWriteAt: Type.Union([Timestamp, Type.Null()]),
};

export const KeyIdCounts = Type.Array(strict({ keyId: Type.String(), count: Type.Integer() }));

export const ApiKeyBody = strict({
  id: Type.String(),
  prefix: Type.String({ description: "The visible part of the key" }),
  name: Type.String(),
  projectId: Type.String(),
  storeIds: Type.Union([Type.Array(Type.String()), Type.Null()]),
  readOnly: Type.Boolean(),
  createdAt: Timestamp,
  lastUsedAt: Type.Union([Timestamp, Type.Null()]),
  revokedAt: Type.Union([Timestamp, Type.Null()]),
});

/** Every error any route can answer, each in the one error shape (408, 414 and 431 come from the socket). */
export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  408: ErrorBody,
  409: ErrorBody,
  413: ErrorBody,
  414: ErrorBody,
  415: ErrorBody,
  429: ErrorBody,
  431: ErrorBody,
  500: ErrorBody,
  503: ErrorBody,
};

export const HealthBody = strict({
  status: Type.Union([Type.Literal("ok"), Type.Literal("unavailable")]),
  engine: Type.Union([Type.Literal("sqlite"), Type.Literal("postgres")]),
});
