import Link from "next/link";
import { redirect } from "next/navigation";
import { ActionForm } from "../../components/action-form";
import { Shell } from "../../components/shell";
import { orVaultDown } from "../../components/vault-down";
import { AdminApiError, adminApi, type Project } from "../../lib/admin-api";
import { dateTime } from "../../lib/format";
import { requireToken } from "../../lib/session";
import { createProject } from "../actions";

export const metadata = { title: "Projects" };

async function ProjectsPageContent() {
  const token = await requireToken();
  let projects: Project[];
  try {
    projects = await adminApi(token).listProjects();
  } catch (error) {
    if (error instanceof AdminApiError && error.code === "UNAUTHORIZED") redirect("/?expired=1");
    throw error;
  }
  return (
    <Shell>
      <h1>Projects</h1>
      <p className="muted">
        A project is a tenant: its API keys never see another project's stores.
      </p>
      <ul className="project-list">
        {projects.map((p) => (
          <li key={p.id} className="card">
            <Link href={`/projects/${p.id}/stores`}>{p.name}</Link>
            <span className="muted">
              <code>{p.id}</code> · created {dateTime(p.createdAt)}
            </span>
          </li>
        ))}
      </ul>
      <h2>New project</h2>
      <ActionForm action={createProject} submitLabel="Create project" className="card stack">
        <div className="fields">
          <div className="field">
            <label htmlFor="project-id">Project id</label>
            <input
              id="project-id"
              name="id"
              required
              maxLength={64}
              autoComplete="off"
              spellCheck={false}
              aria-describedby="project-id-hint"
            />
            <p id="project-id-hint" className="hint">
              Lowercase letters, digits, - and _ (up to 64).
            </p>
          </div>
          <div className="field">
            <label htmlFor="project-name">Display name (optional)</label>
            <input id="project-name" name="name" maxLength={200} autoComplete="off" />
          </div>
        </div>
      </ActionForm>
    </Shell>
  );
}

export default async function ProjectsPage() {
  return orVaultDown(() => ProjectsPageContent());
}
