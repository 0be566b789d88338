// The server's own encryption layer (README "At rest"): each client envelope is wrapped again
// under its store's data key; data keys are wrapped under the master key. AES-256-GCM from
// node:crypto (hardware AES, ~2 µs per entry) with random 96-bit nonces: a data key would need
// billions of writes before a nonce collision became plausible (2^32 writes → p ≈ 2^-33).
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { CofferError } from "@coffer/core";

const FORMAT = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const AT_REST_OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES;

function encode(parts: string[]): Buffer {
  // Length-prefixed so that ("ab","c") and ("a","bc") give different associated data.
  return Buffer.concat(
    parts.flatMap((p) => {
      const bytes = Buffer.from(p, "utf8");
      const length = Buffer.alloc(2);
      length.writeUInt16BE(bytes.length);
      return [length, bytes];
    }),
  );
}

/** AES-256-GCM seal of `plaintext`, bound to `context`: format ‖ nonce ‖ ciphertext ‖ tag. */
export function wrap(key: Uint8Array, plaintext: Uint8Array, context: string[]): Uint8Array {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(encode(context));
  const out = Buffer.allocUnsafe(AT_REST_OVERHEAD + plaintext.length);
  out[0] = FORMAT;
  nonce.copy(out, 1);
  const body = cipher.update(plaintext);
  body.copy(out, 1 + NONCE_BYTES);
  cipher.final();
  cipher.getAuthTag().copy(out, 1 + NONCE_BYTES + body.length);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** Inverse of {@link wrap}. Throws INTERNAL_ERROR: data the server wrote itself failed to open. */
export function unwrap(key: Uint8Array, sealed: Uint8Array, context: string[]): Uint8Array {
  if (sealed.length < AT_REST_OVERHEAD || sealed[0] !== FORMAT) throw corrupt();
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(1, 1 + NONCE_BYTES));
    decipher.setAAD(encode(context));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const body = decipher.update(bytes.subarray(1 + NONCE_BYTES, bytes.length - TAG_BYTES));
    decipher.final();
    return new Uint8Array(body.buffer, body.byteOffset, body.length);
  } catch (cause) {
    throw corrupt(cause);
  }
}

function corrupt(cause?: unknown): CofferError {
  return new CofferError(
    "INTERNAL_ERROR",
    "Stored data failed its at-rest integrity check: the database was altered or the wrong master key is loaded.",
    cause === undefined ? {} : { cause },
  );
}
