// Loading a project's page: the session, the project (404 if the vault has none by that id).
import { notFound, redirect } from "next/navigation";
import { AdminApiError, adminApi } from "./admin-api";
import { ID_PATTERN } from "./format";
import { requireToken } from "./session";

export async function loadProject(project: string) {
  const token = await requireToken();
  if (!ID_PATTERN.test(project)) notFound();
  const api = adminApi(token);
  let projects: Awaited<ReturnType<typeof api.listProjects>>;
  try {
    projects = await api.listProjects();
  } catch (error) {
    // A token revoked since sign-in: back to the sign-in page, which says why.
    if (error instanceof AdminApiError && error.code === "UNAUTHORIZED") redirect("/?expired=1");
    throw error;
  }
  const current = projects.find((p) => p.id === project);
  if (!current) notFound();
  return { api, projects, current };
}
