// Credential checks take the same time for a wrong key whatever it gets right: a known id with a
// wrong secret, half the secret right, all but its last character right (and, bounded loosely, an
// unknown id). Measured in-process on the real
// Vault's authenticate functions (real SQLite, on a RAM disk when there is one so that fsync noise
// does not hide microseconds), classes interleaved in random order, medians compared and a
// Mann-Whitney U test between the unknown-id and known-id classes reported.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isCofferError } from "@coffer/core";
import { startVault, type TestVault } from "@coffer/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrincipals } from "../src/principals.js";
import { Rng } from "../src/raw-http.js";
import { report } from "../src/report.js";
import { SIZE } from "../src/size.js";

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const LOWER = "abcdefghijklmnopqrstuvwxyz0123456789";
/**
 * Among wrong keys with a known id, whatever part of the secret is right, medians may differ by
 * this ratio or by this many microseconds, whichever is larger: the secret is compared by hash in
 * constant time, so a right prefix must buy nothing.
 */
const MAX_RATIO = 1.05;
const MAX_DIFF_US = 2;
/**
 * An unknown id skips reading a row (~5 µs here). Ids are public identifiers (the `coffer_key_<id>`
 * prefix that listings and audit events show), so this is reported, and only bounded loosely.
 */
const MAX_ID_RATIO = 1.5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Mann-Whitney U, normal approximation: z and the probability that a sample of a beats one of b. */
function mannWhitney(a: number[], b: number[]): { z: number; pSuperiority: number } {
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort(
    (x, y) => x.v - y.v,
  );
  let rankA = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]?.v === all[i]?.v) j++;
    const rank = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (all[k]?.g === 0) rankA += rank;
    i = j;
  }
  const n1 = a.length;
  const n2 = b.length;
  const u = rankA - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const sd = Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12);
  return { z: (u - mean) / sd, pSuperiority: u / (n1 * n2) };
}

describe("credential timing", () => {
  let server: TestVault;
  let dataDir: string;
  let tokens: { key: string; keyId: string; admin: string; adminId: string };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "coffer-timing-"));
    server = await startVault("sqlite", { dataDir });
    const admin = server.running.bootstrap?.adminToken as string;
    const p = await createPrincipals(server.url, admin);
    const adminId = /^coffer_admin_([a-z0-9]{12})_/.exec(admin)?.[1] as string;
    tokens = { key: p.rw, keyId: p.ids.rw, admin, adminId };
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(["key", "admin"] as const)(
    "takes as long for any wrong %s, whatever its prefix",
    async (kind) => {
      const vault = server.running.vault;
      const rng = new Rng(42);
      const rand = (alphabet: string, n: number) =>
        Array.from({ length: n }, () => alphabet[rng.int(alphabet.length)]).join("");
      const real = kind === "key" ? tokens.key : tokens.admin;
      const id = kind === "key" ? tokens.keyId : tokens.adminId;
      const secret = real.slice(`coffer_${kind}_${id}_`.length);
      const wrongTail = (keep: number) => {
        let tail = rand(B64, 43 - keep);
        if (secret.slice(keep) === tail)
          tail = `${tail.slice(0, -1)}${tail.endsWith("A") ? "B" : "A"}`;
        return `coffer_${kind}_${id}_${secret.slice(0, keep)}${tail}`;
      };
      const classes: Record<string, () => string> = {
        "unknown id": () => `coffer_${kind}_${rand(LOWER, 12)}_${rand(B64, 43)}`,
        "known id, wrong secret": () => wrongTail(0),
        "known id, first half right": () => wrongTail(21),
        "known id, all but the last character right": () => wrongTail(42),
      };
      const authenticate = (header: string) =>
        kind === "key" ? vault.authenticateApiKey(header) : vault.authenticateAdmin(header);
      const samples: Record<string, number[]> = Object.fromEntries(
        Object.keys(classes).map((c) => [c, []]),
      );
      const names = Object.keys(classes);
      const warmup = 300;
      for (let round = 0; round < SIZE.timingSamples + warmup; round++) {
        // Fisher-Yates: each round visits every class in a fresh order.
        const order = [...names];
        for (let i = order.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [order[i], order[j]] = [order[j] as string, order[i] as string];
        }
        for (const name of order) {
          const header = `Bearer ${(classes[name] as () => string)()}`;
          const t0 = process.hrtime.bigint();
          try {
            await authenticate(header);
            throw new Error("a wrong credential was accepted");
          } catch (error) {
            if (!isCofferError(error) || error.code !== "UNAUTHORIZED") throw error;
          }
          const us = Number(process.hrtime.bigint() - t0) / 1000;
          if (round >= warmup) samples[name]?.push(us);
        }
      }
      const medians = Object.fromEntries(
        Object.entries(samples).map(([k, v]) => [k, Math.round(median(v) * 100) / 100]),
      );
      const secretClasses = names.filter((name) => name.startsWith("known id"));
      const values = secretClasses.map((name) => medians[name] as number);
      const lo = Math.min(...values);
      const hi = Math.max(...values);
      const idRatio =
        Math.max(lo, medians["unknown id"] as number) /
        Math.min(lo, medians["unknown id"] as number);
      const test = mannWhitney(
        samples["unknown id"] as number[],
        samples["known id, wrong secret"] as number[],
      );
      report(`credential-timing-${kind}`, {
        samplesPerClass: SIZE.timingSamples,
        mediansUs: medians,
        knownIdMaxOverMinRatio: Math.round((hi / lo) * 1000) / 1000,
        knownIdMaxMinusMinUs: Math.round((hi - lo) * 100) / 100,
        unknownVsKnownIdRatio: Math.round(idRatio * 1000) / 1000,
        mannWhitneyUnknownVsKnown: {
          z: Math.round(test.z * 100) / 100,
          probabilityUnknownSlower: Math.round(test.pSuperiority * 1000) / 1000,
        },
        bound: `known-id classes: ratio <= ${MAX_RATIO} or difference <= ${MAX_DIFF_US} us; unknown vs known id: ratio <= ${MAX_ID_RATIO}`,
        storage: dataDir.startsWith("/dev/shm") ? "sqlite on tmpfs" : "sqlite on disk",
      });
      expect(hi / lo <= MAX_RATIO || hi - lo <= MAX_DIFF_US, JSON.stringify(medians)).toBe(true);
      expect(idRatio, JSON.stringify(medians)).toBeLessThanOrEqual(MAX_ID_RATIO);
    },
    300_000,
  );
});
