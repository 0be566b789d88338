// API keys and admin tokens: `coffer_key_<id>_<secret>` and `coffer_admin_<id>_<secret>`.
// The id is public (shown as the key's prefix, used to look it up); the secret is 256 random bits
// and only its SHA-256 is stored. High-entropy secrets need no slow hash.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export type TokenKind = "key" | "admin";

const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const ID_LENGTH = 12;
const SECRET_BYTES = 32;
const PATTERN = /^coffer_(key|admin)_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export interface IssuedToken {
  id: string;
  /** The whole token: shown once, never stored. */
  token: string;
  hash: Uint8Array;
  /** The part safe to display: `coffer_key_<id>`. */
  prefix: string;
}

function randomId(): string {
  const bytes = randomBytes(ID_LENGTH);
  let id = "";
  // 256 % 36 = 4: the slight bias of the first four characters does not matter for a public id.
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}

export function hashSecret(secret: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(secret).digest());
}

export function issueToken(kind: TokenKind): IssuedToken {
  const id = randomId();
  const secret = randomBytes(SECRET_BYTES).toString("base64url");
  return {
    id,
    token: `coffer_${kind}_${id}_${secret}`,
    hash: hashSecret(secret),
    prefix: tokenPrefix(kind, id),
  };
}

export function tokenPrefix(kind: TokenKind, id: string): string {
  return `coffer_${kind}_${id}`;
}

export interface ParsedToken {
  kind: TokenKind;
  id: string;
  secretHash: Uint8Array;
}

/** Parses a bearer token; undefined for anything that is not shaped like one. */
export function parseToken(token: string): ParsedToken | undefined {
  const match = PATTERN.exec(token);
  if (!match) return undefined;
  const [, kind, id, secret] = match as unknown as [string, TokenKind, string, string];
  return { kind, id, secretHash: hashSecret(secret) };
}

// Compared against when the id is unknown, so that a miss costs what a hit costs.
const DECOY = hashSecret("coffer decoy secret");

/** Constant-time comparison of a presented secret's hash with the stored one (or the decoy). */
export function secretMatches(presented: Uint8Array, stored: Uint8Array | undefined): boolean {
  const target = stored?.length === presented.length ? stored : DECOY;
  const equal = timingSafeEqual(presented, target);
  return equal && stored !== undefined && target === stored;
}
