// Nonces come from a pool refilled by crypto.getRandomValues 4 KiB at a time: one call per
// ~170 seals instead of one per seal. Each pooled byte is handed out once and then zeroed.
const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let used = POOL_BYTES;

/** Fills `target` with fresh random bytes and returns it. */
export function fillRandom(target: Uint8Array): Uint8Array {
  if (target.length > POOL_BYTES) return globalThis.crypto.getRandomValues(target);
  if (used + target.length > POOL_BYTES) {
    globalThis.crypto.getRandomValues(pool);
    used = 0;
  }
  const slice = pool.subarray(used, used + target.length);
  target.set(slice);
  slice.fill(0);
  used += target.length;
  return target;
}
