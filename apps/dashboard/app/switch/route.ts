// The project switcher's GET form lands here: a redirect to that project's stores. Works without
// JavaScript, like every form of the dashboard.
import { type NextRequest, NextResponse } from "next/server";
import { ID_PATTERN } from "../../lib/format";

export function GET(request: NextRequest) {
  const project = request.nextUrl.searchParams.get("project") ?? "";
  const path = ID_PATTERN.test(project) ? `/projects/${project}/stores` : "/projects";
  // A relative Location: request.url names the host Next listens on, which behind a proxy (or on
  // 0.0.0.0) is not the one the browser used.
  return new NextResponse(null, { status: 303, headers: { location: path } });
}
