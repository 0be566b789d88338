// The key hierarchy (SPEC.md §2): secret → root PRK → key id and per-store subkeys.
import { expand, extract } from "@noble/hashes/hkdf.js";
import { type _HMAC, hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { toHex, utf8 } from "./bytes.js";

export const KEY_ID_BYTES = 8;
const ROOT_SALT = utf8("coffer/v1");
const KEY_ID_INFO = utf8("coffer/v1 key-id");

/** An HMAC-SHA256 whose key schedule is computed once and cloned per message. */
export class KeyedMac {
  readonly #template: _HMAC<ReturnType<typeof sha256.create>>;
  #scratch: _HMAC<ReturnType<typeof sha256.create>> | undefined;

  constructor(key: Uint8Array) {
    this.#template = hmac.create(sha256, key);
  }

  /** HMAC-SHA256(key, parts[0] || parts[1] || …). */
  mac(...parts: Uint8Array[]): Uint8Array {
    // Reusing one scratch state is safe: this runs synchronously from start to digest.
    const h = this.#template._cloneInto(this.#scratch);
    this.#scratch = h;
    for (const part of parts) h.update(part);
    const out = new Uint8Array(32);
    h.digestInto(out);
    return out;
  }
}

/** The three independent keys of one store under one secret. */
export interface StoreKeys {
  /** Blinds logical keys into ids the server stores. */
  readonly blind: KeyedMac;
  /** Computes the key-commitment tag of an envelope. */
  readonly commit: KeyedMac;
  /** The XChaCha20-Poly1305 key. */
  readonly seal: Uint8Array;
  /** The store id's UTF-8 bytes, as the associated data binds them. */
  readonly storeId: Uint8Array;
}

function label(name: string, storeId: string): Uint8Array {
  // name and the NUL are fixed, store ids contain no NUL: the encoding is unambiguous.
  return utf8(`coffer/v1 ${name}\0${storeId}`);
}

/** The keys derived from one secret. Subkeys are derived once per store and cached. */
export class SecretKeys {
  readonly id: Uint8Array;
  readonly idHex: string;
  readonly #prk: Uint8Array;
  readonly #stores = new Map<string, StoreKeys>();

  constructor(ikm: Uint8Array) {
    this.#prk = extract(sha256, ikm, ROOT_SALT);
    this.id = expand(sha256, this.#prk, KEY_ID_INFO, KEY_ID_BYTES);
    this.idHex = toHex(this.id);
  }

  forStore(storeId: string): StoreKeys {
    let keys = this.#stores.get(storeId);
    if (!keys) {
      keys = {
        blind: new KeyedMac(expand(sha256, this.#prk, label("blind-key", storeId), 32)),
        commit: new KeyedMac(expand(sha256, this.#prk, label("commit-key", storeId), 32)),
        seal: expand(sha256, this.#prk, label("seal-key", storeId), 32),
        storeId: utf8(storeId),
      };
      this.#stores.set(storeId, keys);
    }
    return keys;
  }
}
