// An independent reading of SPEC.md: derives keys, blinds, seals and opens with node:crypto only
// (HKDF, HMAC, scrypt, ChaCha20-Poly1305, plus HChaCha20 written out below), sharing no code with
// src/, and checks every known-answer vector. If SPEC.md and the code disagree, this fails.
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  scryptSync,
  timingSafeEqual,
} from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Vector } from "./vector-format.js";

const { vectors } = JSON.parse(
  readFileSync(new URL("./vectors/v1.json", import.meta.url), "utf8"),
) as { vectors: Vector[] };

const hmac = (key: Buffer, ...parts: Buffer[]) => {
  const h = createHmac("sha256", key);
  for (const p of parts) h.update(p);
  return h.digest();
};

// SPEC §2. Node's hkdfSync always runs Extract first, so HKDF-Expand is written out (RFC 5869 §2.3).
function hkdfExpand(prk: Buffer, info: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(blocks).length < length; i++) {
    previous = hmac(prk, previous, info, Buffer.from([i]));
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}
// SPEC §1 and §2.
function keysFor(secret: string, storeId: string) {
  const ikm = secret.startsWith("coffer_secret_")
    ? Buffer.from(secret.slice(14), "base64url")
    : scryptSync(secret.normalize("NFC"), "coffer/v1 passphrase", 32, {
        N: 2 ** 15,
        r: 8,
        p: 1,
        maxmem: 64 * 2 ** 20,
      });
  const prk = hmac(Buffer.from("coffer/v1"), ikm);
  const expand = (info: string, length: number) => hkdfExpand(prk, Buffer.from(info), length);
  return {
    keyId: expand("coffer/v1 key-id", 8),
    blind: expand(`coffer/v1 blind-key\0${storeId}`, 32),
    commit: expand(`coffer/v1 commit-key\0${storeId}`, 32),
    seal: expand(`coffer/v1 seal-key\0${storeId}`, 32),
  };
}

// HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2): 20 ChaCha rounds, no final addition,
// output words 0..3 and 12..15.
function hchacha20(key: Buffer, nonce16: Buffer): Buffer {
  const s = new Uint32Array(16);
  s.set([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
  for (let i = 0; i < 8; i++) s[4 + i] = key.readUInt32LE(i * 4);
  for (let i = 0; i < 4; i++) s[12 + i] = nonce16.readUInt32LE(i * 4);
  const rotl = (v: number, n: number) => (v << n) | (v >>> (32 - n));
  const w = (i: number) => s[i] as number;
  // RFC 8439 §2.1 quarter round; the Uint32Array wraps the additions mod 2^32.
  const qr = (a: number, b: number, c: number, d: number) => {
    s[a] = w(a) + w(b);
    s[d] = rotl(w(d) ^ w(a), 16);
    s[c] = w(c) + w(d);
    s[b] = rotl(w(b) ^ w(c), 12);
    s[a] = w(a) + w(b);
    s[d] = rotl(w(d) ^ w(a), 8);
    s[c] = w(c) + w(d);
    s[b] = rotl(w(b) ^ w(c), 7);
  };
  for (let i = 0; i < 10; i++) {
    qr(0, 4, 8, 12);
    qr(1, 5, 9, 13);
    qr(2, 6, 10, 14);
    qr(3, 7, 11, 15);
    qr(0, 5, 10, 15);
    qr(1, 6, 11, 12);
    qr(2, 7, 8, 13);
    qr(3, 4, 9, 14);
  }
  const out = Buffer.alloc(32);
  for (const [i, w] of [0, 1, 2, 3, 12, 13, 14, 15].entries())
    out.writeUInt32LE(s[w] as number, i * 4);
  return out;
}

function xchacha(key: Buffer, nonce: Buffer) {
  return {
    subkey: hchacha20(key, nonce.subarray(0, 16)),
    iv: Buffer.concat([Buffer.alloc(4), nonce.subarray(16)]),
  };
}

function ad(keyId: Buffer, storeId: string, blindedId: string): Buffer {
  return Buffer.concat([
    Buffer.from([1]),
    keyId,
    Buffer.from([storeId.length]),
    Buffer.from(storeId),
    Buffer.from([blindedId.length]),
    Buffer.from(blindedId),
  ]);
}

function readUvarint(b: Buffer, at: number): [number, number] {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = b[at++] as number;
    value += (byte & 0x7f) * 2 ** shift;
    if (!(byte & 0x80)) return [value, at];
  }
}

describe("SPEC.md, implemented independently with node:crypto", () => {
  it.each(vectors.map((v) => [v.name, v] as const))("%s", (_name, v) => {
    const keys = keysFor(v.sealSecret, v.storeId);
    expect(keys.keyId.toString("hex")).toBe(v.keyId);
    const blindedId = hmac(keys.blind, Buffer.from(v.key)).toString("base64url");
    expect(blindedId).toBe(v.blindedId);

    const envelope = Buffer.from(v.envelope, "hex");
    expect(envelope[0]).toBe(1);
    expect(envelope.subarray(1, 9).equals(keys.keyId)).toBe(true);
    const nonce = envelope.subarray(9, 33);
    expect(nonce.toString("hex")).toBe(v.nonce);
    const assoc = ad(keys.keyId, v.storeId, blindedId);
    expect(timingSafeEqual(envelope.subarray(33, 65), hmac(keys.commit, nonce, assoc))).toBe(true);

    const { subkey, iv } = xchacha(keys.seal, nonce);
    const body = envelope.subarray(65, -16);
    const decipher = createDecipheriv("chacha20-poly1305", subkey, iv, { authTagLength: 16 });
    decipher.setAAD(assoc, { plaintextLength: body.length });
    decipher.setAuthTag(envelope.subarray(-16));
    const payload = Buffer.concat([decipher.update(body), decipher.final()]);

    const [keyLength, keyAt] = readUvarint(payload, 1);
    expect(payload.subarray(keyAt, keyAt + keyLength).toString()).toBe(v.key);
    const [valueLength, valueAt] = readUvarint(payload, keyAt + keyLength);
    const value = payload.subarray(valueAt, valueAt + valueLength);
    if (v.valueHex === undefined) {
      expect(payload[0]).toBe(1);
      expect(value.toString()).toBe(v.value);
    } else {
      expect(payload[0]).toBe(2);
      expect(value.toString("hex")).toBe(v.valueHex);
    }
    expect(payload.subarray(valueAt + valueLength).every((b) => b === 0)).toBe(true);

    // And sealing by the spec gives the same bytes.
    const cipher = createCipheriv("chacha20-poly1305", subkey, iv, { authTagLength: 16 });
    cipher.setAAD(assoc, { plaintextLength: payload.length });
    const resealed = Buffer.concat([
      envelope.subarray(0, 65),
      cipher.update(payload),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    expect(resealed.equals(envelope)).toBe(true);
  });
});
