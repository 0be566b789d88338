// The vault's admin API, called from the server only (server components and server actions).
// The vault refuses browser requests; Node's fetch sends `Sec-Fetch-Mode: cors`, which the vault
// accepts only with a server runtime's User-Agent, hence ours on every call.

export interface Project {
  id: string;
  name: string;
  createdAt: string;
}
export interface Store {
  projectId: string;
  id: string;
  name: string;
  createdAt: string;
  entryCount: number;
  bytes: number;
  lastWriteAt: string | null;
}
export interface ApiKey {
  id: string;
  prefix: string;
  name: string;
  projectId: string;
  storeIds: string[] | null;
  readOnly: boolean;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
export interface AuditEvent {
  id: number;
  at: string;
  projectId: string | null;
  actor: string;
  action: string;
  storeId: string | null;
  apiKeyId: string | null;
  outcome: string;
  code: string | null;
  details: Record<string, unknown>;
}
export interface UsageRow {
  storeId: string;
  day: string;
  reads: number;
  writes: number;
}

/** An error answered by the vault (`code` from its body), or NETWORK_ERROR when it did not answer. */
export class AdminApiError extends Error {
  override readonly name = "AdminApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const vaultUrl = (): string =>
  (process.env.COFFER_URL || "http://127.0.0.1:4747").replace(/\/+$/, "");

async function call<T>(token: string, method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${vaultUrl()}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        "user-agent": "coffer-dashboard",
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      cache: "no-store",
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    throw new AdminApiError(0, "NETWORK_ERROR", `The vault at ${vaultUrl()} did not answer.`);
  }
  const json = (await response.json().catch(() => null)) as {
    error?: { code?: string; message?: string; details?: unknown };
  } | null;
  if (!response.ok) {
    const error = json?.error;
    throw new AdminApiError(
      response.status,
      error?.code ?? "HTTP_ERROR",
      error?.message ?? `The vault answered HTTP ${response.status}.`,
      error?.details,
    );
  }
  return json as T;
}

const p = (segment: string) => encodeURIComponent(segment);
const projectPath = (project: string) => `/v1/admin/projects/${p(project)}`;

/** The admin API for one admin token. */
export function adminApi(token: string) {
  return {
    listProjects: async () =>
      (await call<{ projects: Project[] }>(token, "GET", "/v1/admin/projects")).projects,
    createProject: (id: string, name?: string) =>
      call<Project>(token, "POST", "/v1/admin/projects", name ? { id, name } : { id }),
    listStores: async (project: string) =>
      (await call<{ stores: Store[] }>(token, "GET", `${projectPath(project)}/stores`)).stores,
    createStore: (project: string, id: string, name?: string) =>
      call<Store>(token, "POST", `${projectPath(project)}/stores`, name ? { id, name } : { id }),
    renameStore: (project: string, store: string, name: string) =>
      call<{ ok: boolean }>(token, "PATCH", `${projectPath(project)}/stores/${p(store)}`, { name }),
    deleteStore: (project: string, store: string) =>
      call<{ deleted: boolean }>(token, "DELETE", `${projectPath(project)}/stores/${p(store)}`),
    listKeys: async (project: string) =>
      (await call<{ keys: ApiKey[] }>(token, "GET", `${projectPath(project)}/keys`)).keys,
    createKey: (
      project: string,
      options: { name?: string; storeIds?: string[]; readOnly?: boolean },
    ) =>
      call<{ apiKey: string; key: ApiKey }>(token, "POST", `${projectPath(project)}/keys`, options),
    revokeKey: (project: string, keyId: string) =>
      call<{ revoked: boolean }>(token, "DELETE", `${projectPath(project)}/keys/${p(keyId)}`),
    audit: async (project: string, query: Record<string, string | undefined>) => {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(query)) if (value) params.set(name, value);
      const path = `${projectPath(project)}/audit?${params}`;
      return (await call<{ events: AuditEvent[] }>(token, "GET", path)).events;
    },
    usage: async (project: string, days: number, store?: string) => {
      const params = new URLSearchParams({ days: String(days), ...(store ? { store } : {}) });
      const path = `${projectPath(project)}/usage?${params}`;
      return (await call<{ usage: UsageRow[] }>(token, "GET", path)).usage;
    },
  };
}

export type AdminApi = ReturnType<typeof adminApi>;
