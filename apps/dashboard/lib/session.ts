// The session: the admin token, sealed (./seal.ts) into an httpOnly, SameSite=strict cookie. The
// token is only ever opened here, on the server; client JavaScript never sees it.
import { randomBytes } from "node:crypto";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { keyFromSecret, seal, unseal } from "./seal";
import { SignedOutSessions } from "./signed-out";

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

const SIGNED_OUT = Symbol.for("coffer.dashboard.signedOut");
function signedOut(): SignedOutSessions {
  const slot = globalThis as { [SIGNED_OUT]?: SignedOutSessions };
  slot[SIGNED_OUT] ??= new SignedOutSessions();
  return slot[SIGNED_OUT];
}

/** The admin token of the signed-in operator, or null. */
export async function sessionToken(): Promise<string | null> {
  const sealed = (await cookies()).get(SESSION_COOKIE)?.value;
  if (sealed === undefined || signedOut().has(sealed)) return null;
  return unseal(sessionKey(), sealed);
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

/** Signs out: deletes the cookie, and refuses this session from now on even if a copy is replayed. */
export async function endSession(): Promise<void> {
  const jar = await cookies();
  const sealed = jar.get(SESSION_COOKIE)?.value;
  // Only a session that opens is listed: nobody can grow the list with made-up cookies.
  if (sealed !== undefined && unseal(sessionKey(), sealed) !== null) {
    signedOut().add(sealed, Date.now() + MAX_AGE_SECONDS * 1000);
  }
  jar.delete({ name: SESSION_COOKIE, path: "/" });
}
