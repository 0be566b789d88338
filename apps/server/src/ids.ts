// Identifier rules shared by the HTTP schemas, the CLI and the service.
export const STORE_ID_PATTERN = "^[a-z0-9][a-z0-9_-]{0,63}$";
export const PROJECT_ID_PATTERN = STORE_ID_PATTERN;
/** A blinded id: canonical base64url of 32 bytes (SPEC.md §3 of @coffer/core). */
export const BLINDED_ID_PATTERN = "^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$";
/** A key id: 16 lowercase hex characters. */
export const KEY_ID_PATTERN = "^[0-9a-f]{16}$";

const storeId = new RegExp(STORE_ID_PATTERN);
export const isStoreId = (s: string) => storeId.test(s);

/** A blinded id cut to a loggable prefix: enough to correlate, not enough to look up. */
export const shortId = (blindedId: string) => `${blindedId.slice(0, 6)}…`;

/** UTC day of a timestamp, "YYYY-MM-DD". */
export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

// Control characters (NUL above all: PostgreSQL text cannot hold it, so the same name that SQLite
// stored would fail there) and unpaired surrogates (not text) have no place in a display name.
const NOT_NAME_TEXT = /[\p{Cc}\p{Cs}]/u;
/** True for a display name (project, store, API key) every engine stores as it is. */
export const isDisplayName = (s: string) => !NOT_NAME_TEXT.test(s);
/** A name with what {@link isDisplayName} refuses replaced by U+FFFD. */
export const legibleName = (s: string) =>
  s.replace(new RegExp(NOT_NAME_TEXT.source, "gu"), "\ufffd");
