/**
 * Every error Coffer raises, on the client or from the vault service, carries one of these codes.
 * The HTTP status is looked up here, so the SDK, the adapters and the server agree on it.
 * Callers branch on `code`, never on message text.
 */
export const ERROR_STATUS = {
  // The caller passed something unusable.
  INVALID_ARGUMENT: 400,
  INVALID_REQUEST: 400,
  // Secrets and envelopes. These are the deploying application's problem, not its end user's.
  WEAK_SECRET: 500,
  WRONG_SECRET: 500,
  TAMPERED: 500,
  UNSUPPORTED_VERSION: 500,
  // Vault service.
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  BROWSER_REQUEST_REJECTED: 403,
  NOT_FOUND: 404,
  PROJECT_NOT_FOUND: 404,
  STORE_NOT_FOUND: 404,
  ENTRY_NOT_FOUND: 404,
  KEY_NOT_FOUND: 404,
  STORE_EXISTS: 409,
  PROJECT_EXISTS: 409,
  VERSION_CONFLICT: 409,
  VALUE_TOO_LARGE: 413,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  REQUEST_TIMEOUT: 408,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  // Transport, raised by the SDK when the service cannot be reached.
  NETWORK_ERROR: 503,
  TIMEOUT: 504,
} as const satisfies Record<string, number>;

/** A stable, SCREAMING_SNAKE identifier of what went wrong. */
export type CofferErrorCode = keyof typeof ERROR_STATUS;

// Symbol.for so that two copies of @coffer/core in one process recognise each other's errors.
const BRAND: unique symbol = Symbol.for("@coffer/core/error") as never;

export interface CofferErrorOptions {
  /** The underlying error. Never a value that holds key bytes, plaintext or ciphertext. */
  cause?: unknown;
  /** Structured, non-secret facts for the caller (an id, a limit, which field was wrong). */
  details?: Record<string, unknown>;
  /** Override the status from the table, e.g. to relay what the server actually answered. */
  status?: number;
}

/**
 * The one error class of Coffer.
 *
 * @example
 * ```ts
 * try {
 *   await sealer.open("oauth-tokens", blindedId, envelope);
 * } catch (error) {
 *   if (isCofferError(error) && error.code === "WRONG_SECRET") {
 *     console.error("COFFER_SECRET does not match the secret these entries were sealed with");
 *   }
 *   throw error;
 * }
 * ```
 */
export class CofferError extends Error {
  readonly [BRAND] = true;
  readonly code: CofferErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: CofferErrorCode, message: string, options: CofferErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CofferError";
    this.code = code;
    this.status = options.status ?? ERROR_STATUS[code];
    this.details = options.details;
  }

  /** The shape the vault service sends: `{ error: { code, message, details } }`. */
  toJSON(): { code: CofferErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/**
 * True for any CofferError, including one thrown by another copy of `@coffer/core`.
 *
 * @example
 * ```ts
 * if (isCofferError(error)) res.status(error.status).json({ error: error.toJSON() });
 * ```
 */
export function isCofferError(error: unknown): error is CofferError {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as Record<symbol, unknown>)[BRAND] === true
  );
}

/** True for a code this version of Coffer knows, e.g. one read off a server response. */
export function isCofferErrorCode(code: unknown): code is CofferErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_STATUS, code);
}
