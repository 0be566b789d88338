// Writes test/vectors/v1.json. Run with `pnpm vectors` only when the format version changes:
// the point of the file is that envelopes of version 1 never change.
import { writeFileSync } from "node:fs";
import { createSealer } from "../src/index.js";
import { hex, sealVector, type Vector } from "./vector-format.js";

const secretFrom = (seed: number) =>
  `coffer_secret_${btoa(
    String.fromCharCode(...Array.from({ length: 32 }, (_, i) => (seed * 31 + i * 7) & 255)),
  )
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "")}`;
const A = secretFrom(1);
const B = secretFrom(2);
const PASSPHRASE = "a passphrase of more than thirty-two characters";
const nonce = (seed: number) =>
  hex.encode(Uint8Array.from({ length: 24 }, (_, i) => (seed + i * 13) & 255));

type Input = Partial<Vector> & Pick<Vector, "name" | "key">;
const inputs: Input[] = [
  { name: "ascii key and token", key: "gh:42", value: "ghp_16C7e42F292c6912E7710c838347Ae178B4a" },
  { name: "empty value", key: "gh:42", value: "" },
  { name: "unicode key and value", key: "用户:42 ☃", value: "🔐 clé secrète — ключ" },
  {
    name: "json string value",
    key: "google:7",
    value: '{"refresh_token":"1//0g","scope":"email"}',
  },
  {
    name: "control characters and html",
    key: "k\twith\ttabs",
    value: 'a\nb\r\n"q" <script>x</script>',
  },
  { name: "1000-character key", key: "k".repeat(1000), value: "v" },
  { name: "4096-byte key (the maximum)", key: "é".repeat(2048), value: "v" },
  { name: "byte value", key: "raw:1", valueHex: "00ff10203040" },
  { name: "bucket 64 (smallest)", key: "b", value: "x" },
  { name: "bucket 64 (full)", key: "b", value: "x".repeat(60) },
  { name: "bucket 128", key: "b", value: "x".repeat(100) },
  { name: "bucket 256", key: "b", value: "x".repeat(200) },
  { name: "bucket 512", key: "b", value: "x".repeat(400) },
  { name: "padme 544", key: "b", value: "x".repeat(520) },
  { name: "padme 1088 (1 KiB value)", key: "b", value: "x".repeat(1024) },
  { name: "padme 4352 (4 KiB value)", key: "b", value: "x".repeat(4096) },
  { name: "padme 17408 (16 KiB value)", key: "b", value: "x".repeat(16384) },
  { name: "no padding", key: "gh:42", value: "ghp_token", padding: "none" },
  { name: "no padding, empty value", key: "k", value: "", padding: "none" },
  { name: "another store", key: "gh:42", value: "12345-67890", storeId: "recovery-codes" },
  { name: "longest store id", key: "k", value: "v", storeId: `s${"_-9".repeat(21)}` },
  {
    name: "previous secret",
    key: "gh:42",
    value: "sealed before rotation",
    openWith: { secret: B, previousSecrets: [A] },
    stale: true,
  },
  {
    name: "passphrase secret",
    key: "gh:42",
    value: "token",
    sealSecret: PASSPHRASE,
    openWith: { secret: PASSPHRASE, previousSecrets: [] },
  },
  // Added after the first 23; the vectors above are unchanged.
  { name: "empty key", key: "", value: "v" },
];

const vectors: Vector[] = [];
for (const [i, input] of inputs.entries()) {
  const base = {
    name: input.name,
    sealSecret: input.sealSecret ?? A,
    openWith: input.openWith ?? { secret: A, previousSecrets: [] },
    padding: input.padding ?? "buckets",
    storeId: input.storeId ?? "oauth-tokens",
    key: input.key,
    ...(input.valueHex === undefined ? { value: input.value ?? "" } : { valueHex: input.valueHex }),
    nonce: nonce(i),
  } as const;
  const sealed = await sealVector(base);
  vectors.push({
    ...base,
    keyId: await createSealer({ secret: base.sealSecret }).keyId(),
    blindedId: sealed.blindedId,
    envelope: hex.encode(sealed.envelope),
    stale: input.stale ?? false,
  });
}
const out = new URL("./vectors/v1.json", import.meta.url);
writeFileSync(out, `${JSON.stringify({ format: "coffer envelope v1", vectors }, null, 1)}\n`);
console.log(`wrote ${vectors.length} vectors to ${out.pathname}`);
