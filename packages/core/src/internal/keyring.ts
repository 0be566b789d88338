// A sealer's secrets, current first, and the envelope operations under them (SPEC.md §3–§4).
import { equalBytes } from "@noble/ciphers/utils.js";
import { CofferError } from "../errors.js";
import type { OpenedEntry, SealedEntry } from "../sealer.js";
import { type ParsedSecret, secretKeyMaterial } from "../secret.js";
import { aead } from "./aead.js";
import { base64UrlAscii, fromAscii, fromUtf8, toBase64Url, utf8 } from "./bytes.js";
import {
  associatedData,
  CIPHERTEXT_OFFSET,
  COMMITMENT_BYTES,
  COMMITMENT_OFFSET,
  decodePayload,
  KEY_ID_OFFSET,
  MIN_ENVELOPE_BYTES,
  NONCE_BYTES,
  NONCE_OFFSET,
  type Padding,
  payloadLength,
  TAG_BYTES,
  VALUE_TEXT,
  type ValueType,
  VERSION,
  writePayload,
} from "./envelope.js";
import { SecretKeys } from "./keys.js";
import { fillRandom } from "./random.js";

export class Keyring {
  readonly current: SecretKeys;
  readonly all: readonly SecretKeys[];

  private constructor(all: SecretKeys[]) {
    this.all = all;
    this.current = all[0] as SecretKeys;
  }

  static async derive(secrets: ParsedSecret[]): Promise<Keyring> {
    const material = await Promise.all(secrets.map(secretKeyMaterial));
    const unique = new Map<string, SecretKeys>();
    for (const ikm of material) {
      const keys = new SecretKeys(ikm);
      if (!unique.has(keys.idHex)) unique.set(keys.idHex, keys);
    }
    return new Keyring([...unique.values()]);
  }

  blind(storeId: string, key: Uint8Array, secret: SecretKeys = this.current): string {
    return toBase64Url(secret.forStore(storeId).blind.mac(key));
  }

  /** Seals under the current secret. `nonce` is for known-answer vectors only. */
  seal(
    storeId: string,
    key: Uint8Array,
    type: ValueType,
    value: Uint8Array,
    padding: Padding,
    nonce: Uint8Array = fillRandom(new Uint8Array(NONCE_BYTES)),
  ): SealedEntry {
    const secret = this.current;
    const keys = secret.forStore(storeId);
    const blindedAscii = base64UrlAscii(keys.blind.mac(key));
    const blindedId = fromAscii(blindedAscii);
    const length = payloadLength(key, value, padding);
    const envelope = new Uint8Array(CIPHERTEXT_OFFSET + length + TAG_BYTES);
    // The payload is written where its ciphertext goes and encrypted in place: no extra copy.
    const payload = envelope.subarray(CIPHERTEXT_OFFSET, CIPHERTEXT_OFFSET + length);
    writePayload(payload, type, key, value);
    envelope[0] = VERSION;
    envelope.set(secret.id, KEY_ID_OFFSET);
    envelope.set(nonce, NONCE_OFFSET);
    const ad = associatedData(VERSION, secret.id, keys.storeId, blindedAscii);
    envelope.set(keys.commit.mac(nonce, ad), COMMITMENT_OFFSET);
    aead().seal(keys.seal, nonce, ad, payload, envelope.subarray(CIPHERTEXT_OFFSET));
    return { blindedId, keyId: secret.idHex, envelope };
  }

  open(storeId: string, blindedId: string, envelope: Uint8Array): OpenedEntry {
    const storeBytes = utf8(storeId);
    const blindedBytes = utf8(blindedId);
    const version = envelope[0];
    if (version !== VERSION) {
      // A version byte one bit away from ours on an envelope we sealed is a corrupted v1 envelope.
      // Any other number is taken at its word: a format this release does not read.
      if (
        version === undefined ||
        version === 0 ||
        (oneBitApart(version, VERSION) && this.#sealedByUs(envelope, storeId, blindedBytes))
      ) {
        throw tampered("the envelope's version byte is not one Coffer writes");
      }
      throw new CofferError(
        "UNSUPPORTED_VERSION",
        `This envelope uses format version ${version}; this @coffer/core reads version ${VERSION}. Upgrade @coffer/core.`,
        { details: { version, supported: [VERSION] } },
      );
    }
    if (envelope.length < MIN_ENVELOPE_BYTES) throw tampered("the envelope is truncated");

    const keyId = envelope.subarray(KEY_ID_OFFSET, NONCE_OFFSET);
    const secret = this.all.find((k) => equalBytes(k.id, keyId));
    if (!secret) {
      if (this.#sealedByUs(envelope, storeId, blindedBytes)) {
        throw tampered("the envelope's key id was altered");
      }
      throw new CofferError(
        "WRONG_SECRET",
        "This entry was sealed under a secret this sealer does not hold. Check COFFER_SECRET, or add the old secret to previousSecrets.",
        { details: { keyIds: this.all.map((k) => k.idHex) } },
      );
    }

    const keys = secret.forStore(storeId);
    const nonce = envelope.subarray(NONCE_OFFSET, COMMITMENT_OFFSET);
    const ad = associatedData(VERSION, secret.id, storeBytes, blindedBytes);
    const commitment = envelope.subarray(COMMITMENT_OFFSET, CIPHERTEXT_OFFSET);
    if (!equalBytes(keys.commit.mac(nonce, ad), commitment)) {
      throw tampered("the envelope does not belong to this store and key, or was altered");
    }
    let payload: Uint8Array;
    try {
      payload = aead().open(keys.seal, nonce, ad, envelope.subarray(CIPHERTEXT_OFFSET));
    } catch {
      throw tampered("the ciphertext failed authentication");
    }
    const decoded = decodePayload(payload);
    const key = decoded && fromUtf8(decoded.key);
    const value = decoded?.type === VALUE_TEXT ? fromUtf8(decoded.value) : decoded?.value.slice();
    if (key === undefined || value === undefined) throw tampered("the sealed payload is malformed");
    return { key, value, keyId: secret.idHex, stale: secret !== this.current };
  }

  /**
   * Whether the envelope's commitment verifies as a v1 envelope under one of our secrets when its
   * version and key id fields are ignored: then those fields were altered after sealing, and the
   * envelope is tampered rather than from another secret or a newer format.
   */
  #sealedByUs(envelope: Uint8Array, storeId: string, blindedId: Uint8Array): boolean {
    if (envelope.length < MIN_ENVELOPE_BYTES) return false;
    const nonce = envelope.subarray(NONCE_OFFSET, COMMITMENT_OFFSET);
    const commitment = envelope.subarray(COMMITMENT_OFFSET, COMMITMENT_OFFSET + COMMITMENT_BYTES);
    const storeBytes = utf8(storeId);
    return this.all.some((secret) => {
      const ad = associatedData(VERSION, secret.id, storeBytes, blindedId);
      return equalBytes(secret.forStore(storeId).commit.mac(nonce, ad), commitment);
    });
  }
}

function oneBitApart(a: number, b: number): boolean {
  const x = a ^ b;
  return x !== 0 && (x & (x - 1)) === 0;
}

function tampered(why: string): CofferError {
  return new CofferError("TAMPERED", `The envelope failed authentication: ${why}.`);
}
