// The PostgreSQL driver as the storage uses it, when the database goes away mid-transaction. Found by
// the reliability outage suite: postgres 3.4.9 threw from a setImmediate (a buffered ROLLBACK written
// to a closed socket) and took the whole server process down, and a connection's unread
// "terminating connection" error was handed to the first query after PostgreSQL returned. The
// patch in patches/ fails the transaction with CONNECTION_CLOSED instead (an uncaught exception
// here fails this file) and drops the dead connection's error.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type TestPostgres } from "../src/testing/postgres.js";

describe("postgres driver when the server stops mid-transaction", () => {
  let pg: TestPostgres;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await pg?.stop();
  });

  it("rejects the open transactions and keeps the process alive, then reconnects", async () => {
    const sql = postgres(pg.url, { max: 4, onnotice: () => {}, backoff: () => 0.05 });
    try {
      const inFlight = Array.from({ length: 4 }, () =>
        sql.begin(async (tx) => {
          await tx`select 1`;
          await tx`select pg_sleep(5)`;
        }),
      );
      const settled = Promise.allSettled(inFlight);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await pg.pgStop();
      const results = await settled;
      for (const result of results) {
        expect(result.status).toBe("rejected");
        const code = (result as PromiseRejectedResult).reason?.code as string;
        expect(["CONNECTION_CLOSED", "57P01"]).toContain(code);
      }
      // Let any buffered write's immediate run: it must not throw.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await pg.pgStart();
      // The first query after the return must not get the error the dead connection left behind.
      const [row] = await sql`select 1 as one`;
      expect(row?.one).toBe(1);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});
