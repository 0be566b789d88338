// `pnpm bench` in packages/core: seal and open per operation, Coffer against Stack Auth's Data
// Vault scheme (the floor users would otherwise get) and node:crypto's native ChaCha20-Poly1305
// (the ceiling), with @noble/ciphers' XChaCha20-Poly1305 alone as the reference for Coffer's own
// overhead; all measured interleaved in one run. `--json` prints the figures by name; `--quick`
// measures fewer sizes in fewer rounds (the root harness's smoke run).
import { execFileSync } from "node:child_process";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createSealer, generateSecret } from "@coffer/core";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { formatUs, machine, measure } from "./harness.js";
import { stackOpen, stackSeal } from "./stack-auth-scheme.js";

const QUICK = process.argv.includes("--quick");
const ALL_SIZES = [
  ["32 B", 32],
  ["1 KiB", 1024],
  ["4 KiB", 4096],
  ["64 KiB", 64 * 1024],
  ["1 MiB", 1024 * 1024],
] as const;
const SIZES = QUICK ? ALL_SIZES.slice(0, 3) : ALL_SIZES;
const ROUNDS = QUICK ? 7 : 15;
const FIRST_CALL_RUNS = QUICK ? 3 : 5;
const STORE = "oauth-tokens";
const KEY = "gh:1234567";
const ENVELOPE_OVERHEAD = 65 + 16; // header and tag (SPEC.md §4)

const secret = generateSecret();
const sealer = createSealer({ secret });
const key = randomBytes(32);
// The references get associated data of the size Coffer binds (version, key id, store, blinded id).
const aad = randomBytes(1 + 8 + 1 + STORE.length + 1 + 43);

function nativeSeal(plaintext: Uint8Array) {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
  cipher.setAAD(aad, { plaintextLength: plaintext.length });
  const body = cipher.update(plaintext);
  cipher.final();
  return { nonce, body, tag: cipher.getAuthTag() };
}

function nativeOpen(sealed: ReturnType<typeof nativeSeal>) {
  const decipher = createDecipheriv("chacha20-poly1305", key, sealed.nonce, { authTagLength: 16 });
  decipher.setAAD(aad, { plaintextLength: sealed.body.length });
  decipher.setAuthTag(sealed.tag);
  const plaintext = decipher.update(sealed.body);
  decipher.final();
  return plaintext;
}

function nobleSeal(plaintext: Uint8Array) {
  const nonce = randomBytes(24);
  return { nonce, ciphertext: xchacha20poly1305(key, nonce, aad).encrypt(plaintext) };
}

function nobleOpen(sealed: ReturnType<typeof nobleSeal>) {
  return xchacha20poly1305(key, sealed.nonce, aad).decrypt(sealed.ciphertext);
}

/** First seal of a new sealer, in milliseconds (see first-call.ts). */
interface FirstCall {
  /** The first code run in a fresh process, JIT included. */
  coldMs: number;
  /** A second secret in the same process: the derivation alone. */
  warmMs: number;
  /** A new sealer on the first secret again: no derivation (a passphrase is stretched once). */
  sameSecretMs: number;
}

/** Medians over 5 fresh processes (3 with --quick) of the first seal of a new sealer. */
function firstCall(kind: "generated" | "passphrase"): FirstCall {
  const script = fileURLToPath(new URL("./first-call.ts", import.meta.url));
  const runs = Array.from({ length: FIRST_CALL_RUNS }, () => {
    const args = ["--conditions=dev-source", "--import", "tsx", script, kind];
    return JSON.parse(execFileSync(process.execPath, args, { encoding: "utf8" })) as FirstCall;
  });
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  return {
    coldMs: median(runs.map((r) => r.coldMs)),
    warmMs: median(runs.map((r) => r.warmMs)),
    sameSecretMs: median(runs.map((r) => r.sameSecretMs)),
  };
}

/** One line of the table, as `--json` prints it (the root harness reads it). */
export interface Row {
  size: string;
  bytes: number;
  op: "seal" | "open";
  cofferUs: number;
  nobleUs: number;
  nativeUs: number;
  stackAuthUs: number;
  vsNoble: number;
  vsNative: number;
  vsStackAuth: number;
}

const rows: Row[] = [];
for (const [size, bytes] of SIZES) {
  const value = new Uint8Array(randomBytes(bytes));
  const sealed = await sealer.seal(STORE, KEY, value);
  // noble runs on the padded payload Coffer actually encrypts; native on the bare value.
  const payload = new Uint8Array(sealed.envelope.length - ENVELOPE_OVERHEAD);
  const nobleSealed = nobleSeal(payload);
  const nativeSealed = nativeSeal(value);
  const stackSealed = await stackSeal(STORE, KEY, secret, value);
  const fast = await measure(
    [
      { name: "coffer seal", run: () => sealer.seal(STORE, KEY, value) },
      { name: "noble seal", run: () => nobleSeal(payload) },
      { name: "native seal", run: () => nativeSeal(value) },
      { name: "coffer open", run: () => sealer.open(STORE, sealed.blindedId, sealed.envelope) },
      { name: "noble open", run: () => nobleOpen(nobleSealed) },
      { name: "native open", run: () => nativeOpen(nativeSealed) },
    ],
    { rounds: ROUNDS },
  );
  // The Stack Auth scheme takes ~50 ms an operation: fewer, single-op batches suffice.
  const slow = await measure(
    [
      { name: "stack seal", run: () => stackSeal(STORE, KEY, secret, value) },
      { name: "stack open", run: () => stackOpen(STORE, KEY, secret, stackSealed.envelope) },
    ],
    { rounds: QUICK ? 3 : 5, batchMs: 1 },
  );
  const us = (name: string) =>
    [...fast, ...slow].find((r) => r.name === name)?.medianUs ?? Number.NaN;
  for (const op of ["seal", "open"] as const) {
    const cofferUs = us(`coffer ${op}`);
    const nobleUs = us(`noble ${op}`);
    const nativeUs = us(`native ${op}`);
    const stackAuthUs = us(`stack ${op}`);
    rows.push({
      size,
      bytes,
      op,
      cofferUs,
      nobleUs,
      nativeUs,
      stackAuthUs,
      vsNoble: cofferUs / nobleUs,
      vsNative: cofferUs / nativeUs,
      vsStackAuth: stackAuthUs / cofferUs,
    });
  }
}
const firstSeal = { generated: firstCall("generated"), passphrase: firstCall("passphrase") };

const at = (size: string, op: string) => rows.find((r) => r.size === size && r.op === op);
const targets = [
  {
    name: "1 KiB blind+seal at least 1,000x faster than the Stack Auth scheme",
    ok: (at("1 KiB", "seal")?.vsStackAuth ?? 0) >= 1000,
    figure: `${at("1 KiB", "seal")?.vsStackAuth.toFixed(0)}x`,
  },
  ...["32 B", "1 KiB", "4 KiB"].map((size) => ({
    name: `${size} blind+seal within 2.5x of native ChaCha20-Poly1305`,
    ok: (at(size, "seal")?.vsNative ?? Number.POSITIVE_INFINITY) <= 2.5,
    figure: `${at(size, "seal")?.vsNative.toFixed(2)}x`,
  })),
  {
    name: "no slow KDF after the first: a new sealer on a stretched passphrase",
    ok: firstSeal.passphrase.sameSecretMs < 10,
    figure: `${firstSeal.passphrase.sameSecretMs.toFixed(2)} ms (first: ${firstSeal.passphrase.coldMs.toFixed(0)} ms)`,
  },
  {
    name: "first call with a generated secret well under 10 ms",
    ok: firstSeal.generated.coldMs < 10,
    figure: `${firstSeal.generated.coldMs.toFixed(1)} ms cold, ${firstSeal.generated.warmMs.toFixed(2)} ms warm`,
  },
];

if (process.argv.includes("--json")) {
  console.log(
    JSON.stringify({ machine: machine(), quick: QUICK, rows, firstSeal, targets }, null, 2),
  );
} else {
  console.log(`@coffer/core sealing benchmark — ${machine()}`);
  console.log(
    "Medians per operation; 'coffer seal' is blindKey + seal. 'noble' is @noble/ciphers' XChaCha20-Poly1305\n" +
      "alone on the padded payload, 'native' is node:crypto ChaCha20-Poly1305 on the bare value.\n",
  );
  console.table(
    rows.map((r) => ({
      size: r.size,
      op: r.op,
      coffer: formatUs(r.cofferUs),
      "noble aead": formatUs(r.nobleUs),
      native: formatUs(r.nativeUs),
      "stack auth": formatUs(r.stackAuthUs),
      "coffer/noble": `${r.vsNoble.toFixed(2)}x`,
      "coffer/native": `${r.vsNative.toFixed(2)}x`,
      "stack/coffer": `${Math.round(r.vsStackAuth).toLocaleString("en")}x`,
    })),
  );
  const { generated, passphrase } = firstSeal;
  console.log(
    `First seal of a new sealer, fresh process (cold JIT) / second secret in a warm process / the first secret again:\n` +
      `  generated secret ${generated.coldMs.toFixed(1)} ms / ${generated.warmMs.toFixed(2)} ms / ${generated.sameSecretMs.toFixed(2)} ms; ` +
      `passphrase (scrypt N=2^15) ${passphrase.coldMs.toFixed(0)} ms / ${passphrase.warmMs.toFixed(0)} ms / ${passphrase.sameSecretMs.toFixed(2)} ms\n`,
  );
  for (const t of targets) console.log(`${t.ok ? "met " : "MISS"}  ${t.name}: ${t.figure}`);
}
