// A stand-in for real authentication, to keep the example short: the sign-in form takes a name
// and keeps it in a plain cookie, so anyone can be anyone. Do not copy this: take the user id
// from your real sessions (Auth.js, Clerk, your own) instead.
import { cookies } from "next/headers";

const COOKIE = "example-session";
const NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** The signed-in user's name, or null. */
export async function currentUser(): Promise<string | null> {
  const name = (await cookies()).get(COOKIE)?.value;
  return name !== undefined && NAME.test(name) ? name : null;
}

/** Signs in as `name` (lowercase letters, digits, `-` and `_`); false if the name is not one. */
export async function signInAs(name: string): Promise<boolean> {
  if (!NAME.test(name)) return false;
  (await cookies()).set(COOKIE, name, { httpOnly: true, sameSite: "lax", path: "/" });
  return true;
}

export async function signOutUser(): Promise<void> {
  (await cookies()).delete(COOKIE);
}
