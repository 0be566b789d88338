// Replays the known-answer vectors: any change to key derivation, blinding, padding or the
// envelope layout of version 1 breaks this test.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createSealer } from "../src/index.js";
import { hex, sealVector, type Vector } from "./vector-format.js";

const { vectors } = JSON.parse(
  readFileSync(new URL("./vectors/v1.json", import.meta.url), "utf8"),
) as { vectors: Vector[] };

describe("known-answer vectors (format v1)", () => {
  it("has at least 20 vectors", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(20);
  });

  it.each(vectors.map((v) => [v.name, v] as const))("%s", async (_name, v) => {
    const sealed = await sealVector(v);
    expect(sealed.blindedId).toBe(v.blindedId);
    expect(sealed.keyId).toBe(v.keyId);
    expect(hex.encode(sealed.envelope)).toBe(v.envelope);

    const sealer = createSealer(v.openWith);
    const opened = await sealer.open(v.storeId, v.blindedId, hex.decode(v.envelope));
    expect(opened.key).toBe(v.key);
    if (v.valueHex === undefined) expect(opened.value).toBe(v.value);
    else expect(hex.encode(opened.value as Uint8Array)).toBe(v.valueHex);
    expect(opened.keyId).toBe(v.keyId);
    expect(opened.stale).toBe(v.stale);
    expect(await createSealer({ secret: v.sealSecret }).blindKey(v.storeId, v.key)).toBe(
      v.blindedId,
    );
  });
});
