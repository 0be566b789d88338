import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { CofferError } from "./errors.js";
import { fromBase64Url, invalidArgument, toBase64Url, toHex, utf8 } from "./internal/bytes.js";

/** Prefix of a secret made by {@link generateSecret}. */
export const SECRET_PREFIX = "coffer_secret_";
/** Shortest secret accepted, generated or passphrase. */
export const MIN_SECRET_LENGTH = 32;

const GENERATED_BYTES = 32;
const GENERATE_HINT =
  'Generate one with `npx @coffer/cli secret` (`coffer secret` where @coffer/cli is installed) or `generateSecret()` from "@coffer/core", and keep it in an environment variable such as COFFER_SECRET.';

// scrypt parameters for passphrase secrets. Part of envelope format v1: changing them changes
// every key. N = 2^15 (32 MiB) is the floor OWASP accepts for r = 8, p = 1, and it still fits the
// 128 MB memory of edge runtimes; generated secrets, which need no stretching, are recommended.
export const PASSPHRASE_SCRYPT = { N: 2 ** 15, r: 8, p: 1, dkLen: 32 } as const;
const PASSPHRASE_SALT = utf8("coffer/v1 passphrase");

/**
 * Generates a new secret: 256 random bits, base64url, prefixed `coffer_secret_`.
 *
 * @example
 * ```ts
 * import { generateSecret } from "@coffer/core";
 * console.log(`COFFER_SECRET=${generateSecret()}`);
 * ```
 */
export function generateSecret(): string {
  return SECRET_PREFIX + toBase64Url(randomBytes(GENERATED_BYTES));
}

/** How a secret string turns into input keying material. */
export type ParsedSecret =
  | { kind: "generated"; ikm: Uint8Array }
  | { kind: "passphrase"; passphrase: string };

/** Validates a secret without deriving anything, so a bad secret fails at construction time. */
export function parseSecret(secret: unknown, label = "secret"): ParsedSecret {
  if (typeof secret !== "string") {
    throw new CofferError("INVALID_ARGUMENT", `The ${label} must be a string. ${GENERATE_HINT}`);
  }
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new CofferError(
      "WEAK_SECRET",
      `The ${label} is shorter than ${MIN_SECRET_LENGTH} characters. ${GENERATE_HINT}`,
      { details: { minLength: MIN_SECRET_LENGTH } },
    );
  }
  const prefixAt = secret.indexOf(SECRET_PREFIX);
  if (prefixAt === 0) {
    const ikm = fromBase64Url(secret.slice(SECRET_PREFIX.length));
    if (ikm?.length !== GENERATED_BYTES) {
      // Most likely truncated, or with a line break or a quote pasted along: as a passphrase it
      // would silently derive different keys and every read would fail with WRONG_SECRET.
      throw invalidArgument(
        `The ${label} starts with "${SECRET_PREFIX}" but is not a generated secret: expected exactly 43 base64url characters after the prefix. Check that it was copied whole, with nothing added (a space, a quote, a line break).`,
      );
    }
    return { kind: "generated", ikm };
  }
  if (prefixAt > 0) {
    // A generated secret with something before it (quotes from an env file, a space, `KEY=`):
    // the same silent WRONG_SECRET trap.
    throw invalidArgument(
      `The ${label} contains "${SECRET_PREFIX}" but does not start with it. Remove what comes before the prefix (a quote, a space, a variable name).`,
    );
  }
  return { kind: "passphrase", passphrase: secret.normalize("NFC") };
}

// One scrypt per passphrase per process. Keyed by a hash so the map holds no passphrase.
const stretched = new Map<string, Promise<Uint8Array>>();

/** The input keying material of a parsed secret: free for generated secrets, scrypt once for passphrases. */
export function secretKeyMaterial(parsed: ParsedSecret): Uint8Array | Promise<Uint8Array> {
  if (parsed.kind === "generated") return parsed.ikm;
  const passphrase = utf8(parsed.passphrase);
  const cacheKey = toHex(sha256(passphrase));
  let ikm = stretched.get(cacheKey);
  if (!ikm) {
    // Loaded on first use: apps on generated secrets never pay for the module at startup.
    ikm = import("@noble/hashes/scrypt.js").then(({ scryptAsync }) =>
      scryptAsync(passphrase, PASSPHRASE_SALT, PASSPHRASE_SCRYPT),
    );
    stretched.set(cacheKey, ikm);
    ikm.catch(() => stretched.delete(cacheKey));
  }
  return ikm;
}
