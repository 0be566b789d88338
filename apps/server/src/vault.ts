// The vault's rules, between the HTTP routes (and the CLI) and storage: who may do what, the
// at-rest layer, audit and usage. Routes only parse and format; storage only stores.
import { randomBytes } from "node:crypto";
import { CofferError } from "@coffer/core";
import { issueToken, parseToken, secretMatches } from "./auth/tokens.js";
import { unwrap, wrap } from "./crypto/at-rest.js";
import type { MasterKeyring } from "./crypto/master-key.js";
import { isDisplayName, isStoreId, shortId, utcDay } from "./ids.js";
import { TOUCH_INTERVAL_MS } from "./storage/rows.js";
import type {
  ApiKeyRecord,
  AuditEvent,
  AuditFilter,
  EntryRecord,
  Project,
  Storage,
  StoreRecord,
} from "./storage/types.js";

/** Who is calling: an API key (data API) or an admin token (admin API). */
export type Principal =
  | { kind: "key"; apiKey: ApiKeyRecord }
  | { kind: "admin"; tokenId: string }
  | { kind: "cli" };

/** An entry as the API returns it: the client's envelope, unwrapped from the at-rest layer. */
export interface Entry {
  blindedId: string;
  keyId: string;
  envelope: Uint8Array;
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface EntryInput {
  blindedId: string;
  keyId: string;
  envelope: Uint8Array;
  ifVersion?: number | undefined;
}

export interface VaultOptions {
  storage: Storage;
  /**
   * The master keys, or why there are none: admin commands that never touch a data key (API keys,
   * listings, audit) run without them, and anything that needs one throws this error.
   */
  masterKeys: MasterKeyring | CofferError;
  /**
   * The embedded default's key files as they are now, with the keys already known (read only).
   * `rotate-master-key` may replace master.key while the server runs: a store created after that
   * must not be wrapped under the key the rotation just removed, and one the CLI created under
   * the new key must open.
   */
  reloadMasterKeys?: ((known: MasterKeyring) => MasterKeyring) | undefined;
  maxEnvelopeBytes: number;
  now?: () => number;
}

const USAGE_FLUSH_MS = 5000;

export class Vault {
  readonly storage: Storage;
  #masterKeys: MasterKeyring | CofferError;
  readonly #reloadMasterKeys: ((known: MasterKeyring) => MasterKeyring) | undefined;
  readonly maxEnvelopeBytes: number;
  readonly #now: () => number;
  // Unwrapped data keys by data key id: unwrapping per request would cost a master-key AES op.
  readonly #dataKeys = new Map<string, Uint8Array>();
  readonly #lastTouch = new Map<string, number>();
  // Reads and writes per project/store/day, added to storage every few seconds.
  #usage = new Map<
    string,
    { projectId: string; storeId: string; day: string; reads: number; writes: number }
  >();
  #usageTimer: NodeJS.Timeout | undefined;

  /** The master keys; throws when this vault was opened without them. */
  get masterKeys(): MasterKeyring {
    if (this.#masterKeys instanceof CofferError) throw this.#masterKeys;
    return this.#masterKeys;
  }

  constructor(options: VaultOptions) {
    this.storage = options.storage;
    this.#masterKeys = options.masterKeys;
    this.#reloadMasterKeys = options.reloadMasterKeys;
    this.maxEnvelopeBytes = options.maxEnvelopeBytes;
    this.#now = options.now ?? Date.now;
  }

  /** Starts the periodic usage flush (the server; the CLI does not need it). */
  startBackgroundWork(): void {
    this.#usageTimer ??= setInterval(() => void this.flushUsage().catch(() => {}), USAGE_FLUSH_MS);
    this.#usageTimer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#usageTimer);
    this.#usageTimer = undefined;
    await this.flushUsage().catch(() => {});
  }

  // ── Authentication ────────────────────────────────────────────────────────────────────────

  /** Resolves `Authorization: Bearer <API key>`; refusals are audited. */
  async authenticateApiKey(header: string | undefined): Promise<Principal & { kind: "key" }> {
    const token = bearer(header);
    const parsed = token === undefined ? undefined : parseToken(token);
    if (parsed?.kind === "admin") {
      await this.#deny(null, "anonymous", "FORBIDDEN", { reason: "admin token on the data API" });
      throw new CofferError(
        "FORBIDDEN",
        "The admin token cannot use the data API: create an API key for the application.",
      );
    }
    const record = parsed ? await this.storage.getApiKey(parsed.id) : null;
    // Compare even when the id is unknown, so a miss takes as long as a hit.
    const matches = parsed ? secretMatches(parsed.secretHash, record?.hash) : false;
    if (!parsed || !record || !matches) {
      await this.#deny(null, "anonymous", "UNAUTHORIZED", {
        reason: token === undefined ? "no API key" : "unknown or malformed API key",
      });
      throw new CofferError(
        "UNAUTHORIZED",
        "Missing or invalid API key: send `Authorization: Bearer coffer_key_…`.",
      );
    }
    if (record.revokedAt !== null) {
      await this.#deny(
        record.projectId,
        `key:${record.id}`,
        "UNAUTHORIZED",
        { reason: "revoked API key" },
        record.id,
      );
      throw new CofferError("UNAUTHORIZED", "This API key has been revoked.");
    }
    this.#touch(record.id);
    return { kind: "key", apiKey: record };
  }

  /** Resolves `Authorization: Bearer <admin token>`; refusals are audited. */
  async authenticateAdmin(header: string | undefined): Promise<Principal & { kind: "admin" }> {
    const token = bearer(header);
    const parsed = token === undefined ? undefined : parseToken(token);
    if (parsed?.kind === "key") {
      const record = await this.storage.getApiKey(parsed.id);
      await this.#deny(
        record?.projectId ?? null,
        `key:${parsed.id}`,
        "FORBIDDEN",
        { reason: "API key on the admin API" },
        record?.id ?? null,
      );
      throw new CofferError("FORBIDDEN", "API keys cannot use the admin API: use the admin token.");
    }
    const record = parsed ? await this.storage.getAdminToken(parsed.id) : null;
    const matches = parsed ? secretMatches(parsed.secretHash, record?.hash) : false;
    if (!parsed || !record || !matches) {
      await this.#deny(null, "anonymous", "UNAUTHORIZED", {
        reason: "missing or invalid admin token",
      });
      throw new CofferError(
        "UNAUTHORIZED",
        "Missing or invalid admin token: send `Authorization: Bearer coffer_admin_…`.",
      );
    }
    return { kind: "admin", tokenId: record.id };
  }

  /** Counts a request against the key's per-minute budget; throws RATE_LIMITED past it. */
  async checkRateLimit(apiKey: ApiKeyRecord, perMinute: number): Promise<void> {
    if (perMinute <= 0) return;
    const now = this.#now();
    const windowStart = now - (now % 60_000);
    const count = await this.storage.hitRateLimit(`key:${apiKey.id}`, windowStart);
    if (count > perMinute) {
      const retryAfter = Math.ceil((windowStart + 60_000 - now) / 1000);
      throw new CofferError(
        "RATE_LIMITED",
        `This API key made more than ${perMinute} requests this minute; retry in ${retryAfter} s.`,
        {
          details: { limit: perMinute, retryAfter },
        },
      );
    }
  }

  // ── Data API ──────────────────────────────────────────────────────────────────────────────

  async storeInfo(principal: Principal & { kind: "key" }, storeId: string) {
    const store = await this.#store(principal, storeId, "read");
    const [stats, keyIds] = await Promise.all([
      this.storage.getStoreStats(store.projectId, store.id),
      this.storage.getStoreKeyIds(store.projectId, store.id),
    ]);
    return { id: store.id, name: store.name, createdAt: store.createdAt, ...stats, keyIds };
  }

  /** One entry, or ENTRY_NOT_FOUND listing the key ids the store holds (to tell a wrong secret). */
  async getEntry(
    principal: Principal & { kind: "key" },
    storeId: string,
    blindedId: string,
  ): Promise<Entry> {
    const store = await this.#store(principal, storeId, "read");
    this.#count(store, "reads", 1);
    const record = await this.storage.getEntry(store.projectId, store.id, blindedId);
    if (!record) {
      const keyIds = (await this.storage.getStoreKeyIds(store.projectId, store.id)).map(
        (k) => k.keyId,
      );
      throw new CofferError("ENTRY_NOT_FOUND", "No entry with this blinded id in this store.", {
        details: { keyIds },
      });
    }
    return this.#open(store, record);
  }

  async getEntries(principal: Principal & { kind: "key" }, storeId: string, blindedIds: string[]) {
    const store = await this.#store(principal, storeId, "read");
    this.#count(store, "reads", blindedIds.length);
    const records = await this.storage.getEntries(store.projectId, store.id, [
      ...new Set(blindedIds),
    ]);
    const found = new Set(records.map((r) => r.blindedId));
    const missing = blindedIds.filter((id) => !found.has(id));
    const keyIds = missing.length
      ? (await this.storage.getStoreKeyIds(store.projectId, store.id)).map((k) => k.keyId)
      : undefined;
    return { entries: records.map((r) => this.#open(store, r)), missing, keyIds };
  }

  async putEntry(
    principal: Principal & { kind: "key" },
    storeId: string,
    input: EntryInput,
  ): Promise<number> {
    const store = await this.#store(principal, storeId, "write");
    const version = await this.storage.putEntry(
      store.projectId,
      store.id,
      this.#seal(store, input),
      this.#now(),
    );
    this.#count(store, "writes", 1);
    await this.#audit(principal, store, "entry.put", {
      blindedId: shortId(input.blindedId),
      version,
    });
    return version;
  }

  async putEntries(
    principal: Principal & { kind: "key" },
    storeId: string,
    inputs: EntryInput[],
  ): Promise<number[]> {
    const store = await this.#store(principal, storeId, "write");
    const ids = new Set(inputs.map((i) => i.blindedId));
    if (ids.size !== inputs.length) {
      throw new CofferError("INVALID_REQUEST", "A batch may not write the same blinded id twice.");
    }
    const writes = inputs.map((input) => this.#seal(store, input));
    const versions = await this.storage.putEntries(store.projectId, store.id, writes, this.#now());
    this.#count(store, "writes", inputs.length);
    await this.#audit(principal, store, "entry.batch_put", { count: inputs.length });
    return versions;
  }

  async deleteEntry(
    principal: Principal & { kind: "key" },
    storeId: string,
    blindedId: string,
    ifVersion?: number,
  ) {
    const store = await this.#store(principal, storeId, "write");
    const deleted = await this.storage.deleteEntry(store.projectId, store.id, blindedId, ifVersion);
    this.#count(store, "writes", 1);
    if (deleted)
      await this.#audit(principal, store, "entry.delete", { blindedId: shortId(blindedId) });
    return deleted;
  }

  async moveEntry(
    principal: Principal & { kind: "key" },
    storeId: string,
    from: { blindedId: string; ifVersion?: number | undefined },
    to: EntryInput,
  ): Promise<number> {
    const store = await this.#store(principal, storeId, "write");
    const version = await this.storage.moveEntry(
      store.projectId,
      store.id,
      from.blindedId,
      this.#seal(store, to),
      this.#now(),
      from.ifVersion,
    );
    this.#count(store, "writes", 1);
    await this.#audit(principal, store, "entry.move", {
      from: shortId(from.blindedId),
      to: shortId(to.blindedId),
    });
    return version;
  }

  async listEntries(
    principal: Principal & { kind: "key" },
    storeId: string,
    cursor: string | null,
    limit: number,
  ) {
    const store = await this.#store(principal, storeId, "read");
    const records = await this.storage.listEntries(store.projectId, store.id, cursor, limit + 1);
    const page = records.slice(0, limit);
    this.#count(store, "reads", page.length);
    const nextCursor = records.length > limit ? (page.at(-1)?.blindedId ?? null) : null;
    return { entries: page.map((r) => this.#open(store, r)), nextCursor };
  }

  // ── Admin API ─────────────────────────────────────────────────────────────────────────────

  async createProject(principal: Principal, id: string, name: string): Promise<Project> {
    if (!isStoreId(id)) {
      throw new CofferError(
        "INVALID_REQUEST",
        "Project ids are 1 to 64 characters of a-z, 0-9, '_' and '-', starting with a letter or digit.",
      );
    }
    const project = { id, name: checkName(name, "project"), createdAt: this.#now() };
    await this.storage.createProject(project);
    await this.storage.appendAudit([this.#event(principal, id, "project.create", null, { name })]);
    return project;
  }

  listProjects(): Promise<Project[]> {
    return this.storage.listProjects();
  }

  async requireProject(id: string): Promise<Project> {
    const project = await this.storage.getProject(id);
    if (!project)
      throw new CofferError("PROJECT_NOT_FOUND", `No project "${id}".`, {
        details: { projectId: id },
      });
    return project;
  }

  async createStore(principal: Principal, projectId: string, id: string, name: string | undefined) {
    await this.requireProject(projectId);
    if (!isStoreId(id)) {
      throw new CofferError(
        "INVALID_REQUEST",
        "Store ids are 1 to 64 characters of a-z, 0-9, '_' and '-', starting with a letter or digit.",
      );
    }
    const dataKey = new Uint8Array(randomBytes(32));
    const dataKeyId = randomBytes(8).toString("hex");
    const master = this.#refreshMasterKeys().current;
    let store: StoreRecord = {
      projectId,
      id,
      name: checkName(name?.trim() || id, "store"),
      createdAt: this.#now(),
      dataKeyId,
      wrappedDataKey: wrap(master.key, dataKey, dataKeyContext(projectId, id, dataKeyId)),
      masterKeyId: master.id,
    };
    await this.storage.createStore(store);
    this.#dataKeys.set(dataKeyId, dataKey);
    // A rotation that made another key current meanwhile may have rewrapped every store but this
    // one, and removed the key it is wrapped under: wrap it under the new key too.
    const now = this.#refreshMasterKeys().current;
    if (now.id !== master.id) {
      const context = dataKeyContext(projectId, id, dataKeyId);
      const rewrapped = { wrappedDataKey: wrap(now.key, dataKey, context), masterKeyId: now.id };
      await this.storage.rewrapDataKeys([{ projectId, storeId: id, ...rewrapped }]);
      store = { ...store, ...rewrapped };
    }
    await this.storage.appendAudit([
      this.#event(principal, projectId, "store.create", id, { name: store.name }),
    ]);
    return { ...store, entryCount: 0, bytes: 0, lastWriteAt: null };
  }

  async listStores(projectId: string) {
    await this.requireProject(projectId);
    return this.storage.listStores(projectId);
  }

  async renameStore(
    principal: Principal,
    projectId: string,
    id: string,
    name: string,
  ): Promise<void> {
    const trimmed = checkName(name.trim(), "store");
    if (trimmed === "") {
      throw new CofferError(
        "INVALID_REQUEST",
        "A store name needs at least one visible character.",
      );
    }
    if (!(await this.storage.renameStore(projectId, id, trimmed))) throw storeNotFound(id);
    await this.storage.appendAudit([
      this.#event(principal, projectId, "store.rename", id, { name: trimmed }),
    ]);
  }

  async deleteStore(principal: Principal, projectId: string, id: string): Promise<void> {
    const store = await this.storage.getStore(projectId, id);
    if (!store || !(await this.storage.deleteStore(projectId, id))) throw storeNotFound(id);
    this.#dataKeys.delete(store.dataKeyId); // the wrapped key went with the row: destroyed
    await this.storage.appendAudit([this.#event(principal, projectId, "store.delete", id, {})]);
  }

  async createApiKey(
    principal: Principal,
    projectId: string,
    options: {
      name?: string | undefined;
      storeIds?: string[] | undefined;
      readOnly?: boolean | undefined;
    },
  ) {
    await this.requireProject(projectId);
    const storeIds = options.storeIds?.length ? [...new Set(options.storeIds)] : null;
    for (const storeId of storeIds ?? []) {
      if (!(await this.storage.getStore(projectId, storeId))) throw storeNotFound(storeId);
    }
    const issued = issueToken("key");
    const record: ApiKeyRecord = {
      id: issued.id,
      projectId,
      name: checkName(options.name?.trim() || "API key", "API key"),
      hash: issued.hash,
      storeIds,
      readOnly: options.readOnly ?? false,
      createdAt: this.#now(),
      lastUsedAt: null,
      revokedAt: null,
    };
    await this.storage.createApiKey(record);
    await this.storage.appendAudit([
      {
        ...this.#event(principal, projectId, "key.create", null, {
          name: record.name,
          readOnly: record.readOnly,
          storeIds,
        }),
        apiKeyId: record.id,
      },
    ]);
    return { apiKey: issued.token, record };
  }

  async listApiKeys(projectId: string): Promise<ApiKeyRecord[]> {
    await this.requireProject(projectId);
    return this.storage.listApiKeys(projectId);
  }

  /** Revokes a key; revoking an already revoked key changes nothing and succeeds. */
  async revokeApiKey(principal: Principal, projectId: string, id: string): Promise<void> {
    const key = await this.storage.getApiKey(id);
    if (!key || key.projectId !== projectId) {
      throw new CofferError("KEY_NOT_FOUND", `No API key "${id}" in project "${projectId}".`, {
        details: { keyId: id },
      });
    }
    if (key.revokedAt !== null) return;
    await this.storage.revokeApiKey(projectId, id, this.#now());
    await this.storage.appendAudit([
      { ...this.#event(principal, projectId, "key.revoke", null, {}), apiKeyId: id },
    ]);
  }

  async listAudit(filter: AuditFilter): Promise<AuditEvent[]> {
    if (filter.projectId) await this.requireProject(filter.projectId);
    return this.storage.listAudit(filter);
  }

  async usage(projectId: string, days: number, storeId?: string) {
    await this.requireProject(projectId);
    await this.flushUsage();
    const since = utcDay(this.#now() - (days - 1) * 86_400_000);
    return this.storage.listUsage(projectId, since, storeId);
  }

  /**
   * On an empty database: creates the `default` project and the first admin token, and returns
   * the token (shown once). Returns null when the vault was already set up.
   */
  async bootstrap(): Promise<{ adminToken: string; projectId: string } | null> {
    if ((await this.storage.countAdminTokens()) > 0) return null;
    const issued = issueToken("admin");
    await this.storage.createAdminToken({
      id: issued.id,
      hash: issued.hash,
      createdAt: this.#now(),
    });
    if (!(await this.storage.getProject("default"))) {
      await this.createProject({ kind: "cli" }, "default", "Default project");
    }
    return { adminToken: issued.token, projectId: "default" };
  }

  /** Issues another admin token (the first one lost, say); the token is returned once. */
  async createAdminToken(principal: Principal): Promise<{ adminToken: string; id: string }> {
    const issued = issueToken("admin");
    await this.storage.createAdminToken({
      id: issued.id,
      hash: issued.hash,
      createdAt: this.#now(),
    });
    await this.storage.appendAudit([
      this.#event(principal, null, "admin_token.create", null, { id: issued.id }),
    ]);
    return { adminToken: issued.token, id: issued.id };
  }

  /** The admin tokens (ids and creation times: the secrets are not stored), oldest first. */
  async listAdminTokens(): Promise<Array<{ id: string; createdAt: number }>> {
    const tokens = await this.storage.listAdminTokens();
    return tokens.map(({ id, createdAt }) => ({ id, createdAt }));
  }

  /**
   * Revokes an admin token at once, in every process (each request reads the token from storage).
   * The last one is kept: without it nobody could use the admin API or the dashboard.
   */
  async revokeAdminToken(principal: Principal, id: string): Promise<void> {
    const outcome = await this.storage.deleteAdminToken(id);
    if (outcome === "missing") {
      throw new CofferError(
        "NOT_FOUND",
        `No admin token "${id}": \`coffer-server admin-token list\` shows them.`,
        { details: { id } },
      );
    }
    if (outcome === "last") {
      throw new CofferError(
        "INVALID_ARGUMENT",
        `Admin token "${id}" is the last one: issue another with \`coffer-server admin-token create\` first, then revoke this one.`,
        { details: { id } },
      );
    }
    await this.storage.appendAudit([
      this.#event(principal, null, "admin_token.revoke", null, { id }),
    ]);
  }

  /** Rewraps every data key under the current master key; returns how many were rewrapped. */
  async rewrapDataKeys(onlyFromPrevious: boolean): Promise<number> {
    const master = this.masterKeys.current;
    const stores = (await this.storage.listAllStores()).filter(
      (s) => !onlyFromPrevious || s.masterKeyId !== master.id,
    );
    const updates = stores.map((store) => {
      const context = dataKeyContext(store.projectId, store.id, store.dataKeyId);
      const dataKey = unwrap(
        this.masterKeys.get(store.masterKeyId).key,
        store.wrappedDataKey,
        context,
      );
      return {
        projectId: store.projectId,
        storeId: store.id,
        wrappedDataKey: wrap(master.key, dataKey, context),
        masterKeyId: master.id,
      };
    });
    if (updates.length) await this.storage.rewrapDataKeys(updates);
    return updates.length;
  }

  /** The data key of a store, unwrapped once and cached. */
  dataKey(store: StoreRecord): Uint8Array {
    let key = this.#dataKeys.get(store.dataKeyId);
    if (!key) {
      let keys = this.masterKeys;
      // Wrapped under a key this process does not know: a rotation made it current since.
      if (this.#reloadMasterKeys && !keys.has(store.masterKeyId)) keys = this.#refreshMasterKeys();
      const master = keys.get(store.masterKeyId);
      key = unwrap(
        master.key,
        store.wrappedDataKey,
        dataKeyContext(store.projectId, store.id, store.dataKeyId),
      );
      this.#dataKeys.set(store.dataKeyId, key);
    }
    return key;
  }

  /** The master keys, re-read from the key files on the embedded default. */
  #refreshMasterKeys(): MasterKeyring {
    const known = this.masterKeys;
    if (this.#reloadMasterKeys) this.#masterKeys = this.#reloadMasterKeys(known);
    return this.masterKeys;
  }

  /** Wraps a client envelope for storage (used by writes and restore). */
  sealForStore(store: StoreRecord, blindedId: string, envelope: Uint8Array): Uint8Array {
    return wrap(this.dataKey(store), envelope, entryContext(store, blindedId));
  }

  /** Unwraps a stored entry to the client's envelope (used by reads and backup). */
  openFromStore(store: StoreRecord, record: EntryRecord): Uint8Array {
    return unwrap(this.dataKey(store), record.sealed, entryContext(store, record.blindedId));
  }

  async flushUsage(): Promise<void> {
    if (this.#usage.size === 0) return;
    const rows = [...this.#usage.values()];
    this.#usage = new Map();
    await this.storage.addUsage(rows);
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────

  async #store(
    principal: Principal & { kind: "key" },
    storeId: string,
    access: "read" | "write",
  ): Promise<StoreRecord> {
    const { apiKey } = principal;
    if (apiKey.storeIds && !apiKey.storeIds.includes(storeId)) {
      await this.#deny(
        apiKey.projectId,
        `key:${apiKey.id}`,
        "FORBIDDEN",
        { reason: "store outside the key's scope" },
        apiKey.id,
        storeId,
      );
      throw new CofferError(
        "FORBIDDEN",
        `This API key is limited to other stores than "${storeId}".`,
      );
    }
    if (access === "write" && apiKey.readOnly) {
      await this.#deny(
        apiKey.projectId,
        `key:${apiKey.id}`,
        "FORBIDDEN",
        { reason: "write with a read-only key" },
        apiKey.id,
        storeId,
      );
      throw new CofferError("FORBIDDEN", "This API key is read-only.");
    }
    const store = await this.storage.getStore(apiKey.projectId, storeId);
    if (!store) {
      // Probing for stores (another project's, say) is a refusal worth seeing in the audit log.
      await this.#deny(
        apiKey.projectId,
        `key:${apiKey.id}`,
        "STORE_NOT_FOUND",
        { reason: "no such store in the key's project" },
        apiKey.id,
        storeId,
      );
      throw storeNotFound(storeId);
    }
    return store;
  }

  #seal(store: StoreRecord, input: EntryInput) {
    if (input.envelope.length > this.maxEnvelopeBytes) {
      throw new CofferError(
        "VALUE_TOO_LARGE",
        `The value is over the server's size limit: its envelope is ${input.envelope.length} bytes, and a value within the limit seals to at most ${this.maxEnvelopeBytes}. Store a smaller value, or raise --max-value-bytes (COFFER_MAX_VALUE_BYTES) on the server.`,
        {
          details: { limit: this.maxEnvelopeBytes, size: input.envelope.length },
        },
      );
    }
    return {
      blindedId: input.blindedId,
      keyId: input.keyId,
      sealed: this.sealForStore(store, input.blindedId, input.envelope),
      size: input.envelope.length,
      ifVersion: input.ifVersion,
    };
  }

  #open(store: StoreRecord, record: EntryRecord): Entry {
    return {
      blindedId: record.blindedId,
      keyId: record.keyId,
      envelope: this.openFromStore(store, record),
      version: record.version,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    };
  }

  /** Records a key's use, telling the database at most once a minute per key from this process. */
  #touch(apiKeyId: string): void {
    const now = this.#now();
    if (now - (this.#lastTouch.get(apiKeyId) ?? Number.NEGATIVE_INFINITY) < TOUCH_INTERVAL_MS)
      return;
    this.#lastTouch.set(apiKeyId, now);
    void this.storage.touchApiKey(apiKeyId, now).catch(() => {});
  }

  #count(store: StoreRecord, kind: "reads" | "writes", n: number): void {
    const day = utcDay(this.#now());
    const key = `${store.projectId}\0${store.id}\0${day}`;
    let row = this.#usage.get(key);
    if (!row) {
      row = { projectId: store.projectId, storeId: store.id, day, reads: 0, writes: 0 };
      this.#usage.set(key, row);
    }
    row[kind] += n;
  }

  #event(
    principal: Principal,
    projectId: string | null,
    action: string,
    storeId: string | null,
    details: Record<string, unknown>,
  ): AuditEvent {
    return {
      at: this.#now(),
      projectId,
      actor: actorOf(principal),
      action,
      storeId,
      apiKeyId: principal.kind === "key" ? principal.apiKey.id : null,
      outcome: "ok",
      code: null,
      details,
    };
  }

  async #audit(
    principal: Principal,
    store: StoreRecord,
    action: string,
    details: Record<string, unknown>,
  ) {
    await this.storage.appendAudit([
      this.#event(principal, store.projectId, action, store.id, details),
    ]);
  }

  async #deny(
    projectId: string | null,
    actor: string,
    code: string,
    details: Record<string, unknown>,
    apiKeyId: string | null = null,
    storeId: string | null = null,
  ): Promise<void> {
    // An audit failure must not turn a 401 into a 500; the refusal itself still stands.
    await this.storage
      .appendAudit([
        {
          at: this.#now(),
          projectId,
          actor,
          action: "auth.denied",
          storeId,
          apiKeyId,
          outcome: "denied",
          code,
          details,
        },
      ])
      .catch(() => {});
  }
}

function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? "";
}

function actorOf(principal: Principal): string {
  if (principal.kind === "key") return `key:${principal.apiKey.id}`;
  if (principal.kind === "admin") return `admin:${principal.tokenId}`;
  return "cli";
}

/** A display name as given, or INVALID_REQUEST when it holds control characters. */
function checkName(name: string, what: string): string {
  if (!isDisplayName(name)) {
    throw new CofferError(
      "INVALID_REQUEST",
      `The ${what} name may not contain control characters (such as NUL, tab or newline) or unpaired surrogates.`,
    );
  }
  return name;
}

function storeNotFound(id: string): CofferError {
  return new CofferError(
    "STORE_NOT_FOUND",
    `No store "${id}" in this project. Create it with \`coffer-server store create ${id}\` or from the dashboard.`,
    {
      details: { storeId: id },
    },
  );
}

const dataKeyContext = (projectId: string, storeId: string, dataKeyId: string) => [
  "coffer/v1 data-key",
  projectId,
  storeId,
  dataKeyId,
];
const entryContext = (store: StoreRecord, blindedId: string) => [
  "coffer/v1 entry",
  store.projectId,
  store.id,
  store.dataKeyId,
  blindedId,
];
