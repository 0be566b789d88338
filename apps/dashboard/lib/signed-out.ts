// Sessions signed out before their expiry. The cookie is stateless (./seal.ts), so deleting it in
// the browser alone would leave any copy of it (a stolen one, say) working until it expires:
// signing out also puts the sealed value here, and a session listed here no longer opens. The
// list lives in this process: it holds until the dashboard restarts, for one instance.
import { createHash } from "node:crypto";

const id = (sealed: string) => createHash("sha256").update(sealed).digest("base64url");

export class SignedOutSessions {
  /** Hash of the sealed cookie value → when its entry may be dropped (the cookie has expired). */
  readonly #until = new Map<string, number>();

  /** Lists `sealed` until `until` (ms), by when the cookie has expired anyway. */
  add(sealed: string, until: number, now = Date.now()): void {
    for (const [key, time] of this.#until) if (time <= now) this.#until.delete(key);
    this.#until.set(id(sealed), until);
  }

  has(sealed: string, now = Date.now()): boolean {
    const until = this.#until.get(id(sealed));
    return until !== undefined && until > now;
  }

  get size(): number {
    return this.#until.size;
  }
}
