import { KeyForm } from "../../../../components/key-form";
import { Shell } from "../../../../components/shell";
import { orVaultDown } from "../../../../components/vault-down";
import type { ApiKey } from "../../../../lib/admin-api";
import { dateTime, KEY_ID_PATTERN } from "../../../../lib/format";
import { loadProject } from "../../../../lib/project";
import { createKey, revokeKey } from "../../../actions";

export const metadata = { title: "API keys" };

const scope = (key: ApiKey) => (key.storeIds === null ? "All stores" : key.storeIds.join(", "));

async function KeysPageContent(props: {
  params: Promise<{ project: string }>;
  searchParams: Promise<{ revoked?: string; error?: string }>;
}) {
  const { project } = await props.params;
  const query = await props.searchParams;
  // Echoed only if they are a key id and an error code: a crafted link cannot put other words on
  // the page.
  const revoked =
    typeof query.revoked === "string" && KEY_ID_PATTERN.test(query.revoked) ? query.revoked : null;
  const error =
    typeof query.error === "string" && /^[A-Z][A-Z0-9_]{0,63}$/.test(query.error)
      ? query.error
      : null;
  const { api, projects, current } = await loadProject(project);
  const [keys, stores] = await Promise.all([api.listKeys(project), api.listStores(project)]);
  return (
    <Shell projects={projects} project={project} active="keys">
      <h1>
        API keys <span className="muted">of {current.name}</span>
      </h1>
      {revoked && (
        <p role="status" className="notice">
          Key <code>{revoked}</code> revoked: the vault refuses it from the very next request.
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          The key was not revoked ({error}).
        </p>
      )}

      <h2>New key</h2>
      <KeyForm action={createKey.bind(null, project)}>
        <div className="field">
          <label htmlFor="key-name">Name</label>
          <input
            id="key-name"
            name="name"
            maxLength={200}
            autoComplete="off"
            placeholder="web app (production)"
          />
        </div>
        <fieldset>
          <legend>Scope</legend>
          <label className="choice">
            <input type="radio" name="scope" value="all" defaultChecked /> All stores of the project
          </label>
          <label className="choice">
            <input type="radio" name="scope" value="selected" /> Only the selected stores:
          </label>
          {stores.length === 0 ? (
            <p className="hint">This project has no stores yet.</p>
          ) : (
            <div className="store-choices">
              {stores.map((s) => (
                <label key={s.id} className="choice">
                  <input type="checkbox" name="storeIds" value={s.id} /> <code>{s.id}</code>
                </label>
              ))}
            </div>
          )}
        </fieldset>
        <fieldset>
          <legend>Access</legend>
          <label className="choice">
            <input type="radio" name="access" value="read-write" defaultChecked /> Read and write
          </label>
          <label className="choice">
            <input type="radio" name="access" value="read-only" /> Read only
          </label>
        </fieldset>
      </KeyForm>

      <h2>Keys</h2>
      {keys.length === 0 ? (
        <p className="empty">No API keys yet.</p>
      ) : (
        <div className="table-wrap">
          <table id="keys">
            <caption className="visually-hidden">API keys of {current.name}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Scope</th>
                <th scope="col">Access</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <tr key={key.id} data-key={key.id}>
                  <td data-label="Name">{key.name || <span className="muted">unnamed</span>}</td>
                  <td data-label="Prefix">
                    <code>{key.prefix}…</code>
                  </td>
                  <td data-label="Scope">{scope(key)}</td>
                  <td data-label="Access">{key.readOnly ? "read-only" : "read-write"}</td>
                  <td data-label="Created">{dateTime(key.createdAt)}</td>
                  <td data-label="Last used">{dateTime(key.lastUsedAt)}</td>
                  <td data-label="Status">
                    {key.revokedAt ? (
                      <span className="badge revoked">revoked {dateTime(key.revokedAt)}</span>
                    ) : (
                      <span className="badge active">active</span>
                    )}
                  </td>
                  <td>
                    {!key.revokedAt && (
                      <details className="confirm">
                        <summary aria-label={`Revoke key ${key.name || key.prefix}`}>
                          Revoke…
                        </summary>
                        <form action={revokeKey.bind(null, project, key.id)} className="stack">
                          <p>
                            Apps using <code>{key.prefix}…</code> fail from their next request.
                          </p>
                          <button type="submit" className="danger">
                            Revoke {key.name || key.prefix}
                          </button>
                        </form>
                      </details>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Shell>
  );
}

export default async function KeysPage(props: {
  params: Promise<{ project: string }>;
  searchParams: Promise<{ revoked?: string; error?: string }>;
}) {
  return orVaultDown(() => KeysPageContent(props));
}
