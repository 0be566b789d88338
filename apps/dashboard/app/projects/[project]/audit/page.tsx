import Link from "next/link";
import { Shell } from "../../../../components/shell";
import { orVaultDown } from "../../../../components/vault-down";
import { dateTime, ID_PATTERN, KEY_ID_PATTERN } from "../../../../lib/format";
import { loadProject } from "../../../../lib/project";

export const metadata = { title: "Audit log" };

const ACTIONS = [
  "project.create",
  "store.create",
  "store.rename",
  "store.delete",
  "key.create",
  "key.revoke",
  "entry.put",
  "entry.batch_put",
  "entry.delete",
  "entry.move",
  "auth.denied",
];
const LIMIT = 100;

type Query = { store?: string; action?: string; key?: string; before?: string };

async function AuditPageContent(props: {
  params: Promise<{ project: string }>;
  searchParams: Promise<Query>;
}) {
  const { project } = await props.params;
  const raw = await props.searchParams;
  // Only well-formed filters reach the vault; anything else is ignored.
  const q: Query = {
    ...(raw.store && ID_PATTERN.test(raw.store) ? { store: raw.store } : {}),
    ...(raw.action && /^[a-z_.]{1,64}$/.test(raw.action) ? { action: raw.action } : {}),
    ...(raw.key && KEY_ID_PATTERN.test(raw.key) ? { key: raw.key } : {}),
    ...(raw.before && /^[0-9]{1,15}$/.test(raw.before) ? { before: raw.before } : {}),
  };
  const { api, projects, current } = await loadProject(project);
  const [events, stores, keys] = await Promise.all([
    api.audit(project, { ...q, limit: String(LIMIT) }),
    api.listStores(project),
    api.listKeys(project),
  ]);
  const last = events.at(-1);
  const older = new URLSearchParams({
    ...(q.store ? { store: q.store } : {}),
    ...(q.action ? { action: q.action } : {}),
    ...(q.key ? { key: q.key } : {}),
    ...(last ? { before: String(last.id) } : {}),
  });
  return (
    <Shell projects={projects} project={project} active="audit">
      <h1>
        Audit log <span className="muted">of {current.name}</span>
      </h1>
      <p className="muted">
        Who did what, newest first. Events never hold values: the vault only ever sees them sealed.
      </p>
      <form method="get" className="card filters" aria-label="Filter events">
        <div className="field">
          <label htmlFor="filter-store">Store</label>
          <select id="filter-store" name="store" defaultValue={q.store ?? ""}>
            <option value="">All stores</option>
            {stores.map((s) => (
              <option key={s.id} value={s.id}>
                {s.id}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-action">Action</label>
          <select id="filter-action" name="action" defaultValue={q.action ?? ""}>
            <option value="">All actions</option>
            {[...new Set([...ACTIONS, ...(q.action ? [q.action] : [])])].map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-key">API key</label>
          <select id="filter-key" name="key" defaultValue={q.key ?? ""}>
            <option value="">All keys</option>
            {keys.map((k) => (
              <option key={k.id} value={k.id}>
                {k.name ? `${k.name} (${k.id})` : k.id}
              </option>
            ))}
          </select>
        </div>
        <div className="form-actions">
          <button type="submit">Filter</button>
          <Link href={`/projects/${project}/audit`} className="button secondary">
            Clear
          </Link>
        </div>
      </form>

      {events.length === 0 ? (
        <p className="empty">No events match.</p>
      ) : (
        <div className="table-wrap">
          <table id="audit">
            <caption className="visually-hidden">Audit events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Store</th>
                <th scope="col">Key</th>
                <th scope="col">Outcome</th>
                <th scope="col">Code</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id} data-action={e.action}>
                  <td data-label="Time">
                    <time dateTime={e.at}>{dateTime(e.at)}</time>
                  </td>
                  <td data-label="Actor">{e.actor}</td>
                  <td data-label="Action">
                    <code>{e.action}</code>
                  </td>
                  <td data-label="Store">{e.storeId ?? "—"}</td>
                  <td data-label="Key">{e.apiKeyId ? <code>{e.apiKeyId}</code> : "—"}</td>
                  <td data-label="Outcome">
                    <span className={`badge ${e.outcome === "ok" ? "active" : "revoked"}`}>
                      {e.outcome}
                    </span>
                  </td>
                  <td data-label="Code">{e.code ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {events.length === LIMIT && last && (
        <p>
          <Link href={`/projects/${project}/audit?${older}`}>Older events →</Link>
        </p>
      )}
    </Shell>
  );
}

export default async function AuditPage(props: {
  params: Promise<{ project: string }>;
  searchParams: Promise<Query>;
}) {
  return orVaultDown(() => AuditPageContent(props));
}
