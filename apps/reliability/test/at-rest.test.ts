// Nothing in plaintext at rest: values and logical keys carrying unique markers go through the SDK
// into the real server (a child process, debug logs) on SQLite and on PostgreSQL; afterwards the
// markers (and the API key's secret) appear nowhere in the database files (WAL included, before and
// after a checkpoint), the PostgreSQL data directory (pg_wal included), the logs or a backup. A
// store id, which is stored in clear by design, is the positive control: the scan finds it.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createVault, generateSecret } from "@coffer/core";
import { generateMasterKeyString } from "@coffer/server";
import { startPostgres, type TestPostgres } from "@coffer/testing";
import { describe, expect, it } from "vitest";
import { createPrincipals } from "../src/principals.js";
import { report } from "../src/report.js";
import { startServerProcess } from "../src/server-process.js";
import { FULL } from "../src/size.js";

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL("../src/server-main.ts", import.meta.url));
const VALUES = FULL ? 400 : 60;

/** Every file under `dir`, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    return d.isDirectory() ? files(path) : d.isFile() ? [path] : [];
  });
}

interface Scan {
  bytes: number;
  files: number;
  /** Needle name → files that hold it. */
  found: Record<string, string[]>;
}

/** Looks for each needle as UTF-8 and as UTF-16LE in every file. */
function scan(paths: string[], needles: Record<string, string>): Scan {
  const result: Scan = { bytes: 0, files: 0, found: {} };
  const forms = Object.entries(needles).flatMap(([name, text]) => [
    [name, Buffer.from(text, "utf8")] as const,
    [name, Buffer.from(text, "utf16le")] as const,
  ]);
  for (const path of paths) {
    let data: Buffer;
    try {
      if (!statSync(path).isFile()) continue;
      data = readFileSync(path);
    } catch {
      continue; // removed meanwhile (a WAL segment recycled)
    }
    result.bytes += data.length;
    result.files++;
    for (const [name, form] of forms) {
      if (data.includes(form)) result.found[name] = [...(result.found[name] ?? []), path];
    }
  }
  return result;
}

function cli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      ["--conditions=dev-source", "--import", "tsx", MAIN, ...args],
      {
        env: { ...process.env, ...env },
      },
    );
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.on("exit", (code) => resolve({ code, out }));
  });
}

describe.each(["sqlite", "postgres"] as const)("nothing in plaintext at rest on %s", (engine) => {
  it("keeps the markers out of the database, WAL, logs and backup", async () => {
    const work = mkdtempSync(join(tmpdir(), `coffer-rest-${engine}-`));
    const dataDir = join(work, "data");
    let pg: TestPostgres | undefined;
    const marker = `PLAINMARK${randomBytes(8).toString("hex")}`;
    const storeId = `control${randomBytes(4).toString("hex")}`;
    try {
      const env: Record<string, string> = { COFFER_DATA_DIR: dataDir, COFFER_LOG_LEVEL: "debug" };
      if (engine === "postgres") {
        pg = await startPostgres();
        if (!pg.dataDir) return; // an external server: its files are not ours to read
        env.COFFER_DATABASE_URL = pg.url;
        env.COFFER_MASTER_KEY = generateMasterKeyString();
      }
      const server = await startServerProcess(env);
      const p = await createPrincipals(server.url, server.adminToken as string, [
        storeId,
        "second",
      ]);
      const apiKeySecret = p.rw.slice(`coffer_key_${p.ids.rw}_`.length);

      // Values and keys with the marker, through every write path of the SDK.
      const vault = createVault({ url: server.url, apiKey: p.rw, secret: generateSecret() });
      const store = await vault.getDataVaultStore(storeId);
      for (let i = 0; i < VALUES; i++) {
        const value = `${marker}-value-${i}-${"x".repeat(i * 7)}`;
        if (i % 3 === 0)
          await store.setValue(`${marker}-key-${i}`, new TextEncoder().encode(value));
        else await store.setValue(`${marker}-key-${i}`, value);
      }
      await store.setValues(
        new Map(
          Array.from({ length: 20 }, (_, i) => [`${marker}-batch-${i}`, `${marker}-bv-${i}`]),
        ),
      );
      expect(await store.getValue(`${marker}-key-1`)).toBe(`${marker}-value-1-${"x".repeat(7)}`);
      expect(await store.deleteValue(`${marker}-key-2`)).toBe(true);
      let listed = 0;
      for await (const key of store.keys()) if (key.startsWith(marker)) listed++;
      expect(listed).toBe(VALUES - 1 + 20);

      const needles = { marker, apiKeySecret };
      const locations: Record<string, Scan> = {};
      const sqliteFiles = () => files(dataDir);
      if (engine === "sqlite") {
        // While running: the main file, -wal and -shm as they are before any checkpoint.
        locations.sqliteRunning = scan(sqliteFiles(), needles);
        expect(sqliteFiles().some((f) => f.endsWith("-wal"))).toBe(true);
      } else {
        await run("psql", [pg?.url as string, "-qc", "CHECKPOINT"]);
        locations.postgresDataDir = scan(files(pg?.dataDir as string), { ...needles, storeId });
        expect(files(pg?.dataDir as string).some((f) => f.includes("pg_wal"))).toBe(true);
      }

      // Stopping checkpoints SQLite (the WAL is folded into the main file).
      expect((await server.kill("SIGTERM")).code).toBe(0);
      const logs = server.output();
      // The admin token is printed once at first start, by design; nothing else is secret here.
      locations.logs = { bytes: logs.length, files: 1, found: {} };
      for (const [name, needle] of Object.entries(needles)) {
        if (logs.includes(needle)) locations.logs.found[name] = ["server output"];
      }
      // One line per request at debug level (the server logs nothing finer): realistic logs.
      expect(logs.split("\n").filter((l) => l.includes('"msg":"request"')).length).toBeGreaterThan(
        VALUES,
      );
      if (engine === "sqlite")
        locations.sqliteAfterCheckpoint = scan(sqliteFiles(), { ...needles, storeId });

      const backupFile = join(work, "vault.jsonl");
      const backup = await cli(["backup", backupFile, "--json"], {
        ...(env.COFFER_DATABASE_URL
          ? {
              COFFER_DATABASE_URL: env.COFFER_DATABASE_URL,
              COFFER_MASTER_KEY: env.COFFER_MASTER_KEY as string,
            }
          : { COFFER_DATA_DIR: dataDir }),
      });
      expect(backup.code, backup.out).toBe(0);
      locations.backup = scan([backupFile], { ...needles, storeId });
      if (pg?.dataDir) {
        await run("psql", [pg.url, "-qc", "CHECKPOINT"]);
        locations.postgresAfterBackup = scan(files(pg.dataDir), needles);
      }

      report(`at-rest-${engine}`, {
        values: VALUES + 20,
        bytesScanned: Object.fromEntries(Object.entries(locations).map(([k, v]) => [k, v.bytes])),
        filesScanned: Object.fromEntries(Object.entries(locations).map(([k, v]) => [k, v.files])),
        markerHits: Object.fromEntries(
          Object.entries(locations).map(([k, v]) => [k, (v.found.marker ?? []).length]),
        ),
        apiKeySecretHits: Object.fromEntries(
          Object.entries(locations).map(([k, v]) => [k, (v.found.apiKeySecret ?? []).length]),
        ),
      });
      for (const [where, result] of Object.entries(locations)) {
        expect(result.found.marker, `marker in ${where}`).toBeUndefined();
        expect(result.found.apiKeySecret, `API key secret in ${where}`).toBeUndefined();
        expect(result.bytes, where).toBeGreaterThan(0);
      }
      // Positive controls: the scan does see what is stored in clear (the store id).
      const control =
        engine === "sqlite" ? locations.sqliteAfterCheckpoint : locations.postgresDataDir;
      expect(control?.found.storeId?.length).toBeGreaterThan(0);
      expect(locations.backup?.found.storeId?.length).toBeGreaterThan(0);
    } finally {
      await pg?.stop();
      rmSync(work, { recursive: true, force: true });
    }
  }, 300_000);
});
