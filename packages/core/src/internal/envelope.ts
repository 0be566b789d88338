// Envelope format v1, byte by byte in SPEC.md §3–§5.

import { readVarint, varintLength, writeVarint } from "./bytes.js";
import { KEY_ID_BYTES } from "./keys.js";

export const VERSION = 1;
export const NONCE_BYTES = 24;
export const COMMITMENT_BYTES = 32;
export const TAG_BYTES = 16;

export const KEY_ID_OFFSET = 1;
export const NONCE_OFFSET = KEY_ID_OFFSET + KEY_ID_BYTES; // 9
export const COMMITMENT_OFFSET = NONCE_OFFSET + NONCE_BYTES; // 33
export const CIPHERTEXT_OFFSET = COMMITMENT_OFFSET + COMMITMENT_BYTES; // 65
/** Shortest possible v1 envelope: header, the smallest payload (3 bytes) and the tag. */
export const MIN_ENVELOPE_BYTES = CIPHERTEXT_OFFSET + 3 + TAG_BYTES;

/** What the payload's first byte says the value was. */
export const VALUE_TEXT = 0x01;
export const VALUE_BYTES = 0x02;
export type ValueType = typeof VALUE_TEXT | typeof VALUE_BYTES;

/**
 * `"buckets"` (default) pads the payload (key and value together) so the server learns a size
 * class rather than a length: powers of two from 64 B to 512 B, where short secrets such as
 * tokens and codes would otherwise be told apart by length, then Padmé, which costs at most 12%
 * and leaks O(log log n) bits of the length. `"none"` stores exact lengths.
 */
export type Padding = "buckets" | "none";

export const MIN_BUCKET = 64;
export const LAST_POWER_OF_TWO_BUCKET = 512;

export function paddedLength(length: number, padding: Padding): number {
  if (padding === "none") return length;
  if (length <= MIN_BUCKET) return MIN_BUCKET;
  if (length <= LAST_POWER_OF_TWO_BUCKET) return 2 ** Math.ceil(Math.log2(length));
  // Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files", PETS 2019): keep
  // the top ⌊log2 E⌋+1 bits of the length, where E = ⌊log2 length⌋, and round the rest up.
  const e = Math.floor(Math.log2(length));
  const s = Math.floor(Math.log2(e)) + 1;
  const step = 2 ** (e - s);
  return Math.ceil(length / step) * step;
}

/**
 * The associated data bound into both the commitment and the AEAD tag:
 * version ‖ key id ‖ len(store id) ‖ store id ‖ len(blinded id) ‖ blinded id.
 */
export function associatedData(
  version: number,
  keyId: Uint8Array,
  storeId: Uint8Array,
  blindedId: Uint8Array,
): Uint8Array {
  const ad = new Uint8Array(1 + keyId.length + 1 + storeId.length + 1 + blindedId.length);
  let offset = 0;
  ad[offset++] = version;
  ad.set(keyId, offset);
  offset += keyId.length;
  ad[offset++] = storeId.length;
  ad.set(storeId, offset);
  offset += storeId.length;
  ad[offset++] = blindedId.length;
  ad.set(blindedId, offset);
  return ad;
}

/** Padded payload length of a key and value (see {@link writePayload}). */
export function payloadLength(key: Uint8Array, value: Uint8Array, padding: Padding): number {
  const length =
    1 + varintLength(key.length) + key.length + varintLength(value.length) + value.length;
  return paddedLength(length, padding);
}

/**
 * Writes type ‖ varint(len key) ‖ key ‖ varint(len value) ‖ value into `payload`, whose
 * remaining bytes (zero, freshly allocated) are the padding.
 */
export function writePayload(
  payload: Uint8Array,
  type: ValueType,
  key: Uint8Array,
  value: Uint8Array,
): void {
  payload[0] = type;
  let offset = writeVarint(payload, 1, key.length);
  payload.set(key, offset);
  offset = writeVarint(payload, offset + key.length, value.length);
  payload.set(value, offset);
}

export interface DecodedPayload {
  type: ValueType;
  key: Uint8Array;
  value: Uint8Array;
}

/** Strict inverse of {@link writePayload}; `undefined` for anything it could not have written. */
export function decodePayload(payload: Uint8Array): DecodedPayload | undefined {
  const type = payload[0];
  if (type !== VALUE_TEXT && type !== VALUE_BYTES) return undefined;
  const keyLength = readVarint(payload, 1);
  if (!keyLength) return undefined;
  const [keyLen, keyStart] = keyLength;
  const valueLength = readVarint(payload, keyStart + keyLen);
  if (!valueLength) return undefined;
  const [valueLen, valueStart] = valueLength;
  const end = valueStart + valueLen;
  if (end > payload.length) return undefined;
  for (let i = end; i < payload.length; i++) if (payload[i] !== 0) return undefined;
  return {
    type,
    key: payload.subarray(keyStart, keyStart + keyLen),
    value: payload.subarray(valueStart, end),
  };
}
