// The `coffer-server` command line, driven for real: in-process through runCli for most commands,
// as a child process for `start`. Data is checked through the service layer (openVault).
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveConfig, type ServerConfig } from "../src/config.js";
import { generateMasterKeyString, keyFiles, parseMasterKey } from "../src/crypto/master-key.js";
import { openVault } from "../src/server.js";
import { LATEST_SCHEMA_VERSION } from "../src/storage/index.js";
import { startPostgres, type TestPostgres } from "../src/testing/postgres.js";
import type { Vault } from "../src/vault.js";
import { cli, cliAtTerminal, spawnCli } from "./helpers/cli.js";

const ENV = [
  "COFFER_DATA_DIR",
  "COFFER_DATABASE_URL",
  "COFFER_MASTER_KEY",
  "COFFER_PREVIOUS_MASTER_KEYS",
  "COFFER_NEW_MASTER_KEY",
  "COFFER_LOG_LEVEL",
  "COFFER_PORT",
  "COFFER_HOST",
  "COFFER_PROJECT",
  "COFFER_JSON",
];
const dirs: string[] = [];

beforeAll(() => {
  for (const name of ENV) delete process.env[name];
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "coffer-cli-"));
  dirs.push(dir);
  return dir;
}

/** A blinded id: 32 random bytes in base64url (its last character is then one of "AEIMQUYcgkosw048"). */
const blindedId = () => randomBytes(32).toString("base64url");
const keyId = () => randomBytes(8).toString("hex");

interface Written {
  projectId: string;
  storeId: string;
  blindedId: string;
  keyId: string;
  envelope: Uint8Array;
  version: number;
}

/** Writes `count` entries straight through storage, sealed the way the data API seals them. */
async function putEntries(
  vault: Vault,
  projectId: string,
  storeId: string,
  count: number,
): Promise<Written[]> {
  const store = await vault.storage.getStore(projectId, storeId);
  if (!store) throw new Error(`no store ${storeId}`);
  const written: Written[] = [];
  const kid = keyId();
  for (let i = 0; i < count; i++) {
    const id = blindedId();
    const envelope = new Uint8Array(randomBytes(40 + (i % 97)));
    const write = {
      blindedId: id,
      keyId: kid,
      sealed: vault.sealForStore(store, id, envelope),
      size: envelope.length,
    };
    let version = await vault.storage.putEntry(projectId, storeId, write, Date.now());
    if (i % 10 === 0) version = await vault.storage.putEntry(projectId, storeId, write, Date.now()); // version 2
    written.push({ projectId, storeId, blindedId: id, keyId: kid, envelope, version });
  }
  return written;
}

async function withVault<T>(config: ServerConfig, fn: (vault: Vault) => Promise<T>): Promise<T> {
  const vault = await openVault(config);
  try {
    return await fn(vault);
  } finally {
    await vault.close();
    await vault.storage.close();
  }
}

/** Every written entry reads back, byte for byte, with its version. */
async function expectEntries(vault: Vault, written: Written[]): Promise<void> {
  for (const w of written) {
    const store = await vault.storage.getStore(w.projectId, w.storeId);
    const record = await vault.storage.getEntry(w.projectId, w.storeId, w.blindedId);
    expect(store && record, `${w.storeId}/${w.blindedId}`).toBeTruthy();
    if (!store || !record) return;
    expect(Buffer.from(vault.openFromStore(store, record)).equals(Buffer.from(w.envelope))).toBe(
      true,
    );
    expect(record.version).toBe(w.version);
    expect(record.keyId).toBe(w.keyId);
    expect(record.size).toBe(w.envelope.length);
  }
}

/** GET with node:http: the global fetch sends `sec-fetch-mode`, which the vault refuses as a browser's. */
function httpStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    }).on("error", reject);
  });
}

describe("start (child process)", () => {
  it("prints the URL and the admin token once, serves /healthz, and exits 0 on SIGTERM", async () => {
    const dataDir = tempDir();
    const first = spawnCli(["start", "--data-dir", dataDir, "--port", "0", "--log-level", "warn"]);
    try {
      const [, url] = await first.waitFor(
        /Coffer vault listening on (http:\/\/127\.0\.0\.1:\d+) \(sqlite, data dir ([^)]+)\)/,
      );
      await first.waitFor(/Default project: default/);
      const tokens = first.stdout().match(/coffer_admin_[a-z0-9]{12}_[A-Za-z0-9_-]{43}/g) ?? [];
      expect(tokens).toHaveLength(1);
      expect(first.stdout()).toContain("will NOT be shown again");
      expect(first.stdout()).toContain(`data dir ${dataDir}`);

      expect(await httpStatus(`${url}/healthz`)).toBe(200);
      // A second server on the same port says so, and how to fix it.
      const clash = spawnCli([
        "start",
        "--data-dir",
        dataDir,
        "--port",
        new URL(url ?? "").port,
        "--json",
      ]);
      expect(await clash.exited).toEqual({ code: 1, signal: null });
      expect(JSON.parse(clash.stdout()).error).toEqual({
        code: "EADDRINUSE",
        message: expect.stringMatching(/already in use.+--port \(COFFER_PORT\)/),
      });
      // The printed token is the real one.
      expect(
        await httpStatus(`${url}/v1/admin/projects`, { authorization: `Bearer ${tokens[0]}` }),
      ).toBe(200);

      // Admin commands work on the same SQLite file while the server runs, and the server sees them.
      expect((await cli("store", "create", "live", "--data-dir", dataDir, "--json")).code).toBe(0);
      const apiKey = (
        await cli("key", "create", "--store", "live", "--data-dir", dataDir, "--json")
      ).json().apiKey;
      expect(await httpStatus(`${url}/v1/stores/live`, { authorization: `Bearer ${apiKey}` })).toBe(
        200,
      );

      first.child.kill("SIGTERM");
      expect(await first.exited).toEqual({ code: 0, signal: null });
      expect(first.stderr()).toContain("stopping");
    } finally {
      first.child.kill("SIGKILL");
    }

    // Second start on the same data dir, with --json: one JSON line, no admin token.
    const second = spawnCli(["start", "--json", "--port", "0"], {
      COFFER_DATA_DIR: dataDir,
      COFFER_LOG_LEVEL: "info",
    });
    try {
      await second.waitFor(/\n/);
      const started = JSON.parse(second.stdout());
      expect(started).toEqual({
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        engine: "sqlite",
        dataDir,
      });
      expect(await httpStatus(`${started.url}/healthz`)).toBe(200);
      second.child.kill("SIGINT");
      expect(await second.exited).toEqual({ code: 0, signal: null });
      // Logs went to stderr: stdout holds the one line only.
      expect(second.stdout().trim().split("\n")).toHaveLength(1);
      expect(second.stdout()).not.toContain("coffer_admin_");
    } finally {
      second.child.kill("SIGKILL");
    }
  });
});

describe("projects, stores and API keys", () => {
  const dataDir = tempDir();
  const run = (...args: string[]) => cli(...args, "--data-dir", dataDir);
  beforeAll(async () => {
    // Admin commands refuse a data dir with no vault; `migrate` creates one without starting.
    expect((await run("migrate")).code).toBe(0);
  });

  it("creates and lists projects", async () => {
    const created = await run("project", "create", "app", "--name", "My app", "--json");
    expect(created.code).toBe(0);
    expect(created.json()).toEqual({
      id: "app",
      name: "My app",
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect((await run("project", "create", "default")).code).toBe(0);

    const again = await run("project", "create", "app");
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^coffer-server: .+ \(PROJECT_EXISTS\)\n$/);

    // The id may come from the name.
    const named = await run("project", "create", "--name", "  Ünïcode & Co. ", "--json");
    expect(named.json()).toMatchObject({ id: "unicode-co", name: "Ünïcode & Co." });
    const none = await run("project", "create", "--json");
    expect(none.json().error).toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringContaining("Give the project an id"),
    });

    const bad = await run("project", "create", "Not_An_Id!", "--json");
    expect(bad.code).toBe(1);
    expect(bad.json().error.code).toBe("INVALID_ARGUMENT");

    const list = await run("project", "list", "--json");
    expect(
      list
        .json()
        .projects.map((p: { id: string }) => p.id)
        .sort(),
    ).toEqual(["app", "default", "unicode-co"]);
    const human = await run("project", "list");
    expect(human.stdout).toMatch(/^ID\s+NAME\s+CREATED\n/);
    expect(human.stdout).toContain("My app");
  });

  it("creates, lists and deletes stores (a person at a terminal confirms first)", async () => {
    const created = await run(
      "store",
      "create",
      "users",
      "--project",
      "app",
      "--name",
      "Users",
      "--json",
    );
    expect(created.json()).toEqual({
      projectId: "app",
      id: "users",
      name: "Users",
      createdAt: expect.any(String),
      entryCount: 0,
      bytes: 0,
      lastWriteAt: null,
    });
    expect((await run("store", "create", "tokens", "--project", "app")).stdout).toContain(
      'Created store "tokens"',
    );
    expect((await run("store", "create", "Bad Id", "--project", "app")).stderr).toContain(
      "(INVALID_REQUEST)",
    );

    const written = await withVault(resolveConfig({ dataDir }), (vault) =>
      putEntries(vault, "app", "users", 3),
    );
    const bytes = written.reduce((sum, w) => sum + w.envelope.length, 0);
    const list = await run("store", "list", "--project", "app", "--json");
    expect(list.json().stores).toEqual([
      expect.objectContaining({ id: "tokens", entryCount: 0, bytes: 0, lastWriteAt: null }),
      expect.objectContaining({
        id: "users",
        name: "Users",
        entryCount: 3,
        bytes,
        lastWriteAt: expect.any(String),
      }),
    ]);
    expect(JSON.stringify(list.json())).not.toMatch(/wrapped|masterKey|dataKey/i);
    const human = await run("store", "list", "--project", "app");
    expect(human.stdout).toMatch(/^ID\s+NAME\s+ENTRIES\s+BYTES\s+LAST WRITE\n/);

    // At a terminal, the operator is asked, and "no" deletes nothing.
    const declined = await cliAtTerminal(
      false,
      ...["store", "delete", "users", "--project", "app", "--data-dir", dataDir],
    );
    expect(declined.questions).toEqual([
      expect.stringMatching(
        /Delete store "users" of project "app"\? Its 3 entries and its data key/,
      ),
    ]);
    expect(declined.code).toBe(1);
    expect(declined.stderr).toMatch(/not deleted.+\(INVALID_ARGUMENT\)/);
    expect((await run("store", "list", "--project", "app", "--json")).json().stores).toHaveLength(
      2,
    );
    // --yes skips the question.
    const skipped = await cliAtTerminal(
      false,
      ...["store", "delete", "tokens", "--project", "app", "--yes", "--data-dir", dataDir],
    );
    expect(skipped).toMatchObject({ code: 0, questions: [] });
    expect((await run("store", "create", "tokens", "--project", "app")).code).toBe(0);

    // A script (no terminal) deletes as told, as `store delete <id>`.
    const deleted = await run("store", "delete", "users", "--project", "app", "--json");
    expect(deleted.json()).toEqual({ deleted: true, projectId: "app", id: "users", entryCount: 3 });
    expect(
      (await run("store", "list", "--project", "app", "--json"))
        .json()
        .stores.map((s: { id: string }) => s.id),
    ).toEqual(["tokens"]);
    // The entries went with it: the same id created again is empty.
    await withVault(resolveConfig({ dataDir }), async (vault) => {
      for (const w of written) {
        expect(await vault.storage.getEntry("app", "users", w.blindedId)).toBeNull();
      }
    });

    const missing = await run("store", "delete", "users", "--project", "app", "--json");
    expect(missing.code).toBe(1);
    expect(missing.json().error.code).toBe("STORE_NOT_FOUND");
  });

  it("creates API keys (shown once), lists them without secrets, and revokes them", async () => {
    const created = await run(
      "key",
      "create",
      "--project",
      "app",
      "--store",
      "tokens",
      "--read-only",
      "--name",
      "ci",
      "--json",
    );
    expect(created.code).toBe(0);
    const { apiKey, key } = created.json();
    expect(apiKey).toMatch(/^coffer_key_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(key).toEqual({
      id: expect.stringMatching(/^[a-z0-9]{12}$/),
      prefix: `coffer_key_${key.id}`,
      name: "ci",
      projectId: "app",
      storeIds: ["tokens"],
      readOnly: true,
      createdAt: expect.any(String),
      lastUsedAt: null,
      revokedAt: null,
    });

    const human = await run("key", "create", "--project", "app");
    expect(human.stdout.match(/coffer_key_[a-z0-9]{12}_[A-Za-z0-9_-]{43}/g)).toHaveLength(1);
    expect(human.stdout).toContain("shown this once");
    expect((await run("key", "create", "--project", "app", "--store", "nope")).stderr).toContain(
      "(STORE_NOT_FOUND)",
    );

    await withVault(resolveConfig({ dataDir }), async (vault) => {
      const principal = await vault.authenticateApiKey(`Bearer ${apiKey}`);
      expect(principal.apiKey.id).toBe(key.id);
    });

    const list = await run("key", "list", "--project", "app", "--json");
    expect(list.json().keys).toHaveLength(2);
    // The secret half follows the prefix; it may itself contain "_".
    expect(list.stdout).not.toContain(apiKey.slice(`${key.prefix}_`.length));
    expect(list.stdout).not.toContain("hash");

    // Key ids are unique across projects: no --project needed to revoke.
    const revoked = await run("key", "revoke", key.id, "--json");
    expect(revoked.json()).toEqual({ revoked: true, projectId: "app", id: key.id });
    const after = (await run("key", "list", "--project", "app", "--json"))
      .json()
      .keys.find((k: { id: string }) => k.id === key.id);
    expect(after.revokedAt).toEqual(expect.any(String));
    await withVault(resolveConfig({ dataDir }), async (vault) => {
      await expect(vault.authenticateApiKey(`Bearer ${apiKey}`)).rejects.toMatchObject({
        code: "UNAUTHORIZED",
      });
    });

    const unknown = await run("key", "revoke", "zzzzzzzzzzzz");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("(KEY_NOT_FOUND)");
    // A --project that is not the key's own is refused, not silently ignored.
    const other = await run("key", "create", "--project", "default", "--json");
    const wrong = await run("key", "revoke", other.json().key.id, "--project", "app");
    expect(wrong.stderr).toContain("(KEY_NOT_FOUND)");
  });

  it("shows audit events, newest first", async () => {
    const audit = await run("audit", "--project", "app", "--json");
    const events: Array<{ id: number; action: string; at: string }> = audit.json().events;
    const actions = events.map((e) => e.action);
    // The last thing that happened: the revoked key was refused.
    expect(actions.slice(0, 2)).toEqual(["auth.denied", "key.revoke"]);
    expect(events.map((e) => e.id)).toEqual(events.map((e) => e.id).sort((a, b) => b - a));
    expect(actions).toEqual(
      expect.arrayContaining(["store.delete", "store.create", "key.create", "project.create"]),
    );
    const limited = await run("audit", "--action", "store.create", "--limit", "1", "--json");
    expect(limited.json().events).toEqual([
      expect.objectContaining({ action: "store.create", storeId: "tokens", actor: "cli" }),
    ]);
    expect((await run("audit")).stdout).toMatch(/^AT\s+ACTION\s+ACTOR/);

    const newest = events[0] as { id: number; at: string };
    const since = await run("audit", "--project", "app", "--since", newest.at, "--json");
    expect(since.json().events.map((e: { id: number }) => e.id)).toContain(newest.id);
    const until = await run("audit", "--project", "app", "--until", newest.at, "--json");
    expect(until.json().events.map((e: { id: number }) => e.id)).not.toContain(newest.id);
    expect((await run("audit", "--since", "yesterday")).stderr).toContain("expected a time");
  });

  it("takes every setting from the environment too: COFFER_PROJECT, COFFER_JSON", async () => {
    process.env.COFFER_PROJECT = "app";
    process.env.COFFER_JSON = "1";
    try {
      const stores = await run("store", "list");
      expect(stores.json().stores.map((s: { id: string }) => s.id)).toEqual(["tokens"]);
      // A flag wins over the variable.
      expect((await run("store", "list", "--project", "default")).json().stores).toEqual([]);
    } finally {
      delete process.env.COFFER_PROJECT;
      delete process.env.COFFER_JSON;
    }
  });

  it("reports errors with a code and a non-zero exit; usage errors the commander way", async () => {
    const missing = await run("store", "list", "--project", "ghost");
    expect(missing).toMatchObject({ code: 1, stdout: "" });
    expect(missing.stderr).toBe('coffer-server: No project "ghost". (PROJECT_NOT_FOUND)\n');
    const json = await run("store", "list", "--project", "ghost", "--json");
    expect(json.json()).toEqual({
      error: { code: "PROJECT_NOT_FOUND", message: 'No project "ghost".' },
    });

    const unknown = await run("store", "list", "--bogus");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
    expect(unknown.stdout).toBe("");
    // A script that asked for JSON gets usage errors as JSON too.
    const unknownJson = await run("store", "list", "--bogus", "--json");
    expect(unknownJson.code).toBe(1);
    expect(unknownJson.json()).toEqual({
      error: { code: "INVALID_ARGUMENT", message: "unknown option '--bogus'" },
    });
    expect(unknownJson.stderr).toBe("");
    const noArg = await cli("store", "delete");
    expect(noArg.code).toBe(1);
    expect(noArg.stderr).toContain("missing required argument 'id'");
    const help = await cli("key", "create", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--read-only");
    expect(help.stdout).toContain("COFFER_DATA_DIR");
  });

  it("refuses a data dir with no vault, and explains where the default project comes from", async () => {
    const none = await cli("store", "list", "--data-dir", tempDir());
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("No Coffer vault in");
    const migrated = tempDir();
    expect((await cli("migrate", "--data-dir", migrated)).code).toBe(0);
    const fresh = await cli("store", "list", "--data-dir", migrated);
    expect(fresh.stderr).toContain("The first `coffer-server start` creates it");
  });
});

describe("admin-token create", () => {
  it("issues another working admin token, shown once, and audits it", async () => {
    const dataDir = tempDir();
    const first = await withVault(resolveConfig({ dataDir }), (vault) => vault.bootstrap());
    const created = await cli("admin-token", "create", "--data-dir", dataDir, "--json");
    expect(created.json()).toEqual({
      adminToken: expect.stringMatching(/^coffer_admin_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/),
      id: expect.stringMatching(/^[a-z0-9]{12}$/),
    });
    const { adminToken, id } = created.json();
    expect(adminToken).not.toBe(first?.adminToken);
    await withVault(resolveConfig({ dataDir }), async (vault) => {
      expect((await vault.authenticateAdmin(`Bearer ${adminToken}`)).tokenId).toBe(id);
      expect((await vault.authenticateAdmin(`Bearer ${first?.adminToken}`)).tokenId).toBeTruthy();
    });
    const audit = await cli(
      "audit",
      "--action",
      "admin_token.create",
      "--data-dir",
      dataDir,
      "--json",
    );
    expect(audit.json().events).toEqual([
      expect.objectContaining({ actor: "cli", details: { id } }),
    ]);
    expect(JSON.stringify(audit.json())).not.toContain(adminToken);
  });
});

describe("admin-token list and revoke", () => {
  it("lists ids, never tokens; a revoked token fails at the running server's next request; the last one is kept", async () => {
    const dataDir = tempDir();
    const server = spawnCli(["start", "--data-dir", dataDir, "--port", "0", "--log-level", "warn"]);
    try {
      const [, url] = await server.waitFor(/Coffer vault listening on (http:\/\/127\.0\.0\.1:\d+)/);
      await server.waitFor(/Default project: default/);
      const [first] = server.stdout().match(/coffer_admin_[a-z0-9]{12}_[A-Za-z0-9_-]{43}/) ?? [];
      const firstId = first?.split("_")[2] as string;
      const second = (await cli("admin-token", "create", "--data-dir", dataDir, "--json")).json();
      const status = (token: string) =>
        httpStatus(`${url}/v1/admin/projects`, { authorization: `Bearer ${token}` });
      expect(await status(first as string)).toBe(200);

      const listed = await cli("admin-token", "list", "--data-dir", dataDir, "--json");
      expect(listed.json().adminTokens).toEqual([
        { id: firstId, prefix: `coffer_admin_${firstId}`, createdAt: expect.any(String) },
        { id: second.id, prefix: `coffer_admin_${second.id}`, createdAt: expect.any(String) },
      ]);
      expect(listed.stdout).not.toContain(second.adminToken);
      const text = await cli("admin-token", "list", "--data-dir", dataDir);
      expect(text.stdout).toMatch(
        new RegExp(`^ID +PREFIX +CREATED\n${firstId} +coffer_admin_${firstId} `),
      );

      // Revoked by its prefix while the server runs: refused from the next request on.
      const revoked = await cli(
        "admin-token",
        "revoke",
        `coffer_admin_${firstId}`,
        "--data-dir",
        dataDir,
      );
      expect(revoked).toMatchObject({ code: 0, stdout: `Revoked admin token ${firstId}.\n` });
      expect(await status(first as string)).toBe(401);
      expect(await status(second.adminToken)).toBe(200);

      const again = await cli("admin-token", "revoke", firstId, "--data-dir", dataDir, "--json");
      expect(again.code).toBe(1);
      expect(again.json().error.code).toBe("NOT_FOUND");
      // The last token cannot go: the admin API and the dashboard would have no way in.
      const last = await cli("admin-token", "revoke", second.id, "--data-dir", dataDir, "--json");
      expect(last.code).toBe(1);
      expect(last.json().error).toEqual({
        code: "INVALID_ARGUMENT",
        message: expect.stringContaining("admin-token create"),
      });
      expect(await status(second.adminToken)).toBe(200);

      const audit = await cli(
        "audit",
        "--action",
        "admin_token.revoke",
        "--data-dir",
        dataDir,
        "--json",
      );
      expect(audit.json().events).toEqual([
        expect.objectContaining({ actor: "cli", details: { id: firstId } }),
      ]);
    } finally {
      server.child.kill("SIGKILL");
    }
    // A restart does not issue a new token: the vault still has one.
    const restarted = spawnCli(["start", "--data-dir", dataDir, "--port", "0", "--json"]);
    try {
      await restarted.waitFor(/\n/);
      expect(JSON.parse(restarted.stdout())).not.toHaveProperty("adminToken");
    } finally {
      restarted.child.kill("SIGKILL");
    }
  });
});

describe("migrate and master-key generate", () => {
  it("applies migrations once and reports the schema version", async () => {
    const dataDir = tempDir();
    const first = (await cli("migrate", "--data-dir", dataDir, "--json")).json();
    expect(first).toEqual({
      engine: "sqlite",
      applied: expect.any(Array),
      schemaVersion: LATEST_SCHEMA_VERSION,
    });
    expect(first.applied.at(-1)).toBe(LATEST_SCHEMA_VERSION);
    expect((await cli("migrate", "--data-dir", dataDir, "--json")).json().applied).toEqual([]);
    expect((await cli("migrate", "--data-dir", dataDir)).stdout).toContain("Nothing to migrate");
    // migrate needs no master key: none was created.
    expect(existsSync(keyFiles(dataDir).current)).toBe(false);
  });

  it("generates master keys", async () => {
    const human = await cli("master-key", "generate");
    expect(parseMasterKey(human.stdout, "stdout").id).toMatch(/^[0-9a-f]{16}$/);
    const json = (await cli("master-key", "generate", "--json")).json();
    expect(parseMasterKey(json.masterKey, "json").id).toBe(json.id);
  });
});

describe("rotate-master-key", () => {
  it("rotates the key file of the embedded default; data stays readable with only the new key", async () => {
    const dataDir = tempDir();
    const config = resolveConfig({ dataDir });
    const files = keyFiles(dataDir);
    const written = await withVault(config, async (vault) => {
      await vault.createProject({ kind: "cli" }, "default", "Default");
      await vault.createProject({ kind: "cli" }, "other", "Other");
      await vault.createStore({ kind: "cli" }, "default", "a", undefined);
      await vault.createStore({ kind: "cli" }, "default", "b", undefined);
      await vault.createStore({ kind: "cli" }, "other", "c", undefined);
      return [
        ...(await putEntries(vault, "default", "a", 20)),
        ...(await putEntries(vault, "other", "c", 5)),
      ];
    });
    const oldText = readFileSync(files.current, "utf8");
    const oldId = parseMasterKey(oldText, "old").id;

    const rotated = await cli("rotate-master-key", "--data-dir", dataDir, "--json");
    expect(rotated.code).toBe(0);
    const summary = rotated.json();
    expect(summary).toEqual({
      rewrapped: 3,
      oldMasterKeyId: oldId,
      newMasterKeyId: expect.stringMatching(/^[0-9a-f]{16}$/),
      keySource: "file",
      resumed: false,
      previousKeyFileRemoved: true,
    });
    const newText = readFileSync(files.current, "utf8");
    expect(newText).not.toBe(oldText);
    expect(parseMasterKey(newText, "new").id).toBe(summary.newMasterKeyId);
    expect(statSync(files.current).mode & 0o777).toBe(0o600);
    expect(existsSync(files.next)).toBe(false);
    expect(existsSync(files.previous)).toBe(false);
    expect(rotated.stdout).not.toContain(oldText.trim());
    expect(rotated.stdout).not.toContain(newText.trim());

    // Restart with only the new key (the old file is gone; COFFER_MASTER_KEY works the same).
    for (const restart of [config, resolveConfig({ dataDir, masterKey: newText })]) {
      await withVault(restart, async (vault) => {
        expect(vault.masterKeys.previousIds).toEqual([]);
        const stores = await vault.storage.listAllStores();
        expect(stores.map((s) => s.masterKeyId)).toEqual([
          summary.newMasterKeyId,
          summary.newMasterKeyId,
          summary.newMasterKeyId,
        ]);
        await expectEntries(vault, written);
      });
    }

    const human = await cli("rotate-master-key", "--data-dir", dataDir);
    expect(human.stdout).toContain(
      `Rewrapped 3 data keys from master key ${summary.newMasterKeyId} to `,
    );
    const refused = await cli(
      "rotate-master-key",
      "--data-dir",
      dataDir,
      "--new-master-key",
      generateMasterKeyString(),
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("(INVALID_ARGUMENT)");
  });

  it("rotates while the server runs: stores it creates afterwards survive a restart", async () => {
    // The running server kept the old key in memory: a store it created after the rotation was
    // wrapped under the key the rotation had just deleted, and the next start refused the vault
    // ("wrapped under master key …, which is not loaded"); a store the CLI created under the new
    // key could not be opened by the running server (500).
    const dataDir = tempDir();
    const config = resolveConfig({ dataDir });
    const running = await openVault(config);
    try {
      await running.bootstrap();
      await running.createStore({ kind: "cli" }, "default", "before", undefined);
      const written = await putEntries(running, "default", "before", 3);
      const rotated = await cli("rotate-master-key", "--data-dir", dataDir, "--json");
      expect(rotated.json()).toMatchObject({ rewrapped: 1, previousKeyFileRemoved: true });
      const newId = rotated.json().newMasterKeyId;

      await running.createStore({ kind: "admin", tokenId: "t" }, "default", "after", undefined);
      written.push(...(await putEntries(running, "default", "after", 3)));
      expect((await cli("store", "create", "by-cli", "--data-dir", dataDir)).code).toBe(0);
      written.push(...(await putEntries(running, "default", "by-cli", 3)));
      await expectEntries(running, written);

      await withVault(config, async (restarted) => {
        expect((await restarted.storage.listAllStores()).map((s) => s.masterKeyId)).toEqual([
          newId,
          newId,
          newId,
        ]);
        await expectEntries(restarted, written);
      });
    } finally {
      await running.close();
      await running.storage.close();
    }
  });

  it("resumes an interrupted rotation instead of overwriting master.key.next", async () => {
    const dataDir = tempDir();
    const config = resolveConfig({ dataDir });
    await withVault(config, async (vault) => {
      await vault.createProject({ kind: "cli" }, "default", "Default");
      await vault.createStore({ kind: "cli" }, "default", "a", undefined);
    });
    const staged = generateMasterKeyString();
    writeFileSync(keyFiles(dataDir).next, `${staged}\n`, { mode: 0o600 });
    const summary = (await cli("rotate-master-key", "--data-dir", dataDir, "--json")).json();
    expect(summary).toMatchObject({
      rewrapped: 1,
      resumed: true,
      newMasterKeyId: parseMasterKey(staged, "staged").id,
    });
    expect(readFileSync(keyFiles(dataDir).current, "utf8").trim()).toBe(staged);
  });

  it("with COFFER_MASTER_KEY, rewraps under --new-master-key and says what to do next", async () => {
    const dataDir = tempDir();
    const oldKey = generateMasterKeyString();
    const newKey = generateMasterKeyString();
    const written = await withVault(
      resolveConfig({ dataDir, masterKey: oldKey }),
      async (vault) => {
        await vault.createProject({ kind: "cli" }, "default", "Default");
        await vault.createStore({ kind: "cli" }, "default", "a", undefined);
        await vault.createStore({ kind: "cli" }, "default", "b", undefined);
        return putEntries(vault, "default", "b", 4);
      },
    );

    const missing = await cli("rotate-master-key", "--data-dir", dataDir, "--master-key", oldKey);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("--new-master-key");

    process.env.COFFER_NEW_MASTER_KEY = newKey;
    const rotated = await cli(
      "rotate-master-key",
      "--data-dir",
      dataDir,
      "--master-key",
      oldKey,
    ).finally(() => {
      delete process.env.COFFER_NEW_MASTER_KEY;
    });
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain(
      `Rewrapped 2 data keys from master key ${parseMasterKey(oldKey, "o").id} to ${parseMasterKey(newKey, "n").id}`,
    );
    expect(rotated.stdout).toContain("COFFER_PREVIOUS_MASTER_KEYS");
    expect(rotated.stdout + rotated.stderr).not.toContain(oldKey);
    expect(rotated.stdout + rotated.stderr).not.toContain(newKey);
    expect(existsSync(keyFiles(dataDir).current)).toBe(false);

    await withVault(resolveConfig({ dataDir, masterKey: newKey }), (vault) =>
      expectEntries(vault, written),
    );
    // The old key alone no longer opens the vault: refused at start, not on the first request.
    await expect(openVault(resolveConfig({ dataDir, masterKey: oldKey }))).rejects.toThrow(
      /which is not loaded/,
    );
  });
});

describe("store delete on the embedded default", () => {
  it("leaves neither the wrapped data key nor the entries in the database file or its WAL", async () => {
    // SQLite keeps deleted rows in free pages and the WAL keeps the pages as they were: the
    // "destroyed" data key (under master.key, in the same directory) could be read back.
    const dataDir = tempDir();
    const { wrappedKey, sealed } = await withVault(resolveConfig({ dataDir }), async (vault) => {
      await vault.bootstrap();
      await vault.createStore({ kind: "cli" }, "default", "keep", undefined);
      await vault.createStore({ kind: "cli" }, "default", "gone", undefined);
      await putEntries(vault, "default", "keep", 5);
      const written = await putEntries(vault, "default", "gone", 50);
      const store = await vault.storage.getStore("default", "gone");
      const entry = await vault.storage.getEntry("default", "gone", written[7]?.blindedId ?? "");
      return { wrappedKey: Buffer.from(store?.wrappedDataKey ?? []), sealed: entry?.sealed };
    });
    expect(wrappedKey.length).toBeGreaterThan(0);
    expect((await cli("store", "delete", "gone", "--yes", "--data-dir", dataDir)).code).toBe(0);
    for (const file of ["coffer.db", "coffer.db-wal"].map((f) => join(dataDir, f))) {
      if (!existsSync(file)) continue;
      const bytes = readFileSync(file);
      expect(bytes.includes(wrappedKey), file).toBe(false);
      expect(bytes.includes(Buffer.from(sealed ?? [])), file).toBe(false);
    }
    expect((await cli("store", "list", "--data-dir", dataDir, "--json")).json().stores).toEqual([
      expect.objectContaining({ id: "keep", entryCount: 5 }),
    ]);
  });
});

describe("backup and restore", () => {
  let pg: TestPostgres | undefined;
  afterAll(async () => {
    await pg?.stop();
  });

  it("backs up SQLite and restores into PostgreSQL: entries, versions, keys and tokens intact", async () => {
    const dataDir = tempDir();
    const config = resolveConfig({ dataDir });
    const source = await withVault(config, async (vault) => {
      const boot = await vault.bootstrap();
      if (!boot) throw new Error("expected a bootstrap");
      await vault.createProject({ kind: "cli" }, "shop", "Shop");
      for (const [project, store] of [
        ["default", "users"],
        ["default", "empty"],
        ["shop", "cards"],
      ] as const) {
        await vault.createStore({ kind: "cli" }, project, store, `${store} store`);
      }
      const written = [
        ...(await putEntries(vault, "default", "users", 1234)),
        ...(await putEntries(vault, "shop", "cards", 7)),
      ];
      const live = await vault.createApiKey({ kind: "cli" }, "default", { name: "app" });
      const scoped = await vault.createApiKey({ kind: "cli" }, "shop", {
        storeIds: ["cards"],
        readOnly: true,
      });
      const revoked = await vault.createApiKey({ kind: "cli" }, "shop", {});
      await vault.revokeApiKey({ kind: "cli" }, "shop", revoked.record.id);
      const sealed = (await vault.storage.getEntry("default", "users", written[0]?.blindedId ?? ""))
        ?.sealed;
      return { written, adminToken: boot.adminToken, live, scoped, revoked, sealed };
    });

    const file = join(tempDir(), "vault.backup");
    const backup = await cli("backup", file, "--data-dir", dataDir, "--json");
    expect(backup.code).toBe(0);
    const counts = { projects: 2, stores: 3, entries: 1241, apiKeys: 3, adminTokens: 1 };
    expect(backup.json()).toEqual({ file, engine: "sqlite", counts });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(`${file}.partial`)).toBe(false);

    const text = readFileSync(file, "utf8");
    const lines = text
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines[0]).toEqual({
      format: "coffer-backup",
      version: 1,
      createdAt: expect.any(String),
      engine: "sqlite",
    });
    expect(lines.at(-1)).toEqual({ type: "end", counts });
    expect(lines.map((l) => l.type).slice(1, -1)).toEqual([
      ...Array(2).fill("project"),
      ...Array(3).fill("store"),
      ...Array(1241).fill("entry"),
      ...Array(3).fill("apiKey"),
      "adminToken",
    ]);
    // Client envelopes, not the at-rest bytes; no data key; no credential.
    const firstEntry = lines.find(
      (l) => l.type === "entry" && l.entry.blindedId === source.written[0]?.blindedId,
    );
    expect(firstEntry.entry.envelope).toBe(
      Buffer.from(source.written[0]?.envelope ?? []).toString("base64url"),
    );
    expect(text).not.toContain(Buffer.from(source.sealed ?? []).toString("base64url"));
    expect(text).not.toMatch(/wrappedDataKey|masterKeyId|dataKeyId/);
    expect(text).not.toContain(source.live.apiKey);
    expect(text).not.toContain(source.adminToken);

    pg = await startPostgres();
    const masterKey = generateMasterKeyString();
    const target = ["--database-url", pg.url, "--master-key", masterKey];
    const restored = await cli("restore", file, ...target, "--json");
    expect(restored.stderr).toBe("");
    expect(restored.json()).toEqual({ file, engine: "postgres", counts, skippedAdminTokens: 0 });

    await withVault(resolveConfig({ databaseUrl: pg.url, masterKey }), async (vault) => {
      await expectEntries(vault, source.written);
      const stores = await vault.storage.listAllStores();
      expect(stores.map((s) => `${s.projectId}/${s.id}`).sort()).toEqual([
        "default/empty",
        "default/users",
        "shop/cards",
      ]);
      expect(new Set(stores.map((s) => s.masterKeyId))).toEqual(
        new Set([parseMasterKey(masterKey, "k").id]),
      );
      expect((await vault.listStores("default")).find((s) => s.id === "users")?.name).toBe(
        "users store",
      );
      expect((await vault.authenticateApiKey(`Bearer ${source.live.apiKey}`)).apiKey).toMatchObject(
        { projectId: "default", name: "app" },
      );
      expect(
        (await vault.authenticateApiKey(`Bearer ${source.scoped.apiKey}`)).apiKey,
      ).toMatchObject({ storeIds: ["cards"], readOnly: true });
      await expect(
        vault.authenticateApiKey(`Bearer ${source.revoked.apiKey}`),
      ).rejects.toMatchObject({ code: "UNAUTHORIZED" });
      expect((await vault.authenticateAdmin(`Bearer ${source.adminToken}`)).tokenId).toBe(
        source.adminToken.split("_")[2],
      );
      // The restored vault is set up: its first start bootstraps no second token.
      expect(await vault.bootstrap()).toBeNull();
    });

    // Only into an empty vault.
    const again = await cli("restore", file, ...target, "--json");
    expect(again.code).toBe(1);
    expect(again.json().error).toMatchObject({
      code: "INVALID_REQUEST",
      message: expect.stringContaining("empty vault"),
    });

    // Commands that never touch a data key run on PostgreSQL without the master key; the others
    // say what they need.
    const url = ["--database-url", pg.url];
    const created = await cli("key", "create", "--store", "users", ...url, "--json");
    expect(created.json().key).toMatchObject({ storeIds: ["users"], projectId: "default" });
    expect((await cli("key", "revoke", created.json().key.id, ...url, "--json")).code).toBe(0);
    expect((await cli("store", "list", ...url, "--json")).json().stores).toHaveLength(2);
    const needsKey = await cli("store", "create", "more", ...url, "--json");
    expect(needsKey.json().error).toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringContaining("COFFER_MASTER_KEY is required"),
    });
  });

  it("restores into PostgreSQL a SQLite backup whose names hold a NUL (written before names were checked)", async () => {
    // SQLite stores a NUL in text and PostgreSQL cannot: such a name once stopped the restore
    // part-way ("Cannot read backup file …"), leaving a half-restored database.
    const sourceDir = tempDir();
    const written = await withVault(resolveConfig({ dataDir: sourceDir }), async (vault) => {
      await vault.bootstrap();
      await vault.storage.createProject({ id: "old", name: "a\u0000b", createdAt: Date.now() });
      await vault.createStore({ kind: "cli" }, "old", "s", undefined);
      await vault.storage.renameStore("old", "s", "tab\there");
      const key = await vault.createApiKey({ kind: "cli" }, "old", {});
      await vault.storage.revokeApiKey("old", key.record.id, Date.now());
      return putEntries(vault, "old", "s", 3);
    });
    const file = join(tempDir(), "names.jsonl");
    expect((await cli("backup", file, "--data-dir", sourceDir)).code).toBe(0);

    pg ??= await startPostgres();
    const url = await pg.createDatabase();
    const masterKey = generateMasterKeyString();
    const restored = await cli("restore", file, "--database-url", url, "--master-key", masterKey);
    expect(restored.stderr).toBe("");
    expect(restored.code).toBe(0);
    await withVault(resolveConfig({ databaseUrl: url, masterKey }), async (vault) => {
      await expectEntries(vault, written);
      expect((await vault.storage.getProject("old"))?.name).toBe("a\ufffdb");
      expect((await vault.listStores("old"))[0]?.name).toBe("tab\ufffdhere");
    });
  });

  it("restores into a vault whose first start created only its empty default project", async () => {
    const sourceDir = tempDir();
    const written = await withVault(resolveConfig({ dataDir: sourceDir }), async (vault) => {
      await vault.bootstrap();
      await vault.createStore({ kind: "cli" }, "default", "s", undefined);
      return putEntries(vault, "default", "s", 3);
    });
    const file = join(tempDir(), "b.jsonl");
    expect((await cli("backup", file, "--data-dir", sourceDir)).stdout).toContain(
      "Backed up 1 project, 1 store, 3 entries",
    );

    const targetDir = tempDir();
    await withVault(
      resolveConfig({ dataDir: targetDir }),
      async (vault) => void (await vault.bootstrap()),
    );
    const restored = await cli("restore", file, "--data-dir", targetDir);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain("Restored 1 project, 1 store, 3 entries");
    await withVault(resolveConfig({ dataDir: targetDir }), async (vault) => {
      await expectEntries(vault, written);
      expect(await vault.storage.countAdminTokens()).toBe(2);
    });
  });

  it("refuses a truncated or damaged file and writes nothing", async () => {
    const sourceDir = tempDir();
    await withVault(resolveConfig({ dataDir: sourceDir }), async (vault) => {
      await vault.bootstrap();
      await vault.createStore({ kind: "cli" }, "default", "s", undefined);
      await putEntries(vault, "default", "s", 5);
    });
    const dir = tempDir();
    const file = join(dir, "good.jsonl");
    expect((await cli("backup", file, "--data-dir", sourceDir)).code).toBe(0);
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");

    const variants: Record<string, string> = {
      "no end line": `${lines.slice(0, -1).join("\n")}\n`,
      "cut mid-line": readFileSync(file, "utf8").slice(0, -40),
      "missing entry": `${lines.filter((_, i) => i !== 4).join("\n")}\n`,
      "no header": `${lines.slice(1).join("\n")}\n`,
      "bad base64": `${lines.join("\n").replace(/"envelope":"/, '"envelope":"*')}\n`,
      empty: "",
    };
    for (const [name, content] of Object.entries(variants)) {
      const damaged = join(dir, `${name}.jsonl`);
      writeFileSync(damaged, content);
      const targetDir = tempDir();
      const result = await cli("restore", damaged, "--data-dir", targetDir, "--json");
      expect(result.code, name).toBe(1);
      expect(result.json().error.code, name).toBe("INVALID_REQUEST");
      expect(result.json().error.message, name).toContain("nothing was restored");
      await withVault(resolveConfig({ dataDir: targetDir }), async (vault) => {
        expect(await vault.listProjects(), name).toEqual([]);
        expect(await vault.storage.countAdminTokens(), name).toBe(0);
      });
    }

    const absent = await cli("restore", join(dir, "absent.jsonl"), "--data-dir", tempDir());
    expect(absent.code).toBe(1);
    expect(absent.stderr).toContain("(INVALID_ARGUMENT)");
  });
});
