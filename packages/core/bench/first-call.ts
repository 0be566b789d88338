// Run in a fresh process by seal.bench.ts: how long the very first seal of a new sealer takes
// (secret parsing, key derivation, first store keys), cold JIT included; then the same for a
// second sealer with another secret in the now-warm process, which is the derivation alone; then
// a third sealer on the first secret again, which must pay no derivation at all (a passphrase is
// stretched once per process).
import { createSealer, generateSecret } from "@coffer/core";

const passphrase = process.argv[2] === "passphrase";
const secretFor = (n: number) =>
  passphrase ? `a passphrase secret of more than 32 characters #${n}` : generateSecret();
async function firstSeal(secret: string): Promise<number> {
  const start = performance.now();
  await createSealer({ secret }).seal("oauth-tokens", "gh:42", "ghp_first");
  return performance.now() - start;
}
const first = secretFor(1);
const coldMs = await firstSeal(first);
const warmMs = await firstSeal(secretFor(2));
const sameSecretMs = await firstSeal(first);
console.log(JSON.stringify({ coldMs, warmMs, sameSecretMs }));
