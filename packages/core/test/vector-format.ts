// The known-answer vector file format, shared by the generator and the replay test.
import { VALUE_BYTES, VALUE_TEXT } from "../src/internal/envelope.js";
import { Keyring } from "../src/internal/keyring.js";
import { parseSecret } from "../src/secret.js";

export interface Vector {
  name: string;
  /** The secret the envelope was sealed under. */
  sealSecret: string;
  /** The sealer that opens it: `secret` and `previousSecrets`. */
  openWith: { secret: string; previousSecrets: string[] };
  padding: "buckets" | "none";
  storeId: string;
  key: string;
  /** A UTF-8 string value, or `valueHex` for a byte value. */
  value?: string;
  valueHex?: string;
  /** The 24-byte nonce, hex; random in real use. */
  nonce: string;
  keyId: string;
  blindedId: string;
  /** The whole envelope, hex. */
  envelope: string;
  /** True when `openWith` holds the sealing secret only as a previous secret. */
  stale: boolean;
}

export const hex = {
  encode: (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(""),
  decode: (text: string) => Uint8Array.from(text.match(/../g) ?? [], (h) => Number.parseInt(h, 16)),
};

/** Seals a vector's inputs with its fixed nonce, through the same code path as the public API. */
export async function sealVector(v: Omit<Vector, "keyId" | "blindedId" | "envelope" | "stale">) {
  const keyring = await Keyring.derive([parseSecret(v.sealSecret)]);
  const value =
    v.valueHex === undefined ? new TextEncoder().encode(v.value) : hex.decode(v.valueHex);
  const type = v.valueHex === undefined ? VALUE_TEXT : VALUE_BYTES;
  const key = new TextEncoder().encode(v.key);
  return keyring.seal(v.storeId, key, type, value, v.padding, hex.decode(v.nonce));
}
