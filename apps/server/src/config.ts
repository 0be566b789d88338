// Configuration of the vault service. Every setting has a flag (CLI) and an environment variable;
// the CLI reads both through commander and hands the result here.
import { resolve } from "node:path";

export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  masterKey: string | undefined;
  previousMasterKeys: string | undefined;
  /** Largest client value accepted, before sealing overhead (VALUE_TOO_LARGE above it). */
  maxValueBytes: number;
  /** Requests per minute per API key; 0 turns rate limiting off. */
  rateLimitPerMinute: number;
  /** Time a client has to send a whole request (headers and body): a stalled body gets 408. */
  requestTimeoutMs: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
}

export const DEFAULTS = {
  host: "127.0.0.1",
  port: 4747,
  dataDir: ".coffer",
  maxValueBytes: 1024 * 1024,
  rateLimitPerMinute: 60_000,
  requestTimeoutMs: 30_000,
  logLevel: "info",
} as const;

export function resolveConfig(partial: Partial<ServerConfig>): ServerConfig {
  return {
    host: partial.host ?? DEFAULTS.host,
    port: partial.port ?? DEFAULTS.port,
    dataDir: resolve(partial.dataDir ?? DEFAULTS.dataDir),
    databaseUrl: partial.databaseUrl || undefined,
    masterKey: partial.masterKey || undefined,
    previousMasterKeys: partial.previousMasterKeys || undefined,
    maxValueBytes: partial.maxValueBytes ?? DEFAULTS.maxValueBytes,
    rateLimitPerMinute: partial.rateLimitPerMinute ?? DEFAULTS.rateLimitPerMinute,
    requestTimeoutMs: partial.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    logLevel: partial.logLevel ?? DEFAULTS.logLevel,
  };
}

/** Key length the envelope bound allows for beside a value of the limit (keys are short). */
export const KEY_ALLOWANCE_BYTES = 256;

/**
 * Largest envelope accepted for a value limit. The server never sees values, only envelopes
 * (@coffer/core SPEC.md §4–5): a 65-byte header and 16-byte tag around the payload
 * `type ‖ varint(len key) ‖ key ‖ varint(len value) ‖ value`, padded to its size class. The bound
 * is the envelope of a value at the limit under a key of up to 256 bytes, padding included, so an
 * allowed value always fits and a larger one is refused once it leaves that size class (at 1 MiB
 * the class spans 32 KiB; at 1 KiB, 64 bytes). Longer keys are absorbed by the class at large
 * limits (a 4 KiB key fits beside a 1 MiB value).
 */
export function maxEnvelopeBytes(maxValueBytes: number): number {
  const payload =
    1 +
    varintLength(KEY_ALLOWANCE_BYTES) +
    KEY_ALLOWANCE_BYTES +
    varintLength(maxValueBytes) +
    maxValueBytes;
  return 65 + paddedLength(payload) + 16;
}

const varintLength = (n: number) => (n < 2 ** 7 ? 1 : n < 2 ** 14 ? 2 : n < 2 ** 21 ? 3 : 4);

/** The size classes of SPEC.md §5 ("buckets"), the largest padding a client applies. */
function paddedLength(length: number): number {
  if (length <= 64) return 64;
  if (length <= 512) return 2 ** Math.ceil(Math.log2(length));
  const e = Math.floor(Math.log2(length));
  const step = 2 ** (e - (Math.floor(Math.log2(e)) + 1));
  return Math.ceil(length / step) * step;
}
