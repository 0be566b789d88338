// Backups in an engine- and master-key-independent format (JSON Lines):
//
//   {"format":"coffer-backup","version":1,"createdAt":"<ISO>","engine":"sqlite"|"postgres"}
//   {"type":"project","project":{id,name,createdAt}}
//   {"type":"store","store":{projectId,id,name,createdAt}}
//   {"type":"entry","projectId","storeId","entry":{blindedId,keyId,envelope,version,createdAt,updatedAt}}
//   {"type":"apiKey","apiKey":{id,projectId,name,hash,storeIds,readOnly,createdAt,lastUsedAt,revokedAt}}
//   {"type":"adminToken","adminToken":{id,hash,createdAt}}
//   {"type":"end","counts":{projects,stores,entries,apiKeys,adminTokens}}
//
// Records come in that order; bytes are base64url, times milliseconds since the epoch. Entries
// carry the client's envelope (the at-rest layer removed) and stores carry no data key, so a
// backup restores under any master key. Envelopes stay sealed under the application's secret and
// keys and tokens keep only their hashes: a backup holds no plaintext and no usable credential.
//
// Restore reads the file twice, streaming: the first pass validates all of it (header, every
// record, the end line and its counts), the second writes. A truncated or damaged file is refused
// before anything is written, and memory stays flat whatever the size of the file.
import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CofferError, isCofferError } from "@coffer/core";
import { BLINDED_ID_PATTERN, KEY_ID_PATTERN, legibleName, STORE_ID_PATTERN } from "./ids.js";
import type {
  AdminTokenRecord,
  ApiKeyRecord,
  EntryRecord,
  Project,
  SnapshotRecord,
  StoreRecord,
} from "./storage/types.js";
import type { Entry, Vault } from "./vault.js";

export const BACKUP_FORMAT = "coffer-backup";
export const BACKUP_VERSION = 1;
/** Entries per `importEntries` call on restore. */
const IMPORT_CHUNK = 500;
/** The write side hands the file stream about this much text at a time. */
const WRITE_CHUNK = 64 * 1024;

export interface BackupCounts {
  projects: number;
  stores: number;
  entries: number;
  apiKeys: number;
  adminTokens: number;
}

export type BackupPhase = "backup" | "validate" | "restore";
export type BackupProgress = (phase: BackupPhase, counts: BackupCounts) => void;

export interface RestoreResult {
  counts: BackupCounts;
  /** Admin tokens of the backup that already existed (e.g. the one the first start created). */
  skippedAdminTokens: number;
}

/** A record of the file, decoded. */
type BackupRecord =
  | { type: "project"; project: Project }
  | { type: "store"; store: { projectId: string; id: string; name: string; createdAt: number } }
  | {
      type: "entry";
      projectId: string;
      storeId: string;
      entry: Entry;
    }
  | { type: "apiKey"; apiKey: ApiKeyRecord }
  | { type: "adminToken"; adminToken: AdminTokenRecord };

const COUNTED = {
  project: "projects",
  store: "stores",
  entry: "entries",
  apiKey: "apiKeys",
  adminToken: "adminTokens",
} as const;
const ORDER = ["project", "store", "entry", "apiKey", "adminToken"] as const;

const emptyCounts = (): BackupCounts => ({
  projects: 0,
  stores: 0,
  entries: 0,
  apiKeys: 0,
  adminTokens: 0,
});
const storeKey = (projectId: string, storeId: string) => `${projectId}\0${storeId}`;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

// ── backup ────────────────────────────────────────────────────────────────────────────────────

/**
 * Writes a consistent snapshot (one read transaction) to `file`, through `<file>.partial` renamed
 * at the end, so an interrupted backup never leaves a file that looks complete. Mode 0600.
 */
export async function writeBackup(
  vault: Vault,
  file: string,
  onProgress?: BackupProgress,
): Promise<BackupCounts> {
  const counts = emptyCounts();
  async function* lines(): AsyncGenerator<string> {
    const header = {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      createdAt: new Date().toISOString(),
      engine: vault.storage.engine,
    };
    let buffer = `${JSON.stringify(header)}\n`;
    const stores = new Map<string, StoreRecord>();
    for await (const record of vault.storage.exportAll()) {
      buffer += `${JSON.stringify(portable(vault, stores, record))}\n`;
      counts[COUNTED[record.type]]++;
      onProgress?.("backup", counts);
      if (buffer.length >= WRITE_CHUNK) {
        yield buffer;
        buffer = "";
      }
    }
    yield `${buffer}${JSON.stringify({ type: "end", counts })}\n`;
  }
  const partial = `${file}.partial`;
  try {
    await pipeline(Readable.from(lines()), createWriteStream(partial, { mode: 0o600 }));
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return counts;
}

/** A snapshot record as it goes in the file: no at-rest layer, no data key, bytes as base64url. */
function portable(vault: Vault, stores: Map<string, StoreRecord>, record: SnapshotRecord): object {
  switch (record.type) {
    case "project": {
      const { id, name, createdAt } = record.project;
      return { type: "project", project: { id, name, createdAt } };
    }
    case "store": {
      const { projectId, id, name, createdAt } = record.store;
      stores.set(storeKey(projectId, id), record.store);
      return { type: "store", store: { projectId, id, name, createdAt } };
    }
    case "entry": {
      const store = stores.get(storeKey(record.projectId, record.storeId));
      if (!store)
        throw new CofferError(
          "INTERNAL_ERROR",
          `exportAll yielded an entry of store "${record.storeId}" before the store.`,
        );
      const { blindedId, keyId, version, createdAt, updatedAt } = record.entry;
      const envelope = b64(vault.openFromStore(store, record.entry));
      return {
        type: "entry",
        projectId: record.projectId,
        storeId: record.storeId,
        entry: { blindedId, keyId, envelope, version, createdAt, updatedAt },
      };
    }
    case "apiKey": {
      const k = record.apiKey;
      return {
        type: "apiKey",
        apiKey: {
          id: k.id,
          projectId: k.projectId,
          name: k.name,
          hash: b64(k.hash),
          storeIds: k.storeIds,
          readOnly: k.readOnly,
          createdAt: k.createdAt,
          lastUsedAt: k.lastUsedAt,
          revokedAt: k.revokedAt,
        },
      };
    }
    case "adminToken": {
      const { id, hash, createdAt } = record.adminToken;
      return { type: "adminToken", adminToken: { id, hash: b64(hash), createdAt } };
    }
  }
}

// ── restore ───────────────────────────────────────────────────────────────────────────────────

/**
 * Restores into an empty vault: no project except an untouched `default` (no stores, no API keys)
 * as the first start creates it. Every store gets a new data key under the current master key.
 */
export async function restoreBackup(
  vault: Vault,
  file: string,
  onProgress?: BackupProgress,
): Promise<RestoreResult> {
  await requireEmptyVault(vault);
  const before = await statBackup(file);
  await readBackup(file, async (_record, counts) => onProgress?.("validate", counts));
  const after = await statBackup(file);
  if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
    throw new CofferError(
      "INVALID_REQUEST",
      `${file} changed while it was being validated; nothing was restored.`,
    );
  }
  const writer = new RestoreWriter(vault);
  let counts: BackupCounts;
  try {
    counts = await readBackup(file, async (record, counts) => {
      await writer.add(record);
      onProgress?.("restore", counts);
    });
    await writer.finish(counts);
  } catch (error) {
    // The file was valid: writing failed (the database went away, …) and left part of it here.
    const line = error instanceof RecordError ? ` at line ${error.line}` : "";
    const cause = error instanceof RecordError ? error.cause : error;
    const code = isCofferError(cause) ? cause.code : "INTERNAL_ERROR";
    throw new CofferError(
      code,
      `Restoring ${file} failed${line}: ${(cause as Error).message ?? String(cause)}. The vault now holds part of the backup: restore again into a new empty data directory or database.`,
      { cause },
    );
  }
  return { counts, skippedAdminTokens: writer.skippedAdminTokens };
}

async function requireEmptyVault(vault: Vault): Promise<void> {
  const { storage } = vault;
  for (const project of await storage.listProjects()) {
    const untouchedDefault =
      project.id === "default" &&
      (await storage.listStores(project.id)).length === 0 &&
      (await storage.listApiKeys(project.id)).length === 0;
    if (!untouchedDefault) {
      throw new CofferError(
        "INVALID_REQUEST",
        `Restore needs an empty vault, but project "${project.id}" exists here with stores or API keys. Restore into a new data directory or database (one the server started once, with only its empty "default" project, is fine).`,
        { details: { projectId: project.id } },
      );
    }
  }
}

async function statBackup(file: string) {
  try {
    return await stat(file);
  } catch (error) {
    throw new CofferError(
      "INVALID_ARGUMENT",
      `Cannot read backup file ${file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Writes decoded records in file order, entries in chunks per store. */
class RestoreWriter {
  readonly #vault: Vault;
  readonly #stores = new Map<string, StoreRecord>();
  #batch: EntryRecord[] = [];
  #batchStore: StoreRecord | undefined;
  skippedAdminTokens = 0;

  constructor(vault: Vault) {
    this.#vault = vault;
  }

  async add(record: BackupRecord): Promise<void> {
    const { storage } = this.#vault;
    if (record.type !== "entry") await this.#flush();
    switch (record.type) {
      case "project":
        // Kept as it is (name, creation time); an untouched `default` may already be there.
        if (!(await storage.getProject(record.project.id)))
          await storage.createProject(record.project);
        return;
      case "store": {
        const { projectId, id, name } = record.store;
        // A fresh data key under the current master key (this also audits store.create).
        const store = await this.#vault.createStore({ kind: "cli" }, projectId, id, name);
        this.#stores.set(storeKey(projectId, id), store);
        return;
      }
      case "entry": {
        const store = this.#stores.get(storeKey(record.projectId, record.storeId)) as StoreRecord;
        if (store !== this.#batchStore) await this.#flush();
        this.#batchStore = store;
        const { envelope, ...entry } = record.entry;
        this.#batch.push({
          ...entry,
          sealed: this.#vault.sealForStore(store, entry.blindedId, envelope),
          size: envelope.length,
        });
        if (this.#batch.length >= IMPORT_CHUNK) await this.#flush();
        return;
      }
      case "apiKey":
        await storage.createApiKey(record.apiKey);
        return;
      case "adminToken":
        if (await storage.getAdminToken(record.adminToken.id)) this.skippedAdminTokens++;
        else await storage.createAdminToken(record.adminToken);
        return;
    }
  }

  async finish(counts: BackupCounts): Promise<void> {
    await this.#flush();
    await this.#vault.storage.appendAudit([
      {
        at: Date.now(),
        projectId: null,
        actor: "cli",
        action: "backup.restore",
        storeId: null,
        apiKeyId: null,
        outcome: "ok",
        code: null,
        details: { ...counts },
      },
    ]);
  }

  async #flush(): Promise<void> {
    const store = this.#batchStore;
    if (!store || this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    await this.#vault.storage.importEntries(store.projectId, store.id, batch);
  }
}

// ── reading and validating ────────────────────────────────────────────────────────────────────

/**
 * Reads the file line by line, validating each line and the order and references of records,
 * and calls `onRecord` for each. Throws INVALID_REQUEST on the first problem.
 */
async function readBackup(
  file: string,
  onRecord: (record: BackupRecord, counts: BackupCounts) => Promise<void>,
): Promise<BackupCounts> {
  const fail = (line: number, why: string) =>
    new CofferError(
      "INVALID_REQUEST",
      `${file} is not a valid Coffer backup (line ${line}: ${why}); nothing was restored.`,
      {
        details: { line },
      },
    );
  const counts = emptyCounts();
  const projects = new Set<string>();
  const stores = new Set<string>();
  let lineNo = 0;
  let rank = 0;
  let end: BackupCounts | undefined;
  const input = createReadStream(file, { encoding: "utf8" });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const text of lines) {
      lineNo++;
      if (end) throw fail(lineNo, "content after the end line");
      let value: Fields;
      try {
        value = new Fields(JSON.parse(text), "line");
      } catch (error) {
        throw fail(lineNo, error instanceof FieldError ? error.message : "not JSON");
      }
      try {
        if (lineNo === 1) {
          if (value.raw.format !== BACKUP_FORMAT)
            throw new FieldError(`no "format": "${BACKUP_FORMAT}" header`);
          if (value.raw.version !== BACKUP_VERSION)
            throw new FieldError(`unsupported version ${JSON.stringify(value.raw.version)}`);
          continue;
        }
        if (value.raw.type === "end") {
          end = decodeCounts(value.obj("counts"));
          continue;
        }
        const record = decodeRecord(value);
        const recordRank = ORDER.indexOf(record.type);
        if (recordRank < rank)
          throw new FieldError(`a ${record.type} record after ${ORDER[rank]} records`);
        rank = recordRank;
        checkReferences(record, projects, stores);
        counts[COUNTED[record.type]]++;
        try {
          await onRecord(record, counts);
        } catch (error) {
          // A failure to write (restore), not to read: reported as such by the caller.
          throw new RecordError(lineNo, error);
        }
      } catch (error) {
        if (error instanceof FieldError) throw fail(lineNo, error.message);
        throw error;
      }
    }
  } catch (error) {
    if (error instanceof CofferError || error instanceof RecordError) throw error;
    throw new CofferError(
      "INVALID_ARGUMENT",
      `Cannot read backup file ${file}: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    lines.close();
    input.destroy();
  }
  if (lineNo === 0) throw fail(1, "the file is empty");
  if (!end) throw fail(lineNo, "no end line: the file is truncated");
  for (const key of Object.keys(counts) as Array<keyof BackupCounts>) {
    if (counts[key] !== end[key])
      throw fail(
        lineNo,
        `the end line counts ${end[key]} ${key} but the file holds ${counts[key]}`,
      );
  }
  return counts;
}

function checkReferences(record: BackupRecord, projects: Set<string>, stores: Set<string>): void {
  const needProject = (id: string) => {
    if (!projects.has(id)) throw new FieldError(`unknown project "${id}"`);
  };
  switch (record.type) {
    case "project":
      if (projects.has(record.project.id))
        throw new FieldError(`project "${record.project.id}" twice`);
      projects.add(record.project.id);
      return;
    case "store": {
      needProject(record.store.projectId);
      const key = storeKey(record.store.projectId, record.store.id);
      if (stores.has(key)) throw new FieldError(`store "${record.store.id}" twice`);
      stores.add(key);
      return;
    }
    case "entry":
      if (!stores.has(storeKey(record.projectId, record.storeId)))
        throw new FieldError(`entry of unknown store "${record.storeId}"`);
      return;
    case "apiKey":
      needProject(record.apiKey.projectId);
      return;
    case "adminToken":
      return;
  }
}

const ID = new RegExp(STORE_ID_PATTERN);
const BLINDED_ID = new RegExp(BLINDED_ID_PATTERN);
const KEY_ID = new RegExp(KEY_ID_PATTERN);
const TOKEN_ID = /^[a-z0-9]{12}$/;

function decodeRecord(line: Fields): BackupRecord {
  const type = line.str("type");
  switch (type) {
    case "project": {
      const p = line.obj("project");
      return {
        type,
        project: { id: p.str("id", ID), name: p.name("name"), createdAt: p.int("createdAt") },
      };
    }
    case "store": {
      const s = line.obj("store");
      return {
        type,
        store: {
          projectId: s.str("projectId", ID),
          id: s.str("id", ID),
          name: s.name("name"),
          createdAt: s.int("createdAt"),
        },
      };
    }
    case "entry": {
      const e = line.obj("entry");
      return {
        type,
        projectId: line.str("projectId", ID),
        storeId: line.str("storeId", ID),
        entry: {
          blindedId: e.str("blindedId", BLINDED_ID),
          keyId: e.str("keyId", KEY_ID),
          envelope: e.bytes("envelope"),
          version: e.int("version", 1),
          createdAt: e.int("createdAt"),
          updatedAt: e.int("updatedAt"),
        },
      };
    }
    case "apiKey": {
      const k = line.obj("apiKey");
      return {
        type,
        apiKey: {
          id: k.str("id", TOKEN_ID),
          projectId: k.str("projectId", ID),
          name: k.name("name"),
          hash: k.bytes("hash"),
          storeIds: k.raw.storeIds === null ? null : k.strings("storeIds", ID),
          readOnly: k.bool("readOnly"),
          createdAt: k.int("createdAt"),
          lastUsedAt: k.raw.lastUsedAt === null ? null : k.int("lastUsedAt"),
          revokedAt: k.raw.revokedAt === null ? null : k.int("revokedAt"),
        },
      };
    }
    case "adminToken": {
      const t = line.obj("adminToken");
      return {
        type,
        adminToken: {
          id: t.str("id", TOKEN_ID),
          hash: t.bytes("hash"),
          createdAt: t.int("createdAt"),
        },
      };
    }
    default:
      throw new FieldError(`unknown record type "${type}"`);
  }
}

function decodeCounts(c: Fields): BackupCounts {
  return {
    projects: c.int("projects"),
    stores: c.int("stores"),
    entries: c.int("entries"),
    apiKeys: c.int("apiKeys"),
    adminTokens: c.int("adminTokens"),
  };
}

class FieldError extends Error {}

/** What `onRecord` threw for the record on `line`. */
class RecordError extends Error {
  constructor(
    readonly line: number,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** Typed access to one JSON object of the file; a wrong field throws a FieldError naming it. */
class Fields {
  readonly raw: Record<string, unknown>;

  constructor(
    value: unknown,
    readonly path: string,
  ) {
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw new FieldError(`${path} is not an object`);
    this.raw = value as Record<string, unknown>;
  }

  #bad(key: string, expected: string): FieldError {
    return new FieldError(`${this.path}.${key} is not ${expected}`);
  }

  obj(key: string): Fields {
    return new Fields(this.raw[key], `${this.path}.${key}`);
  }

  str(key: string, pattern?: RegExp): string {
    const v = this.raw[key];
    if (typeof v !== "string" || (pattern && !pattern.test(v)))
      throw this.#bad(key, pattern ? "a valid id" : "a string");
    return v;
  }

  /**
   * A display name. One written by a server that still accepted control characters (SQLite
   * stores a NUL, PostgreSQL cannot) is kept legible with U+FFFD in their place: a label must
   * not stop a vault from moving to another engine, nor leave it half restored.
   */
  name(key: string): string {
    return legibleName(this.str(key));
  }

  strings(key: string, pattern: RegExp): string[] {
    const v = this.raw[key];
    if (!Array.isArray(v) || !v.every((s) => typeof s === "string" && pattern.test(s)))
      throw this.#bad(key, "a list of ids");
    return v as string[];
  }

  int(key: string, min = 0): number {
    const v = this.raw[key];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min)
      throw this.#bad(key, `an integer ≥ ${min}`);
    return v;
  }

  bool(key: string): boolean {
    const v = this.raw[key];
    if (typeof v !== "boolean") throw this.#bad(key, "true or false");
    return v;
  }

  bytes(key: string): Uint8Array {
    const v = this.raw[key];
    const bytes = typeof v === "string" ? Buffer.from(v, "base64url") : undefined;
    // Canonical base64url only: a stray character must not silently drop bytes.
    if (!bytes || bytes.toString("base64url") !== v) throw this.#bad(key, "base64url");
    return new Uint8Array(bytes);
  }
}
