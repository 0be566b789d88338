// Byte helpers on Web standards only (no Buffer), so core runs on Node and edge runtimes alike.
import { CofferError } from "../errors.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** UTF-8 bytes of a string the caller has already checked with `isWellFormed`. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8 strictly; `undefined` for invalid sequences. */
export function fromUtf8(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

// A lone surrogate would be replaced by U+FFFD on encoding, so two different strings could seal
// or blind alike. String.prototype.isWellFormed is ES2024; edge runtimes may predate it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export function isWellFormed(text: string): boolean {
  const native = (text as { isWellFormed?: () => boolean }).isWellFormed;
  return native ? native.call(text) : !LONE_SURROGATE.test(text);
}

// base64url by table (RFC 4648 §5, no padding): every sealed value crosses the wire this way, and
// btoa/atob need a binary string plus three regex passes, which showed in the SDK's profiles.
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const ENCODE = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;
const ascii = new TextDecoder();

export function toBase64Url(bytes: Uint8Array): string {
  return ascii.decode(base64UrlAscii(bytes));
}

/** The base64url text of `bytes` as ASCII bytes (what the envelope's associated data binds). */
export function base64UrlAscii(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil((n * 4) / 3));
  let o = 0;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v =
      ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out[o++] = ENCODE[v >>> 18] as number;
    out[o++] = ENCODE[(v >>> 12) & 63] as number;
    out[o++] = ENCODE[(v >>> 6) & 63] as number;
    out[o++] = ENCODE[v & 63] as number;
  }
  if (i < n) {
    const v = ((bytes[i] as number) << 16) | (i + 1 < n ? (bytes[i + 1] as number) << 8 : 0);
    out[o++] = ENCODE[v >>> 18] as number;
    out[o++] = ENCODE[(v >>> 12) & 63] as number;
    if (i + 1 < n) out[o++] = ENCODE[(v >>> 6) & 63] as number;
  }
  return out;
}

/** ASCII bytes to a string. */
export function fromAscii(bytes: Uint8Array): string {
  return ascii.decode(bytes);
}

/** Strict, canonical base64url without padding; `undefined` for anything else. */
export function fromBase64Url(text: string): Uint8Array | undefined {
  const length = text.length;
  const tail = length % 4;
  if (tail === 1) return undefined;
  const out = new Uint8Array(Math.floor((length * 3) / 4));
  let o = 0;
  let bits = 0;
  let count = 0;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    const digit = code < 128 ? (DECODE[code] as number) : -1;
    if (digit < 0) return undefined;
    bits = (bits << 6) | digit;
    if (++count === 4) {
      out[o++] = bits >>> 16;
      out[o++] = (bits >>> 8) & 255;
      out[o++] = bits & 255;
      bits = 0;
      count = 0;
    }
  }
  // Canonical only: the unused low bits of the last character must be zero.
  if (tail === 2) {
    if (bits & 15) return undefined;
    out[o] = bits >>> 4;
  } else if (tail === 3) {
    if (bits & 3) return undefined;
    out[o++] = bits >>> 10;
    out[o] = (bits >>> 2) & 255;
  }
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (let i = 0; i < bytes.length; i++) hex += (bytes[i] as number).toString(16).padStart(2, "0");
  return hex;
}

/** Bytes an unsigned LEB128 varint of `n` takes. */
export function varintLength(n: number): number {
  let length = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    length++;
  }
  return length;
}

/** Writes `n` as an unsigned LEB128 varint at `offset`; returns the offset after it. */
export function writeVarint(out: Uint8Array, offset: number, n: number): number {
  while (n >= 0x80) {
    out[offset++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 0x80);
  }
  out[offset++] = n;
  return offset;
}

/**
 * Reads a minimal unsigned LEB128 varint of at most 4 bytes (values below 2^28).
 * Returns `[value, nextOffset]`, or `undefined` when it runs past the end or is not minimal.
 */
export function readVarint(bytes: Uint8Array, offset: number): [number, number] | undefined {
  let value = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    const byte = bytes[offset++];
    if (byte === undefined) return undefined;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) {
      if (byte === 0 && shift > 0) return undefined; // a redundant trailing zero group
      return [value, offset];
    }
  }
  return undefined;
}

export function invalidArgument(message: string): CofferError {
  return new CofferError("INVALID_ARGUMENT", message);
}

// The vault service uses the same rule, so an id accepted here is accepted there.
export const STORE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function assertStoreId(storeId: unknown): asserts storeId is string {
  if (typeof storeId !== "string" || !STORE_ID_PATTERN.test(storeId)) {
    throw invalidArgument(
      "Store ids are 1 to 64 characters of a-z, 0-9, '_' and '-', starting with a letter or digit.",
    );
  }
}
