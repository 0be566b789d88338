import { redirect } from "next/navigation";

export default async function ProjectPage(props: { params: Promise<{ project: string }> }) {
  const { project } = await props.params;
  redirect(`/projects/${encodeURIComponent(project)}/stores`);
}
