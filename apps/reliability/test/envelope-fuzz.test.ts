// Envelope fuzzing on open(): random bytes and mutations of real envelopes (bit flips, truncation,
// extension, splices, header fields, envelopes moved to another blinded id, store or secret). Every
// case must throw a CofferError, never return data, and finish fast. Then the same through the
// SDK: a tampered envelope stored on the real server makes getValue throw TAMPERED.
import { createSealer, createVault, generateSecret, isCofferError } from "@coffer/core";
import { startVault } from "@coffer/testing";
import { describe, expect, it } from "vitest";
import { Rng } from "../src/raw-http.js";
import { report } from "../src/report.js";
import { SIZE } from "../src/size.js";

const SEED = process.env.COFFER_FUZZ_SEED
  ? Number(process.env.COFFER_FUZZ_SEED)
  : Math.floor(Math.random() * 2 ** 32);
/** A generous bound for one open(): the whole work is a few hashes and one AEAD over ≤ 5 KiB. */
const PER_CASE_MAX_MS = 250;

const STORES = ["oauth-tokens", "recovery-codes"] as const;
const MUTATIONS = [
  "random",
  "bit-flip",
  "bit-flips",
  "truncate",
  "extend",
  "splice",
  "version",
  "newer-version",
  "key-id",
  "nonce",
  "commitment",
  "other-blinded-id",
  "other-store",
  "other-secret",
  "zero",
] as const;
type Mutation = (typeof MUTATIONS)[number];

describe("envelope fuzzing", () => {
  it(`throws a CofferError for each of ${SIZE.envelopeFuzzCases} random and mutated envelopes`, async () => {
    console.log(`[envelope-fuzz] seed ${SEED} (replay with COFFER_FUZZ_SEED=${SEED})`);
    const rng = new Rng(SEED);
    const secret = generateSecret();
    const sealer = createSealer({ secret, previousSecrets: [generateSecret()] });
    const stranger = createSealer({ secret: generateSecret() });
    const samples: Array<{ store: string; blindedId: string; envelope: Uint8Array }> = [];
    for (let i = 0; i < 40; i++) {
      const store = rng.pick(STORES);
      const value = rng.chance(0.5) ? "v".repeat(rng.int(2000)) : rng.bytes(rng.int(3000));
      const s = await sealer.seal(store, `key:${i}`, value);
      samples.push({ store, blindedId: s.blindedId, envelope: s.envelope });
      // Control: the unmodified envelope opens.
      expect((await sealer.open(store, s.blindedId, s.envelope)).key).toBe(`key:${i}`);
    }
    const foreign = await stranger.seal("oauth-tokens", "key:x", "x");

    const codes: Record<string, number> = {};
    const codesByMutation: Record<string, Record<string, number>> = {};
    const byMutation = Object.fromEntries(MUTATIONS.map((m) => [m, 0])) as Record<Mutation, number>;
    const failures: string[] = [];
    let slowest = 0;
    const started = performance.now();

    for (let i = 0; i < SIZE.envelopeFuzzCases; i++) {
      const mutation = MUTATIONS[i % MUTATIONS.length] as Mutation;
      const base = rng.pick(samples);
      let store: string = base.store;
      let blindedId = base.blindedId;
      let env: Uint8Array = new Uint8Array(base.envelope);
      switch (mutation) {
        case "random":
          env = rng.bytes(rng.int(4097));
          if (rng.chance(0.5) && env.length > 0) env[0] = 1; // a plausible version byte
          break;
        case "bit-flip": {
          const p = rng.int(env.length);
          env[p] = (env[p] as number) ^ (1 << rng.int(8));
          break;
        }
        case "bit-flips":
          for (let n = 2 + rng.int(7); n > 0; n--) {
            const p = rng.int(env.length);
            env[p] = (env[p] as number) ^ (1 << rng.int(8));
          }
          break;
        case "truncate":
          env = env.subarray(0, rng.int(env.length));
          break;
        case "extend":
          env = concat(
            env,
            rng.chance(0.5) ? new Uint8Array(1 + rng.int(64)) : rng.bytes(1 + rng.int(64)),
          );
          break;
        case "splice": {
          const other = rng.pick(samples).envelope;
          const from = rng.int(other.length);
          const piece = other.subarray(from, from + 1 + rng.int(64));
          const p = rng.int(env.length);
          env = concat(
            env.subarray(0, p),
            piece,
            env.subarray(p + (rng.chance(0.5) ? piece.length : 0)),
          );
          if (equal(env, base.envelope)) env = concat(env, new Uint8Array([0]));
          break;
        }
        case "version":
          // Corrupted: zero, or one bit away from 0x01 (SPEC.md §4).
          env[0] = rng.pick([0, 3, 5, 0x11, 0x81]);
          break;
        case "newer-version":
          // Relabelled as another format: read as the version it claims to be.
          env[0] = rng.pick([2, 4, 0x7f, 0x80, 0xff]);
          break;
        case "key-id":
          env.set(rng.chance(0.5) ? foreign.envelope.subarray(1, 9) : rng.bytes(8), 1);
          break;
        case "nonce":
          env.set(rng.bytes(1 + rng.int(24)), 9);
          break;
        case "commitment":
          env.set(rng.bytes(1 + rng.int(32)), 33 + rng.int(4));
          break;
        case "other-blinded-id": {
          const other = samples.find((s) => s.blindedId !== base.blindedId) ?? base;
          blindedId = other.blindedId;
          break;
        }
        case "other-store":
          store = STORES.find((s) => s !== base.store) as string;
          break;
        case "other-secret":
          env = new Uint8Array(foreign.envelope);
          store = "oauth-tokens";
          blindedId = foreign.blindedId;
          break;
        case "zero":
          env = new Uint8Array(rng.int(200));
          break;
      }
      // Random bytes written over a field can equal what was there (a 1-byte nonce patch does
      // 1 time in 256): then this case would test nothing, so make it a real change.
      if (store === base.store && blindedId === base.blindedId && equal(env, base.envelope)) {
        const p = { "key-id": 1, nonce: 9, commitment: 33 }[mutation as string] ?? 0;
        env[p] = (env[p] as number) ^ 1;
      }
      byMutation[mutation]++;
      const t0 = performance.now();
      try {
        await sealer.open(store, blindedId, env);
        failures.push(`#${i} ${mutation}: opened`);
      } catch (error) {
        if (!isCofferError(error)) failures.push(`#${i} ${mutation}: ${String(error)}`);
        else {
          codes[error.code] = (codes[error.code] ?? 0) + 1;
          const m = codesByMutation[mutation] ?? {};
          codesByMutation[mutation] = m;
          m[error.code] = (m[error.code] ?? 0) + 1;
        }
      }
      const ms = performance.now() - t0;
      slowest = Math.max(slowest, ms);
      if (ms > PER_CASE_MAX_MS) failures.push(`#${i} ${mutation}: took ${ms.toFixed(1)} ms`);
    }
    const totalMs = performance.now() - started;
    report("envelope-fuzz", {
      seed: SEED,
      cases: SIZE.envelopeFuzzCases,
      byMutation,
      codes,
      codesByMutation,
      returnedData: failures.filter((f) => f.endsWith("opened")).length,
      nonCofferErrors: failures.filter((f) => !f.endsWith("opened") && !f.includes("took")).length,
      totalMs: Math.round(totalMs),
      meanUs: Math.round((totalMs / SIZE.envelopeFuzzCases) * 1000),
      slowestMs: Math.round(slowest * 100) / 100,
      perCaseBoundMs: PER_CASE_MAX_MS,
    });
    expect(failures.slice(0, 20)).toEqual([]);
    // Tampering is told apart from a wrong secret: both appear, nothing else than the spec's codes.
    expect(codes.TAMPERED).toBeGreaterThan(0);
    expect(codes.WRONG_SECRET).toBeGreaterThan(0);
    // SPEC.md §4: any change to an envelope of ours is TAMPERED, never a wrong secret or version.
    // Several flips (or an inserted splice, shifting every field) may hit both the key id and the commitment: then no check can tell a foreign
    // envelope from ours, and WRONG_SECRET (or UNSUPPORTED_VERSION) is the honest answer.
    const loose = ["random", "zero", "other-secret", "newer-version", "bit-flips", "splice"];
    for (const m of MUTATIONS.filter((m) => !loose.includes(m))) {
      expect(Object.keys(codesByMutation[m] ?? {}), m).toEqual(["TAMPERED"]);
    }
    expect(codesByMutation["other-secret"]).toEqual({ WRONG_SECRET: byMutation["other-secret"] });
    expect(codesByMutation["newer-version"]).toEqual({
      UNSUPPORTED_VERSION: byMutation["newer-version"],
    });
    for (const code of Object.keys(codes)) {
      expect(["TAMPERED", "WRONG_SECRET", "UNSUPPORTED_VERSION"]).toContain(code);
    }
  }, 300_000);

  it("makes the SDK's getValue throw TAMPERED for an envelope altered on the server", async () => {
    const server = await startVault("sqlite");
    try {
      await server.createStore("oauth-tokens");
      const apiKey = await server.createApiKey();
      const secret = generateSecret();
      const vault = createVault({ url: server.url, apiKey, secret });
      const store = await vault.getDataVaultStore("oauth-tokens");
      await store.setValue("gh:1", "ghp_original");
      expect(await store.getValue("gh:1")).toBe("ghp_original");

      // The attacker holds the server: rewrite the stored envelope with one bit flipped.
      const sealer = createSealer({ secret });
      const blindedId = await sealer.blindKey("oauth-tokens", "gh:1");
      const path = `${server.url}/v1/stores/oauth-tokens/entries/${blindedId}`;
      const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
      const got = (await (await fetch(path, { headers })).json()) as {
        keyId: string;
        envelope: string;
      };
      const bytes = Buffer.from(got.envelope, "base64url");
      bytes[bytes.length - 20] = (bytes[bytes.length - 20] as number) ^ 0x01;
      const put = await fetch(path, {
        method: "PUT",
        headers,
        body: JSON.stringify({ keyId: got.keyId, envelope: bytes.toString("base64url") }),
      });
      expect(put.status).toBe(200);
      await expect(store.getValue("gh:1")).rejects.toMatchObject({ code: "TAMPERED" });
    } finally {
      await server.close();
    }
  });
});

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
