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

/**
 * Largest envelope accepted for a value limit: the client pads values (Padmé, ≤ 12%) and adds its
 * header, key and tag (< 4.2 KiB with the longest key), so an envelope of an allowed value fits.
 */
export function maxEnvelopeBytes(maxValueBytes: number): number {
  return Math.ceil(maxValueBytes * 1.125) + 8192;
}
