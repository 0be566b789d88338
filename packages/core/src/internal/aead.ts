// XChaCha20-Poly1305 (SPEC.md §4), from the fastest implementation the runtime has.
//
// @noble/ciphers is the portable one and runs everywhere. Node (and runtimes that mimic it) also
// ship OpenSSL's ChaCha20-Poly1305, several times faster; XChaCha20 is that cipher under an
// HChaCha20 subkey with the nonce's last 8 bytes, so the bytes are the same either way. Node's
// cipher is reached through `process.getBuiltinModule` at run time, never imported: bundlers
// and edge runtimes see no Node built-in, and anywhere it is missing or fails its self-check
// the portable cipher is used.
import { hchacha, xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { equalBytes, u32 } from "@noble/ciphers/utils.js";
import { TAG_BYTES } from "./envelope.js";

/** The AEAD a sealer uses. `seal` encrypts `plaintext` into `out` (ciphertext then tag). */
export interface Aead {
  readonly name: "native" | "noble";
  seal(
    key: Uint8Array,
    nonce: Uint8Array,
    ad: Uint8Array,
    plaintext: Uint8Array,
    out: Uint8Array,
  ): void;
  /** Throws when the ciphertext fails authentication. */
  open(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, sealed: Uint8Array): Uint8Array;
}

export const nobleAead: Aead = {
  name: "noble",
  seal: (key, nonce, ad, plaintext, out) => {
    xchacha20poly1305(key, nonce, ad).encrypt(plaintext, out);
  },
  open: (key, nonce, ad, sealed) => xchacha20poly1305(key, nonce, ad).decrypt(sealed),
};

/** The slice of node:crypto used here, typed structurally: core imports nothing from Node. */
interface NodeCipher {
  setAAD(ad: Uint8Array, options: { plaintextLength: number }): unknown;
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
  getAuthTag(): Uint8Array;
  setAuthTag(tag: Uint8Array): unknown;
}
interface NodeCrypto {
  createCipheriv(alg: string, key: Uint8Array, iv: Uint8Array, o: object): NodeCipher;
  createDecipheriv(alg: string, key: Uint8Array, iv: Uint8Array, o: object): NodeCipher;
}

// noble's exported hchacha takes and returns byte views (it swaps words itself on big-endian).
const SIGMA = /* @__PURE__ */ u32(new TextEncoder().encode("expand 32-byte k"));

/** HChaCha20(key, nonce[0..16]) and the 12-byte IETF nonce 0⁴ ‖ nonce[16..24]. */
function ietfParameters(key: Uint8Array, nonce: Uint8Array): [Uint8Array, Uint8Array] {
  // Copies, not views: `u32` needs 4-byte alignment, and a Node Buffer (pooled, any offset) is a
  // Uint8Array whose slice() does not copy.
  const subkey = new Uint32Array(8);
  hchacha(SIGMA, u32(new Uint8Array(key)), u32(new Uint8Array(nonce.subarray(0, 16))), subkey);
  const iv = new Uint8Array(12);
  iv.set(nonce.subarray(16, 24), 4);
  return [new Uint8Array(subkey.buffer), iv];
}

function nodeAead(crypto: NodeCrypto): Aead {
  const options = { authTagLength: TAG_BYTES };
  return {
    name: "native",
    seal(key, nonce, ad, plaintext, out) {
      const [subkey, iv] = ietfParameters(key, nonce);
      const cipher = crypto.createCipheriv("chacha20-poly1305", subkey, iv, options);
      cipher.setAAD(ad, { plaintextLength: plaintext.length });
      const ciphertext = cipher.update(plaintext);
      cipher.final();
      out.set(ciphertext);
      out.set(cipher.getAuthTag(), plaintext.length);
    },
    open(key, nonce, ad, sealed) {
      if (sealed.length < TAG_BYTES) throw new Error("ciphertext shorter than its tag");
      const [subkey, iv] = ietfParameters(key, nonce);
      const length = sealed.length - TAG_BYTES;
      const decipher = crypto.createDecipheriv("chacha20-poly1305", subkey, iv, options);
      decipher.setAAD(ad, { plaintextLength: length });
      decipher.setAuthTag(sealed.subarray(length));
      const plaintext = decipher.update(sealed.subarray(0, length));
      decipher.final(); // throws if the tag does not verify
      return new Uint8Array(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
    },
  };
}

/**
 * Node's crypto module if this runtime has one, looked up without importing it. The one place
 * core touches `process` (typed here, as core builds without Node's types): feature detection,
 * never the environment.
 */
function nodeCrypto(): NodeCrypto | undefined {
  const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
    .process;
  try {
    const crypto = runtime?.getBuiltinModule?.("node:crypto") as Partial<NodeCrypto> | undefined;
    return typeof crypto?.createCipheriv === "function" ? (crypto as NodeCrypto) : undefined;
  } catch {
    return undefined;
  }
}

/** A native AEAD is used only if it agrees with the portable one, byte for byte, both ways. */
function agreesWithNoble(candidate: Aead): boolean {
  try {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
    const nonce = Uint8Array.from({ length: 24 }, (_, i) => 255 - i * 3);
    const ad = Uint8Array.of(1, 2, 3);
    const plaintext = Uint8Array.from({ length: 77 }, (_, i) => i);
    const expected = new Uint8Array(plaintext.length + TAG_BYTES);
    const actual = new Uint8Array(plaintext.length + TAG_BYTES);
    nobleAead.seal(key, nonce, ad, plaintext, expected);
    candidate.seal(key, nonce, ad, plaintext, actual);
    return (
      equalBytes(expected, actual) && equalBytes(candidate.open(key, nonce, ad, actual), plaintext)
    );
  } catch {
    return false;
  }
}

let chosen: Aead | undefined;

/** The AEAD for this process: chosen (and self-checked) once, on first use. */
export function aead(): Aead {
  if (!chosen) {
    const crypto = nodeCrypto();
    const native = crypto && nodeAead(crypto);
    chosen = native && agreesWithNoble(native) ? native : nobleAead;
  }
  return chosen;
}

/** For tests: the native AEAD if this runtime has a working one. */
export function nativeAead(): Aead | undefined {
  const crypto = nodeCrypto();
  const native = crypto && nodeAead(crypto);
  return native && agreesWithNoble(native) ? native : undefined;
}
