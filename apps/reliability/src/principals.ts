// Every kind of caller the hostile-input and access suites need, made through the real admin API of
// a running vault: keys of each scope, a revoked key, another project's key. Tokens stay in memory.
import { call } from "./http.js";

export interface Principals {
  admin: string;
  /** Read-write, every store of the default project. */
  rw: string;
  readOnly: string;
  /** Limited to `stores[0]`. */
  scoped: string;
  revoked: string;
  /** A read-write key of another project (which has a store of the same name). */
  otherProject: string;
  stores: [string, string];
  /** Key ids (the public part), by name. */
  ids: Record<"rw" | "readOnly" | "scoped" | "revoked" | "otherProject", string>;
}

/** An admin call that must succeed; its JSON body. */
async function admin(url: string, token: string, method: string, path: string, body?: unknown) {
  const answer = await call(url, token, method, path, body);
  if (answer.status === 0 || answer.status >= 300) {
    throw new Error(`${method} ${path}: ${answer.status} ${answer.code}`);
  }
  return answer.body as Record<string, unknown>;
}

export async function createPrincipals(
  url: string,
  adminToken: string,
  stores: [string, string] = ["alpha", "beta"],
): Promise<Principals> {
  const adminCall = (method: string, path: string, body?: unknown) =>
    admin(url, adminToken, method, path, body);
  for (const id of stores) await adminCall("POST", "/v1/admin/projects/default/stores", { id });
  await adminCall("POST", "/v1/admin/projects", { id: "other" });
  await adminCall("POST", "/v1/admin/projects/other/stores", { id: stores[0] });
  const key = async (project: string, body: Record<string, unknown>) => {
    const created = (await adminCall("POST", `/v1/admin/projects/${project}/keys`, body)) as {
      apiKey: string;
      key: { id: string };
    };
    return { token: created.apiKey, id: created.key.id };
  };
  const rw = await key("default", { name: "rw" });
  const readOnly = await key("default", { name: "ro", readOnly: true });
  const scoped = await key("default", { name: "scoped", storeIds: [stores[0]] });
  const revoked = await key("default", { name: "revoked" });
  await adminCall("DELETE", `/v1/admin/projects/default/keys/${revoked.id}`);
  const otherProject = await key("other", { name: "other" });
  return {
    admin: adminToken,
    rw: rw.token,
    readOnly: readOnly.token,
    scoped: scoped.token,
    revoked: revoked.token,
    otherProject: otherProject.token,
    stores,
    ids: {
      rw: rw.id,
      readOnly: readOnly.id,
      scoped: scoped.id,
      revoked: revoked.id,
      otherProject: otherProject.id,
    },
  };
}

/** The routes the server declares in /openapi.json (the operational ones included). */
export async function declaredRoutes(
  url: string,
): Promise<Array<{ method: string; path: string }>> {
  const doc = (await (await fetch(`${url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })),
  );
}
