import { isBytes } from "@noble/ciphers/utils.js";
import { assertStoreId, invalidArgument, isWellFormed, utf8 } from "./internal/bytes.js";
import { type Padding, VALUE_BYTES, VALUE_TEXT, type ValueType } from "./internal/envelope.js";
import { Keyring } from "./internal/keyring.js";
import { parseSecret } from "./secret.js";

export type { Padding } from "./internal/envelope.js";

/** Longest logical key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 4096;
/** Largest value the sealer accepts, in bytes. The vault service sets its own, lower limit. */
export const MAX_VALUE_BYTES = 64 * 1024 * 1024;

export interface SealerOptions {
  /** The secret new envelopes are sealed under: from {@link generateSecret}, or a passphrase of 32+ characters. */
  secret: string;
  /** Older secrets whose envelopes still open. Rotate by moving `secret` here and setting a new one. */
  previousSecrets?: readonly string[] | undefined;
  /** Size privacy: `"buckets"` (default) or `"none"`. See SPEC.md §5. */
  padding?: Padding | undefined;
}

/** What {@link Sealer.seal} returns: everything the vault service stores for one entry. */
export interface SealedEntry {
  /** HMAC-SHA256 of the logical key under the store's blinding key, base64url (43 characters). */
  blindedId: string;
  /** Fingerprint of the secret the envelope was sealed under (16 hex characters). */
  keyId: string;
  /** The versioned, self-describing envelope. */
  envelope: Uint8Array;
}

/** What {@link Sealer.open} returns. */
export interface OpenedEntry {
  /** The logical key the entry was sealed under. */
  key: string;
  /** The value: a string if a string was sealed, a Uint8Array if bytes were. */
  value: string | Uint8Array;
  /** Fingerprint of the secret that opened it. */
  keyId: string;
  /** True when it was sealed under one of `previousSecrets`: seal it again to rotate it. */
  stale: boolean;
}

/** Seals and opens values locally. Create one per process and reuse it: keys are derived once. */
export interface Sealer {
  /** The blinded id of a logical key in a store: what the server may know of the key. */
  blindKey(storeId: string, key: string): Promise<string>;
  /** The key's blinded id under every held secret, current first (to find entries not yet rotated). */
  blindKeys(storeId: string, key: string): Promise<Array<{ keyId: string; blindedId: string }>>;
  /** Seals a value under the current secret, binding it to its store and blinded id. */
  seal(storeId: string, key: string, value: string | Uint8Array): Promise<SealedEntry>;
  /** Opens an envelope under whichever held secret sealed it. */
  open(storeId: string, blindedId: string, envelope: Uint8Array): Promise<OpenedEntry>;
  /** The key id of the current secret. */
  keyId(): Promise<string>;
  /** The key ids of every held secret, current first. */
  keyIds(): Promise<string[]>;
}

/**
 * Creates a sealer. Throws `WEAK_SECRET` at once for a secret shorter than 32 characters, and
 * `INVALID_ARGUMENT` for a generated secret that was truncated or pasted with something around it.
 *
 * @example
 * ```ts
 * import { createSealer } from "@coffer/core";
 * const sealer = createSealer({ secret: process.env.COFFER_SECRET! });
 * const { blindedId, envelope } = await sealer.seal("oauth-tokens", "gh:42", "ghp_…");
 * const { key, value } = await sealer.open("oauth-tokens", blindedId, envelope);
 * ```
 */
export function createSealer(options: SealerOptions): Sealer {
  if (typeof options !== "object" || options === null) {
    throw invalidArgument("createSealer takes an options object: { secret, previousSecrets? }.");
  }
  const previous = options.previousSecrets ?? [];
  if (!Array.isArray(previous))
    throw invalidArgument("previousSecrets must be an array of secrets.");
  const padding = options.padding ?? "buckets";
  if (padding !== "buckets" && padding !== "none") {
    throw invalidArgument('padding must be "buckets" or "none".');
  }
  const parsed = [
    parseSecret(options.secret),
    ...previous.map((s, i) => parseSecret(s, `previousSecrets[${i}]`)),
  ];
  let keyring: Keyring | Promise<Keyring> = Keyring.derive(parsed).then((ready) => {
    keyring = ready;
    return ready;
  });
  keyring.catch(() => {}); // surfaced by the first operation, never as an unhandled rejection

  const open = async (storeId: string, blindedId: string, envelope: Uint8Array) => {
    assertStoreId(storeId);
    const blinded = assertBlindedId(blindedId);
    if (!isBytes(envelope)) throw invalidArgument("envelope must be a Uint8Array.");
    return (await keyring).open(storeId, blinded, envelope);
  };

  return {
    async blindKey(storeId, key) {
      assertStoreId(storeId);
      const keyBytes = encodeKey(key);
      return (await keyring).blind(storeId, keyBytes);
    },
    async blindKeys(storeId, key) {
      assertStoreId(storeId);
      const keyBytes = encodeKey(key);
      const ring = await keyring;
      return ring.all.map((secret) => ({
        keyId: secret.idHex,
        blindedId: ring.blind(storeId, keyBytes, secret),
      }));
    },
    async seal(storeId, key, value) {
      assertStoreId(storeId);
      const keyBytes = encodeKey(key);
      const [type, valueBytes] = encodeValue(value);
      return (await keyring).seal(storeId, keyBytes, type, valueBytes, padding);
    },
    open,
    async keyId() {
      return (await keyring).current.idHex;
    },
    async keyIds() {
      return (await keyring).all.map((k) => k.idHex);
    },
  };
}

function encodeKey(key: unknown): Uint8Array {
  if (typeof key !== "string") throw invalidArgument("The key must be a string.");
  if (!isWellFormed(key)) {
    throw invalidArgument("The key contains a lone UTF-16 surrogate and has no UTF-8 form.");
  }
  const bytes = utf8(key);
  if (bytes.length > MAX_KEY_BYTES) {
    throw invalidArgument(`The key is longer than ${MAX_KEY_BYTES} bytes of UTF-8.`);
  }
  return bytes;
}

function encodeValue(value: unknown): [ValueType, Uint8Array] {
  let result: [ValueType, Uint8Array];
  if (typeof value === "string") {
    if (!isWellFormed(value)) {
      throw invalidArgument("The value contains a lone UTF-16 surrogate and has no UTF-8 form.");
    }
    result = [VALUE_TEXT, utf8(value)];
  } else if (isBytes(value)) {
    // isBytes, not instanceof: also a Uint8Array of another realm (a vm context, Jest's sandbox).
    result = [VALUE_BYTES, value];
  } else {
    throw invalidArgument("The value must be a string or a Uint8Array.");
  }
  if (result[1].length > MAX_VALUE_BYTES) {
    throw invalidArgument(`The value is larger than ${MAX_VALUE_BYTES} bytes.`);
  }
  return result;
}

// Canonical base64url of 32 bytes: 43 characters, the last carrying 4 bits and 2 zero bits.
const BLINDED_ID = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

function assertBlindedId(blindedId: unknown): string {
  if (typeof blindedId !== "string" || !BLINDED_ID.test(blindedId)) {
    throw invalidArgument(
      "blindedId must be a blinded id from blindKey() or seal() (43 base64url characters).",
    );
  }
  return blindedId;
}
