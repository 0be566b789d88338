// The frame of every signed-in page: the header (project switcher, sign out) and the tabs.
import Link from "next/link";
import type { ReactNode } from "react";
import { signOut } from "../app/actions";
import type { Project } from "../lib/admin-api";

const TABS = [
  { id: "stores", label: "Stores" },
  { id: "keys", label: "API keys" },
  { id: "audit", label: "Audit log" },
] as const;

export function Shell(props: {
  projects?: Project[];
  project?: string;
  active?: (typeof TABS)[number]["id"];
  children: ReactNode;
}) {
  const { project, projects } = props;
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/projects" className="brand">
          Coffer <span>admin</span>
        </Link>
        {project && projects && (
          <form action="/switch" method="get" className="switcher">
            <label htmlFor="project-switch">Project</label>
            <select id="project-switch" name="project" defaultValue={project}>
              {projects.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name === p.id ? p.id : `${p.name} (${p.id})`}
                </option>
              ))}
            </select>
            <button type="submit" className="secondary">
              Switch
            </button>
          </form>
        )}
        <form action={signOut} className="signout">
          <button type="submit" className="secondary">
            Sign out
          </button>
        </form>
      </header>
      {project && (
        <nav className="tabs" aria-label="Project sections">
          {TABS.map((tab) => (
            <Link
              key={tab.id}
              href={`/projects/${project}/${tab.id}`}
              aria-current={props.active === tab.id ? "page" : undefined}
            >
              {tab.label}
            </Link>
          ))}
        </nav>
      )}
      <main id="main">{props.children}</main>
    </>
  );
}
