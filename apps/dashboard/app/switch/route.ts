// The project switcher's GET form lands here: a redirect to that project's stores. Works without
// JavaScript, like every form of the dashboard.
import { type NextRequest, NextResponse } from "next/server";
import { ID_PATTERN } from "../../lib/format";

export function GET(request: NextRequest) {
  const project = request.nextUrl.searchParams.get("project") ?? "";
  const path = ID_PATTERN.test(project) ? `/projects/${project}/stores` : "/projects";
  return NextResponse.redirect(new URL(path, request.url), 303);
}
