// The master key wraps every store's data key. It comes from COFFER_MASTER_KEY or, on the
// embedded default, from `<data dir>/master.key` (generated on first start, mode 0600).
// `rotate-master-key` keeps the replaced key as `master.key.previous` until every store has been
// rewrapped (startup finishes an interrupted rotation), so no store is ever left unreadable.
import { createHmac, randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CofferError } from "@coffer/core";

const PREFIX = "coffer_master_";
const KEY_BYTES = 32;

export interface MasterKey {
  /** Fingerprint: 16 hex characters, stored beside every wrapped data key. */
  id: string;
  key: Uint8Array;
}

export function generateMasterKeyString(): string {
  return PREFIX + randomBytes(KEY_BYTES).toString("base64url");
}

export function parseMasterKey(text: string, source: string): MasterKey {
  const trimmed = text.trim();
  const body = trimmed.startsWith(PREFIX) ? trimmed.slice(PREFIX.length) : "";
  const key = Buffer.from(body, "base64url");
  if (key.length !== KEY_BYTES || key.toString("base64url") !== body) {
    throw new CofferError(
      "INVALID_ARGUMENT",
      `${source} is not a master key: expected "${PREFIX}" followed by 43 base64url characters (generate one with \`coffer-server master-key generate\`).`,
    );
  }
  const id = createHmac("sha256", key).update("coffer/v1 master-key-id").digest("hex").slice(0, 16);
  return { id, key: new Uint8Array(key) };
}

/** The keys the server can unwrap with; `current` wraps new data keys. */
export class MasterKeyring {
  readonly current: MasterKey;
  readonly #byId: Map<string, MasterKey>;

  constructor(current: MasterKey, previous: MasterKey[] = []) {
    this.current = current;
    this.#byId = new Map([current, ...previous].map((k) => [k.id, k]));
  }

  get(id: string): MasterKey {
    const key = this.#byId.get(id);
    if (!key) {
      throw new CofferError(
        "INTERNAL_ERROR",
        `A data key is wrapped under master key ${id}, which this server does not have. Set COFFER_MASTER_KEY (or COFFER_PREVIOUS_MASTER_KEYS) to include it.`,
      );
    }
    return key;
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /** Every key but the current one. */
  get previous(): MasterKey[] {
    return [...this.#byId.values()].filter((k) => k.id !== this.current.id);
  }

  get previousIds(): string[] {
    return [...this.#byId.keys()].filter((id) => id !== this.current.id);
  }
}

/** PostgreSQL deployments configure the master key: there is no key file to fall back on. */
export function missingMasterKey(): CofferError {
  return new CofferError(
    "INVALID_ARGUMENT",
    "COFFER_MASTER_KEY is required with PostgreSQL: every process must share the same master key. Generate one with `coffer-server master-key generate`.",
  );
}

export interface MasterKeySource {
  /** COFFER_MASTER_KEY */
  masterKey?: string | undefined;
  /** COFFER_PREVIOUS_MASTER_KEYS, comma-separated */
  previousMasterKeys?: string | undefined;
  dataDir: string;
  /** Whether a key file may be created in dataDir (the embedded SQLite default). */
  allowKeyFile: boolean;
}

export const keyFiles = (dataDir: string) => ({
  current: join(dataDir, "master.key"),
  next: join(dataDir, "master.key.next"),
  previous: join(dataDir, "master.key.previous"),
});

export function loadMasterKeyring(source: MasterKeySource): MasterKeyring {
  const previous = (source.previousMasterKeys ?? "")
    .split(",")
    .filter((s) => s.trim() !== "")
    .map((s, i) => parseMasterKey(s, `COFFER_PREVIOUS_MASTER_KEYS[${i}]`));
  if (source.masterKey) {
    return new MasterKeyring(parseMasterKey(source.masterKey, "COFFER_MASTER_KEY"), previous);
  }
  if (!source.allowKeyFile) throw missingMasterKey();
  const files = keyFiles(source.dataDir);
  // A rotation interrupted between its two renames left the new key only as master.key.next.
  if (!existsSync(files.current) && existsSync(files.next) && existsSync(files.previous)) {
    renameSync(files.next, files.current);
  }
  if (!existsSync(files.current)) {
    writeFileSync(files.current, `${generateMasterKeyString()}\n`, { mode: 0o600, flag: "wx" });
  }
  chmodSync(files.current, 0o600);
  for (const extra of [files.previous, files.next]) {
    if (existsSync(extra)) previous.push(parseMasterKey(readFileSync(extra, "utf8"), extra));
  }
  return new MasterKeyring(
    parseMasterKey(readFileSync(files.current, "utf8"), files.current),
    previous,
  );
}

/**
 * Embedded default, in a process that already loaded its keys: the key files as they are now,
 * after a `rotate-master-key` that ran meanwhile, plus every key `known` holds. Only reads: a
 * file missing or half written (a rotation in progress) is skipped.
 */
export function reloadKeyFiles(dataDir: string, known: MasterKeyring): MasterKeyring {
  const read = (file: string): MasterKey | undefined => {
    try {
      return parseMasterKey(readFileSync(file, "utf8"), file);
    } catch {
      return undefined;
    }
  };
  const files = keyFiles(dataDir);
  const onDisk = [files.current, files.next, files.previous].map(read);
  // Between the two renames of a rotation, the new key is only master.key.next.
  const current = onDisk[0] ?? (onDisk[2] ? onDisk[1] : undefined) ?? known.current;
  const others = [...onDisk, known.current, ...known.previous].filter(
    (k): k is MasterKey => k !== undefined && k.id !== current.id,
  );
  return new MasterKeyring(current, others);
}

/** Embedded default: stage a new key file before rewrapping, so a crash loses no key. */
export function stageNextKeyFile(dataDir: string): MasterKey {
  const text = generateMasterKeyString();
  writeFileSync(keyFiles(dataDir).next, `${text}\n`, { mode: 0o600 });
  return parseMasterKey(text, "master.key.next");
}

/** Embedded default: after every store is rewrapped under the staged key, make it current. */
export function promoteNextKeyFile(dataDir: string): void {
  const files = keyFiles(dataDir);
  renameSync(files.current, files.previous);
  renameSync(files.next, files.current);
}

/** Drops `master.key.previous` once no store uses it. */
export function removePreviousKeyFile(dataDir: string): void {
  rmSync(keyFiles(dataDir).previous, { force: true });
}
