// Run in a fresh process by seal.bench.ts: how long the very first seal of a new sealer takes
// (secret parsing, key derivation, first store keys), cold JIT included; then the same for a
// second sealer with another secret in the now-warm process, which is the derivation alone.
import { createSealer, generateSecret } from "@coffer/core";

const passphrase = process.argv[2] === "passphrase";
async function firstSeal(n: number): Promise<number> {
  const secret = passphrase
    ? `a passphrase secret of more than 32 characters #${n}`
    : generateSecret();
  const start = performance.now();
  await createSealer({ secret }).seal("oauth-tokens", "gh:42", "ghp_first");
  return performance.now() - start;
}
const coldMs = await firstSeal(1);
const warmMs = await firstSeal(2);
console.log(JSON.stringify({ coldMs, warmMs }));
