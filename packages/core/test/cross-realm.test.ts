// Bytes made in another JavaScript realm (a vm context, Jest's per-file sandbox, a worker's
// structured clone) fail `instanceof Uint8Array`; the sealer accepts them as bytes all the same.
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { createSealer, generateSecret } from "../src/index.js";

const foreignBytes = (bytes: number[]): Uint8Array =>
  runInNewContext("(b) => new Uint8Array(b)")(bytes) as Uint8Array;

describe("Uint8Arrays of another realm", () => {
  const sealer = createSealer({ secret: generateSecret() });

  it("seal takes them as byte values", async () => {
    const value = foreignBytes([0, 1, 2, 255]);
    expect(value instanceof Uint8Array).toBe(false);
    const sealed = await sealer.seal("oauth-tokens", "raw", value);
    const opened = await sealer.open("oauth-tokens", sealed.blindedId, sealed.envelope);
    expect(Array.from(opened.value as Uint8Array)).toEqual([0, 1, 2, 255]);
  });

  it("open takes them as envelopes", async () => {
    const sealed = await sealer.seal("oauth-tokens", "gh:42", "ghp_token");
    const envelope = foreignBytes(Array.from(sealed.envelope));
    const opened = await sealer.open("oauth-tokens", sealed.blindedId, envelope);
    expect(opened.value).toBe("ghp_token");
  });

  it("still refuses other typed arrays and look-alikes", async () => {
    for (const value of [
      runInNewContext("new Uint16Array(4)"),
      { constructor: { name: "Uint8Array" }, length: 1, 0: 1 },
    ]) {
      await expect(sealer.seal("oauth-tokens", "k", value)).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
      });
    }
  });
});

describe("Node Buffers", () => {
  const sealer = createSealer({ secret: generateSecret() });

  it("open takes envelopes decoded into pooled Buffers, at any byte offset", async () => {
    const sealed = await sealer.seal("oauth-tokens", "gh:42", "ghp_token");
    const wire = Buffer.from(sealed.envelope).toString("base64url");
    for (let shift = 0; shift < 8; shift++) {
      Buffer.from("x".repeat(shift + 1)); // moves the pool's next offset
      const envelope = Buffer.from(wire, "base64url");
      const opened = await sealer.open("oauth-tokens", sealed.blindedId, envelope);
      expect(opened.value).toBe("ghp_token");
    }
  });
});
