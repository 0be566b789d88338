// Property tests (fast-check): round trips for arbitrary keys and values, and every way of
// moving or altering an envelope fails with the right code.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSealer, generateSecret, isCofferError } from "../src/index.js";

const sealer = createSealer({ secret: generateSecret() });
const storeId = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,63}$/);
// Well-formed strings only: a lone surrogate has no UTF-8 form and is refused.
const key = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }),
);
const value = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 2000 }),
  fc.string({ unit: "binary", maxLength: 2000 }),
  fc.uint8Array({ maxLength: 2000 }),
);

async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isCofferError(error)) return error.code;
    throw error;
  }
  return "none";
}

describe("properties", () => {
  it("open(seal(x)) = x for arbitrary stores, keys and values", async () => {
    await fc.assert(
      fc.asyncProperty(storeId, key, value, async (s, k, v) => {
        const sealed = await sealer.seal(s, k, v);
        const opened = await sealer.open(s, sealed.blindedId, sealed.envelope);
        expect(opened.key).toBe(k);
        expect(opened.value).toEqual(v);
        expect(sealed.blindedId).toBe(await sealer.blindKey(s, k));
      }),
      { numRuns: 300 },
    );
  });

  it("flipping any single bit of an envelope makes open throw TAMPERED (every bit of one envelope)", async () => {
    const sealed = await sealer.seal(
      "oauth-tokens",
      "gh:42",
      "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    );
    const bits = sealed.envelope.length * 8;
    const codes = new Map<string, number>();
    for (let bit = 0; bit < bits; bit++) {
      const altered = sealed.envelope.slice();
      altered[bit >> 3] = (altered[bit >> 3] as number) ^ (1 << (bit & 7));
      const code = await errorCode(sealer.open("oauth-tokens", sealed.blindedId, altered));
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    expect(Object.fromEntries(codes)).toEqual({ TAMPERED: bits });
  });

  it("truncated or extended envelopes throw TAMPERED", async () => {
    const sealed = await sealer.seal("oauth-tokens", "gh:42", "token");
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: sealed.envelope.length - 1 }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        async (cut, extra) => {
          const truncated = sealed.envelope.slice(0, cut);
          expect(await errorCode(sealer.open("oauth-tokens", sealed.blindedId, truncated))).toBe(
            "TAMPERED",
          );
          const extended = new Uint8Array([...sealed.envelope, ...extra]);
          expect(await errorCode(sealer.open("oauth-tokens", sealed.blindedId, extended))).toBe(
            "TAMPERED",
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it("an envelope opened under another store id or blinded id throws TAMPERED", async () => {
    await fc.assert(
      fc.asyncProperty(storeId, storeId, key, key, value, async (s1, s2, k1, k2, v) => {
        fc.pre(s1 !== s2 && k1 !== k2);
        const sealed = await sealer.seal(s1, k1, v);
        const otherId = await sealer.blindKey(s1, k2);
        expect(await errorCode(sealer.open(s2, sealed.blindedId, sealed.envelope))).toBe(
          "TAMPERED",
        );
        expect(await errorCode(sealer.open(s1, otherId, sealed.envelope))).toBe("TAMPERED");
      }),
      { numRuns: 100 },
    );
  });

  it("a wrong secret throws WRONG_SECRET", async () => {
    await fc.assert(
      fc.asyncProperty(storeId, key, value, async (s, k, v) => {
        const stranger = createSealer({ secret: generateSecret() });
        const sealed = await stranger.seal(s, k, v);
        expect(await errorCode(sealer.open(s, sealed.blindedId, sealed.envelope))).toBe(
          "WRONG_SECRET",
        );
      }),
      { numRuns: 50 },
    );
  });

  it("random bytes never open, never hang, and fail with a CofferError", async () => {
    const blindedId = await sealer.blindKey("oauth-tokens", "gh:42");
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const code = await errorCode(sealer.open("oauth-tokens", blindedId, bytes));
        expect(["TAMPERED", "WRONG_SECRET", "UNSUPPORTED_VERSION"]).toContain(code);
      }),
      { numRuns: 500 },
    );
  });

  it("a sealed envelope relabelled with another version number throws UNSUPPORTED_VERSION", async () => {
    // Only a version byte one bit away from 0x01 is corruption (TAMPERED, see the bit flips above).
    const sealed = await sealer.seal("oauth-tokens", "gh:42", "ghp_token");
    for (const version of [2, 4, 6, 7, 0x7f, 99, 0xff]) {
      const relabelled = sealed.envelope.slice();
      relabelled[0] = version;
      expect(await errorCode(sealer.open("oauth-tokens", sealed.blindedId, relabelled))).toBe(
        "UNSUPPORTED_VERSION",
      );
    }
    for (const version of [0, 3, 5, 9, 0x11, 0x21, 0x41, 0x81]) {
      const flipped = sealed.envelope.slice();
      flipped[0] = version;
      expect(await errorCode(sealer.open("oauth-tokens", sealed.blindedId, flipped))).toBe(
        "TAMPERED",
      );
    }
  });

  it("an envelope of a newer format version throws UNSUPPORTED_VERSION", async () => {
    const blindedId = await sealer.blindKey("oauth-tokens", "gh:42");
    const future = new Uint8Array(200).fill(7);
    future[0] = 2;
    expect(await errorCode(sealer.open("oauth-tokens", blindedId, future))).toBe(
      "UNSUPPORTED_VERSION",
    );
  });
});
