// Node's native cipher must be indistinguishable from the portable one: same bytes out, same
// refusals. (The EdgeVM test covers the portable path where there is no Node.)
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Aead, aead, nativeAead, nobleAead } from "./aead.js";

const native = nativeAead() as Aead;
const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });

describe("aead", () => {
  it("uses Node's native cipher on Node", () => {
    expect(native?.name).toBe("native");
    expect(aead()).toBe(aead());
    expect(aead().name).toBe("native");
  });

  it("seals to the same bytes as @noble/ciphers and each opens the other's", () => {
    fc.assert(
      fc.property(
        bytes(32),
        bytes(24),
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 5000 }),
        (key, nonce, ad, plaintext) => {
          const expected = new Uint8Array(plaintext.length + 16);
          const actual = new Uint8Array(plaintext.length + 16);
          nobleAead.seal(key, nonce, ad, plaintext, expected);
          native.seal(key, nonce, ad, plaintext, actual);
          expect(actual).toEqual(expected);
          expect(native.open(key, nonce, ad, expected)).toEqual(plaintext);
          expect(nobleAead.open(key, nonce, ad, actual)).toEqual(plaintext);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses what @noble/ciphers refuses: any flipped bit, another nonce or associated data", () => {
    const key = new Uint8Array(32).fill(7);
    const nonce = new Uint8Array(24).fill(9);
    const ad = Uint8Array.of(1, 2, 3);
    const sealed = new Uint8Array(40 + 16);
    native.seal(key, nonce, ad, new Uint8Array(40).fill(42), sealed);
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const altered = sealed.slice();
      altered[bit >> 3] = (altered[bit >> 3] as number) ^ (1 << (bit & 7));
      expect(() => native.open(key, nonce, ad, altered)).toThrow();
    }
    expect(() =>
      native.open(
        key,
        nonce.map((b, i) => (i === 23 ? b ^ 1 : b)),
        ad,
        sealed,
      ),
    ).toThrow();
    expect(() => native.open(key, nonce, Uint8Array.of(1, 2), sealed)).toThrow();
    expect(() => native.open(key, nonce, ad, sealed.subarray(0, 15))).toThrow();
  });

  it("takes keys, nonces and ciphertexts at any byte offset (test/cross-realm: pooled Buffers)", () => {
    const key = new Uint8Array(32).fill(3);
    const nonce = new Uint8Array(24).fill(5);
    const sealed = new Uint8Array(10 + 16);
    native.seal(key, nonce, new Uint8Array(0), new Uint8Array(10).fill(1), sealed);
    for (let offset = 1; offset < 4; offset++) {
      const at = (bytes: Uint8Array) => {
        const buffer = new Uint8Array(bytes.length + offset);
        buffer.set(bytes, offset);
        return buffer.subarray(offset);
      };
      expect(native.open(at(key), at(nonce), new Uint8Array(0), at(sealed))).toEqual(
        new Uint8Array(10).fill(1),
      );
      const out = new Uint8Array(sealed.length);
      native.seal(at(key), at(nonce), new Uint8Array(0), new Uint8Array(10).fill(1), out);
      expect(out).toEqual(sealed);
    }
  });
});
