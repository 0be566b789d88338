import Link from "next/link";
import { notFound } from "next/navigation";
import { ActionForm } from "../../../../../components/action-form";
import { ConfirmDelete } from "../../../../../components/confirm-delete";
import { Shell } from "../../../../../components/shell";
import { Snippets } from "../../../../../components/snippets";
import { UsageChart } from "../../../../../components/usage-chart";
import { orVaultDown } from "../../../../../components/vault-down";
import { dateTime, humanBytes, ID_PATTERN, lastDays } from "../../../../../lib/format";
import { loadProject } from "../../../../../lib/project";
import { deleteStore, renameStore } from "../../../../actions";

const DAYS = 14;

export async function generateMetadata(props: { params: Promise<{ store: string }> }) {
  const { store } = await props.params;
  // Named only if it is a store id: a crafted link cannot put other words in the title.
  return { title: ID_PATTERN.test(store) ? `Store ${store}` : "Store" };
}

async function StorePageContent(props: { params: Promise<{ project: string; store: string }> }) {
  const { project, store: storeId } = await props.params;
  if (!ID_PATTERN.test(storeId)) notFound();
  const { api, projects } = await loadProject(project);
  const [stores, usage] = await Promise.all([
    api.listStores(project),
    // The page stays useful without its chart, but says so rather than drawing zeros.
    api.usage(project, DAYS, storeId).catch(() => null),
  ]);
  const store = stores.find((s) => s.id === storeId);
  if (!store) notFound();
  return (
    <Shell projects={projects} project={project} active="stores">
      <p className="crumbs">
        <Link href={`/projects/${project}/stores`}>Stores</Link> / <code>{store.id}</code>
      </p>
      <h1>{store.name}</h1>
      <dl className="stats">
        <div>
          <dt>Id</dt>
          <dd>
            <code>{store.id}</code>
          </dd>
        </div>
        <div>
          <dt>Entries</dt>
          <dd id="entry-count">{store.entryCount.toLocaleString("en-US")}</dd>
        </div>
        <div>
          <dt>Size</dt>
          <dd>{humanBytes(store.bytes)}</dd>
        </div>
        <div>
          <dt>Last write</dt>
          <dd>{dateTime(store.lastWriteAt)}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{dateTime(store.createdAt)}</dd>
        </div>
      </dl>

      <h2>Usage</h2>
      {usage ? (
        <UsageChart days={lastDays(DAYS)} usage={usage} />
      ) : (
        <p role="alert" className="error">
          The vault did not answer the usage query: reload the page to try again.
        </p>
      )}

      <h2>Use it from your app</h2>
      <Snippets store={store.id} />

      <h2>Settings</h2>
      <ActionForm
        action={renameStore.bind(null, project, store.id)}
        submitLabel="Rename"
        pendingLabel="Renaming…"
        className="card stack"
      >
        <label htmlFor="store-rename">Display name</label>
        <input id="store-rename" name="name" defaultValue={store.name} maxLength={200} required />
        <p className="hint">Only the display name changes; the id your code uses stays.</p>
      </ActionForm>

      <section className="card danger-zone stack" aria-labelledby="delete-title">
        <h2 id="delete-title">Delete this store</h2>
        <p>
          Deleting <code>{store.id}</code> destroys its {store.entryCount.toLocaleString("en-US")}{" "}
          entries and its data key. This cannot be undone: nothing sealed in it can be recovered,
          and apps using it get <code>STORE_NOT_FOUND</code>.
        </p>
        <ConfirmDelete storeId={store.id} action={deleteStore.bind(null, project, store.id)} />
      </section>
    </Shell>
  );
}

export default async function StorePage(props: {
  params: Promise<{ project: string; store: string }>;
}) {
  return orVaultDown(() => StorePageContent(props));
}
