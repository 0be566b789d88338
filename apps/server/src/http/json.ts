// The public JSON shapes of records, shared by the HTTP routes and the CLI's --json output.
import { tokenPrefix } from "../auth/tokens.js";
import type { ApiKeyRecord, AuditEvent, StoreStats } from "../storage/types.js";
import type { Entry } from "../vault.js";

export const iso = (ms: number) => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function entryJson(entry: Entry) {
  const { envelope } = entry;
  return {
    blindedId: entry.blindedId,
    keyId: entry.keyId,
    envelope: Buffer.from(envelope.buffer, envelope.byteOffset, envelope.length).toString(
      "base64url",
    ),
    version: entry.version,
    createdAt: iso(entry.createdAt),
    updatedAt: iso(entry.updatedAt),
  };
}

export function storeJson(
  s: { projectId: string; id: string; name: string; createdAt: number } & StoreStats,
) {
  return {
    projectId: s.projectId,
    id: s.id,
    name: s.name,
    createdAt: iso(s.createdAt),
    entryCount: s.entryCount,
    bytes: s.bytes,
    lastWriteAt: isoOrNull(s.lastWriteAt),
  };
}

export function apiKeyJson(key: ApiKeyRecord) {
  return {
    id: key.id,
    prefix: tokenPrefix("key", key.id),
    name: key.name,
    projectId: key.projectId,
    storeIds: key.storeIds,
    readOnly: key.readOnly,
    createdAt: iso(key.createdAt),
    lastUsedAt: isoOrNull(key.lastUsedAt),
    revokedAt: isoOrNull(key.revokedAt),
  };
}

export const auditJson = (e: AuditEvent) => ({ ...e, id: e.id ?? 0, at: iso(e.at) });
