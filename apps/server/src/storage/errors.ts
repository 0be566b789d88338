// The CofferErrors storage raises for callers' mistakes, and the decisions both engines share when
// a conditional write or delete changed nothing. Messages never include envelopes, hashes or
// blinded ids: those go in `details` when the caller needs them.
import { CofferError } from "@coffer/core";

export function projectExists(projectId: string): CofferError {
  return new CofferError("PROJECT_EXISTS", `A project with id "${projectId}" already exists.`, {
    details: { projectId },
  });
}

export function projectNotFound(projectId: string): CofferError {
  return new CofferError(
    "PROJECT_NOT_FOUND",
    `Project "${projectId}" does not exist; create it first.`,
    { details: { projectId } },
  );
}

export function storeExists(storeId: string): CofferError {
  return new CofferError(
    "STORE_EXISTS",
    `A store with id "${storeId}" already exists in this project; choose another id or delete it first.`,
    { details: { storeId } },
  );
}

export function storeNotFound(storeId: string): CofferError {
  return new CofferError(
    "STORE_NOT_FOUND",
    `Store "${storeId}" does not exist in this project; create it first.`,
    { details: { storeId } },
  );
}

export function entryNotFound(blindedId: string): CofferError {
  return new CofferError(
    "ENTRY_NOT_FOUND",
    "The entry to move does not exist; it may have been deleted or moved already.",
    { details: { blindedId } },
  );
}

/** A compare-and-set mismatch. `expected` is the caller's `ifVersion`, `current` 0 when absent. */
export function versionConflict(
  blindedId: string,
  expected: number | undefined,
  current: number,
): CofferError {
  const message =
    current === 0
      ? "The entry does not exist; write it with ifVersion 0 to create it."
      : expected === 0
        ? `The entry already exists (version ${current}); read it and retry with its version.`
        : `The entry is at version ${current}, not ${expected}: another writer changed it; read it again and retry.`;
  return new CofferError("VERSION_CONFLICT", message, {
    details: { blindedId, currentVersion: current },
  });
}

/** Restore refuses to overwrite: importEntries onto an existing entry. */
export function importConflict(blindedId: string, current: number): CofferError {
  return new CofferError(
    "VERSION_CONFLICT",
    "An entry being restored already exists in the store; restore into an empty store.",
    { details: { blindedId, currentVersion: current } },
  );
}

export function databaseUnavailable(cause: unknown): CofferError {
  return new CofferError("SERVICE_UNAVAILABLE", "The database is unavailable; retry shortly.", {
    cause,
  });
}

export function databaseBusy(cause: unknown): CofferError {
  return new CofferError("SERVICE_UNAVAILABLE", "The database is busy; retry shortly.", { cause });
}

/** What an engine found after a conditional write changed nothing. */
export interface Lookup {
  /** The entry's version now, 0 when absent. */
  currentVersion: number;
  storeExists: boolean;
}

/** Throws if `ifVersion` is set and differs from the current version (0 when absent). */
export function checkVersion(blindedId: string, ifVersion: number | undefined, current: number) {
  if (ifVersion !== undefined && ifVersion !== current) {
    throw versionConflict(blindedId, ifVersion, current);
  }
}

/** The error for a conditional write (create-only or update-at-version) that matched no row. */
export function failedWrite(
  storeId: string,
  blindedId: string,
  ifVersion: number | undefined,
  found: Lookup,
): CofferError {
  if (found.currentVersion === 0 && !found.storeExists) return storeNotFound(storeId);
  return versionConflict(blindedId, ifVersion, found.currentVersion);
}

/**
 * A delete that matched no row: false when the entry is absent (whatever `ifVersion` said), a
 * conflict when it is there at another version.
 */
export function failedDelete(
  storeId: string,
  blindedId: string,
  ifVersion: number | undefined,
  found: Lookup,
): false {
  if (found.currentVersion === 0) {
    if (!found.storeExists) throw storeNotFound(storeId);
    return false;
  }
  // Present, so only a version mismatch explains it (or a racing re-create, without ifVersion).
  if (ifVersion === undefined) return false;
  throw versionConflict(blindedId, ifVersion, found.currentVersion);
}

/** The error for a move whose source entry is absent. */
export function missingSource(storeId: string, blindedId: string, storeExists: boolean) {
  return storeExists ? entryNotFound(blindedId) : storeNotFound(storeId);
}
