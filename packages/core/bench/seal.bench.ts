// `pnpm bench` in packages/core: seal and open per operation, Coffer against Stack Auth's Data
// Vault scheme (the floor users would otherwise get) and node:crypto's native ChaCha20-Poly1305
// (the ceiling), all measured interleaved in one run. `--json` prints the figures by name.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { createSealer, generateSecret } from "@coffer/core";
import { formatUs, machine, measure } from "./harness.js";
import { stackOpen, stackSeal } from "./stack-auth-scheme.js";

const SIZES = [
  ["32 B", 32],
  ["1 KiB", 1024],
  ["4 KiB", 4096],
  ["64 KiB", 64 * 1024],
  ["1 MiB", 1024 * 1024],
] as const;
const STORE = "oauth-tokens";
const KEY = "gh:1234567";

const secret = generateSecret();
const sealer = createSealer({ secret });
const nativeKey = randomBytes(32);
// Native AEAD gets associated data of the same size Coffer binds (version, key id, store, blinded id).
const nativeAad = randomBytes(1 + 8 + 1 + STORE.length + 1 + 43);

function nativeSeal(value: Uint8Array) {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("chacha20-poly1305", nativeKey, nonce, { authTagLength: 16 });
  cipher.setAAD(nativeAad, { plaintextLength: value.length });
  const body = cipher.update(value);
  cipher.final();
  return { nonce, body, tag: cipher.getAuthTag() };
}

function nativeOpen(sealed: ReturnType<typeof nativeSeal>) {
  const decipher = createDecipheriv("chacha20-poly1305", nativeKey, sealed.nonce, {
    authTagLength: 16,
  });
  decipher.setAAD(nativeAad, { plaintextLength: sealed.body.length });
  decipher.setAuthTag(sealed.tag);
  const plain = decipher.update(sealed.body);
  decipher.final();
  return plain;
}

interface Row {
  size: string;
  bytes: number;
  op: "seal" | "open";
  cofferUs: number;
  nativeUs: number;
  stackAuthUs: number;
  vsNative: number;
  vsStackAuth: number;
}

const rows: Row[] = [];
for (const [size, bytes] of SIZES) {
  const value = new Uint8Array(randomBytes(bytes));
  const sealed = await sealer.seal(STORE, KEY, value);
  const native = nativeSeal(value);
  const stack = await stackSeal(STORE, KEY, secret, value);
  const results = await measure([
    { name: "coffer seal", run: () => sealer.seal(STORE, KEY, value) },
    { name: "native seal", run: () => nativeSeal(value) },
    { name: "coffer open", run: () => sealer.open(STORE, sealed.blindedId, sealed.envelope) },
    { name: "native open", run: () => nativeOpen(native) },
  ]);
  // The Stack Auth scheme takes ~100 ms an operation: fewer, single-op batches suffice.
  const slow = await measure(
    [
      { name: "stack seal", run: () => stackSeal(STORE, KEY, secret, value) },
      { name: "stack open", run: () => stackOpen(STORE, KEY, secret, stack.envelope) },
    ],
    { rounds: 5, batchMs: 1 },
  );
  const us = (name: string) =>
    [...results, ...slow].find((r) => r.name === name)?.medianUs ?? Number.NaN;
  for (const op of ["seal", "open"] as const) {
    const cofferUs = us(`coffer ${op}`);
    const nativeUs = us(`native ${op}`);
    const stackAuthUs = us(`stack ${op}`);
    rows.push({
      size,
      bytes,
      op,
      cofferUs,
      nativeUs,
      stackAuthUs,
      vsNative: cofferUs / nativeUs,
      vsStackAuth: stackAuthUs / cofferUs,
    });
  }
}

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
];

if (process.argv.includes("--json")) {
  console.log(JSON.stringify({ machine: machine(), rows, targets }, null, 2));
} else {
  console.log(`@coffer/core sealing benchmark — ${machine()}`);
  console.log(
    "Medians per operation. 'coffer seal' is blindKey + seal; ratios are from this run.\n",
  );
  console.table(
    rows.map((r) => ({
      size: r.size,
      op: r.op,
      coffer: formatUs(r.cofferUs),
      "native chacha": formatUs(r.nativeUs),
      "coffer/native": `${r.vsNative.toFixed(2)}x`,
      "stack auth": formatUs(r.stackAuthUs),
      "stack/coffer": `${Math.round(r.vsStackAuth).toLocaleString("en")}x`,
    })),
  );
  for (const t of targets) console.log(`${t.ok ? "met " : "MISS"}  ${t.name}: ${t.figure}`);
}
