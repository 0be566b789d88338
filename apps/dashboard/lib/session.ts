// The session: the admin token, sealed (./seal.ts) into an httpOnly, SameSite=strict cookie. The
// token is only ever opened here, on the server; client JavaScript never sees it.
import { randomBytes } from "node:crypto";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { keyFromSecret, seal, unseal } from "./seal";

export const SESSION_COOKIE = "coffer_dashboard_session";
const MAX_AGE_SECONDS = 12 * 60 * 60;

// One key per process, kept on globalThis so that every bundle layer Next loads shares it.
const KEY = Symbol.for("coffer.dashboard.sessionKey");
function sessionKey(): Buffer {
  const slot = globalThis as { [KEY]?: Buffer };
  if (slot[KEY] === undefined) {
    const secret = process.env.COFFER_DASHBOARD_SECRET;
    // Without a secret, a random key: sessions then last as long as this process does.
    slot[KEY] = secret ? keyFromSecret(secret) : randomBytes(32);
  }
  return slot[KEY];
}

/** The admin token of the signed-in operator, or null. */
export async function sessionToken(): Promise<string | null> {
  const sealed = (await cookies()).get(SESSION_COOKIE)?.value;
  return sealed === undefined ? null : unseal(sessionKey(), sealed);
}

/** The admin token; sends anyone not signed in to the sign-in page. */
export async function requireToken(): Promise<string> {
  const token = await sessionToken();
  if (token === null) redirect("/");
  return token;
}

async function servedOverHttps(): Promise<boolean> {
  const h = await headers();
  const proto = h.get("x-forwarded-proto")?.split(",")[0]?.trim();
  return proto === "https" || (h.get("origin") ?? "").startsWith("https:");
}

/** Starts a session (server actions only: they alone may set cookies). */
export async function startSession(token: string): Promise<void> {
  const sealed = seal(sessionKey(), token, Date.now() + MAX_AGE_SECONDS * 1000);
  (await cookies()).set(SESSION_COOKIE, sealed, {
    httpOnly: true,
    sameSite: "strict",
    secure: await servedOverHttps(),
    path: "/",
    maxAge: MAX_AGE_SECONDS,
  });
}

export async function endSession(): Promise<void> {
  (await cookies()).delete({ name: SESSION_COOKIE, path: "/" });
}
