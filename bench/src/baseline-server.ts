// The floor any vault pays: the same HTTP framework (Fastify, the version apps/server uses) and
// the same database (better-sqlite3 with the server's pragmas, or the postgres client with the
// server's pool size) serving plaintext get/put: no auth, no crypto, no audit, no rate limit. On
// SQLite it groups concurrent writes into one transaction, as the server does.
// Run as a child process (compiled by the harness to plain JS, like the server's dist): it prints
// `{"url": …}` once listening, and stops on SIGTERM.
import Database from "better-sqlite3";
import Fastify from "fastify";
import postgres from "postgres";

interface Store {
  get(id: string): Promise<string | undefined>;
  getMany(ids: string[]): Promise<Array<{ id: string; value: string }>>;
  put(id: string, value: string): Promise<number>;
  putMany(entries: Array<{ id: string; value: string }>): Promise<void>;
  close(): Promise<void>;
}

function sqliteStore(file: string): Store {
  const db = new Database(file, { timeout: 5000 });
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  db.exec(
    "CREATE TABLE IF NOT EXISTS kv (id TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL) STRICT",
  );
  const get = db.prepare<[string], { value: string }>("SELECT value FROM kv WHERE id = ?");
  const put = db.prepare<[string, string], { version: number }>(
    "INSERT INTO kv (id, value, version) VALUES (?, ?, 1) ON CONFLICT (id) DO UPDATE SET value = excluded.value, version = version + 1 RETURNING version",
  );
  const getMany = db.prepare<[string], { id: string; value: string }>(
    "SELECT id, value FROM kv WHERE id IN (SELECT value FROM json_each(?))",
  );
  const putMany = db.transaction((entries: Array<{ id: string; value: string }>) =>
    entries.map((e) => put.get(e.id, e.value)?.version ?? 0),
  );
  // Group commit, as the vault service does: the writes of one event-loop turn share one
  // transaction (one fsync), so the floor is not a naive one-fsync-per-request store.
  let pending: Array<{ id: string; value: string; done: (v: number | Error) => void }> = [];
  const commit = () => {
    const batch = pending;
    pending = [];
    try {
      const versions = putMany(batch);
      for (const [i, p] of batch.entries()) p.done(versions[i] ?? 0);
    } catch (error) {
      for (const p of batch) p.done(error as Error);
    }
  };
  return {
    get: async (id) => get.get(id)?.value,
    getMany: async (ids) => getMany.all(JSON.stringify(ids)),
    put: (id, value) =>
      new Promise<number>((resolve, reject) => {
        pending.push({ id, value, done: (v) => (v instanceof Error ? reject(v) : resolve(v)) });
        if (pending.length === 1) setImmediate(commit);
      }),
    putMany: async (entries) => void putMany(entries),
    close: async () => void db.close(),
  };
}

async function postgresStore(url: string): Promise<Store> {
  const sql = postgres(url, { max: 10, onnotice: () => {} });
  await sql`CREATE TABLE IF NOT EXISTS kv (id TEXT COLLATE "C" PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL)`;
  return {
    async get(id) {
      const rows = await sql<{ value: string }[]>`SELECT value FROM kv WHERE id = ${id}`;
      return rows[0]?.value;
    },
    getMany: (ids) =>
      sql<{ id: string; value: string }[]>`SELECT id, value FROM kv WHERE id = ANY(${ids})`,
    async put(id, value) {
      const rows = await sql<{ version: number }[]>`
        INSERT INTO kv (id, value, version) VALUES (${id}, ${value}, 1)
        ON CONFLICT (id) DO UPDATE SET value = excluded.value, version = kv.version + 1
        RETURNING version`;
      return rows[0]?.version ?? 0;
    },
    async putMany(entries) {
      const rows = entries.map((e) => ({ id: e.id, value: e.value, version: 1 }));
      await sql`INSERT INTO kv ${sql(rows)} ON CONFLICT (id) DO UPDATE SET value = excluded.value, version = kv.version + 1`;
    },
    close: () => sql.end(),
  };
}

const dbFile = process.env.BASELINE_DB_FILE;
const dbUrl = process.env.BASELINE_DATABASE_URL;
const store = dbUrl ? await postgresStore(dbUrl) : sqliteStore(dbFile ?? "baseline.db");
const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 });
const idParams = {
  type: "object",
  properties: { id: { type: "string", maxLength: 200 } },
  required: ["id"],
} as const;
const entry = {
  type: "object",
  properties: { id: { type: "string" }, value: { type: "string" } },
  required: ["id", "value"],
} as const;

app.get<{ Params: { id: string } }>(
  "/kv/:id",
  { schema: { params: idParams, response: { 200: entry } } },
  async (request, reply) => {
    const value = await store.get(request.params.id);
    if (value === undefined) return reply.code(404).send({ error: { code: "NOT_FOUND" } });
    return { id: request.params.id, value };
  },
);

app.put<{ Params: { id: string }; Body: { value: string } }>(
  "/kv/:id",
  {
    schema: {
      params: idParams,
      body: { type: "object", properties: { value: { type: "string" } }, required: ["value"] },
    },
  },
  async (request) => ({
    id: request.params.id,
    version: await store.put(request.params.id, request.body.value),
  }),
);

app.post<{ Body: { ids: string[] } }>(
  "/kv/batch-get",
  {
    schema: {
      body: {
        type: "object",
        properties: { ids: { type: "array", items: { type: "string" }, maxItems: 100 } },
        required: ["ids"],
      },
    },
  },
  async (request) => {
    const entries = await store.getMany(request.body.ids);
    const found = new Set(entries.map((e) => e.id));
    return { entries, missing: request.body.ids.filter((id) => !found.has(id)) };
  },
);

// Population only (not measured): many entries in one transaction.
app.post<{ Body: { entries: Array<{ id: string; value: string }> } }>(
  "/kv/batch-put",
  async (request) => {
    await store.putMany(request.body.entries);
    return { written: request.body.entries.length };
  },
);

await app.listen({ host: "127.0.0.1", port: 0 });
const address = app.server.address();
const port = typeof address === "object" && address ? address.port : 0;
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
process.on("SIGTERM", () => {
  void app
    .close()
    .then(() => store.close())
    .then(() => process.exit(0));
});
