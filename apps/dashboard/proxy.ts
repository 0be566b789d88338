// Cross-origin POSTs (server actions called from another site) get a plain 403 with a stable code.
// Next refuses them too, but as a server error (HTTP 500, and a stack trace in the log); this
// answers first, with the same rule: the Origin's host must be the host the request came to.
import { type NextRequest, NextResponse } from "next/server";

export function proxy(request: NextRequest) {
  if (request.method !== "POST") return NextResponse.next();
  const origin = request.headers.get("origin");
  // No Origin (or "null"): left to Next, which decides as it always does.
  if (origin === null || origin === "null") return NextResponse.next();
  // As Next: the first X-Forwarded-Host (a proxy's), or the Host header.
  const hosts = [
    request.headers.get("x-forwarded-host")?.split(",")[0]?.trim(),
    request.headers.get("host"),
  ];
  let originHost: string | null = null;
  try {
    originHost = new URL(origin).host;
  } catch {
    // Not a URL: refused below.
  }
  if (originHost !== null && hosts.includes(originHost)) return NextResponse.next();
  return NextResponse.json(
    {
      error: {
        code: "CROSS_ORIGIN",
        message: "This request came from another site: the dashboard refuses it.",
      },
    },
    { status: 403 },
  );
}

export const config = { matcher: "/((?!_next/static|_next/image).*)" };
