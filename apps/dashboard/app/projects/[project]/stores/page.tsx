import Link from "next/link";
import { ActionForm } from "../../../../components/action-form";
import { Shell } from "../../../../components/shell";
import { orVaultDown } from "../../../../components/vault-down";
import { dateTime, humanBytes, ID_PATTERN } from "../../../../lib/format";
import { loadProject } from "../../../../lib/project";
import { createStore } from "../../../actions";

export const metadata = { title: "Stores" };

async function StoresPageContent(props: {
  params: Promise<{ project: string }>;
  searchParams: Promise<{ deleted?: string }>;
}) {
  const { project } = await props.params;
  const { deleted: raw } = await props.searchParams;
  // Echoed only if it is a store id: a crafted link cannot put other words on the page.
  const deleted = typeof raw === "string" && ID_PATTERN.test(raw) ? raw : undefined;
  const { api, projects, current } = await loadProject(project);
  const stores = await api.listStores(project);
  return (
    <Shell projects={projects} project={project} active="stores">
      <h1>
        Stores <span className="muted">in {current.name}</span>
      </h1>
      {deleted && (
        <p role="status" className="notice">
          Store <code>{deleted}</code> deleted, with its entries and its data key.
        </p>
      )}
      {stores.length === 0 ? (
        <p className="empty">No stores yet. Create the first one below.</p>
      ) : (
        <div className="table-wrap">
          <table id="stores">
            <caption className="visually-hidden">Stores of {current.name}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Id</th>
                <th scope="col" className="num">
                  Entries
                </th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col">Last write</th>
              </tr>
            </thead>
            <tbody>
              {stores.map((s) => (
                <tr key={s.id} data-store={s.id}>
                  <td data-label="Name">
                    <Link href={`/projects/${project}/stores/${s.id}`}>{s.name}</Link>
                  </td>
                  <td data-label="Id">
                    <code>{s.id}</code>
                  </td>
                  <td data-label="Entries" className="num" data-col="entries">
                    {s.entryCount.toLocaleString("en-US")}
                  </td>
                  <td data-label="Size" className="num">
                    {humanBytes(s.bytes)}
                  </td>
                  <td data-label="Last write">{dateTime(s.lastWriteAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>New store</h2>
      <ActionForm
        action={createStore.bind(null, project)}
        submitLabel="Create store"
        pendingLabel="Creating…"
        className="card stack"
      >
        <div className="fields">
          <div className="field">
            <label htmlFor="store-id">Store id</label>
            <input
              id="store-id"
              name="id"
              required
              maxLength={64}
              autoComplete="off"
              spellCheck={false}
              placeholder="oauth-tokens"
              aria-describedby="store-id-hint"
            />
            <p id="store-id-hint" className="hint">
              Lowercase letters, digits, - and _ (up to 64). Your code uses it; it cannot change.
            </p>
          </div>
          <div className="field">
            <label htmlFor="store-name">Display name (optional)</label>
            <input
              id="store-name"
              name="name"
              maxLength={200}
              autoComplete="off"
              placeholder="OAuth tokens"
            />
          </div>
        </div>
      </ActionForm>
    </Shell>
  );
}

export default async function StoresPage(props: {
  params: Promise<{ project: string }>;
  searchParams: Promise<{ deleted?: string }>;
}) {
  return orVaultDown(() => StoresPageContent(props));
}
