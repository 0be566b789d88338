// Sealing the admin token into the session cookie: AES-256-GCM (node:crypto), versioned, with an
// expiry inside the sealed part. Pure functions of a key, so they are unit tested without Next.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Binds a sealed value to its purpose: a sealed value of another kind never opens as a session. */
const AAD = Buffer.from("coffer-dashboard-session-v1");

/** A 32-byte key from a secret of 32 characters or more (SHA-256 of it, domain-separated). */
export function keyFromSecret(secret: string): Buffer {
  if (typeof secret !== "string") throw new TypeError("the secret must be a string");
  if (secret.length < 32) throw new RangeError("the secret must be 32 characters or more");
  return createHash("sha256").update("coffer-dashboard-session-key\0").update(secret).digest();
}

/** `v1.` + base64url(iv ‖ ciphertext ‖ tag) of `{ t, exp }`. */
export function seal(key: Uint8Array, token: string, expiresAt: number): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(AAD);
  const plaintext = Buffer.from(JSON.stringify({ t: token, exp: expiresAt }));
  const body = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `v${VERSION}.${body.toString("base64url")}`;
}

/** The token, or null for anything that does not open under the key or has expired. */
export function unseal(key: Uint8Array, sealed: string, now = Date.now()): string | null {
  const prefix = `v${VERSION}.`;
  if (!sealed.startsWith(prefix)) return null;
  const body = Buffer.from(sealed.slice(prefix.length), "base64url");
  if (body.length < IV_BYTES + TAG_BYTES + 2) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, body.subarray(0, IV_BYTES));
    decipher.setAAD(AAD);
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    const plaintext = Buffer.concat([
      decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)),
      decipher.final(),
    ]);
    const { t, exp } = JSON.parse(plaintext.toString("utf8")) as { t?: unknown; exp?: unknown };
    if (typeof t !== "string" || typeof exp !== "number" || exp <= now) return null;
    return t;
  } catch {
    return null;
  }
}
