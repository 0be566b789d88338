// Two server processes on one PostgreSQL behave as one service: a write acknowledged through one is
// read through the other at once, and SIGKILLing either, mid-writes, loses nothing acknowledged
// through it while the other keeps serving without an error. A key revoked through one is refused
// by both.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EngineSetup, engineSetup } from "../src/engine.js";
import { call, provision, sleep } from "../src/http.js";
import { Ledger } from "../src/ledger.js";
import { report } from "../src/report.js";
import { type ServerProcess, startServerProcess } from "../src/server-process.js";
import { SIZE } from "../src/size.js";
import { streamWrites } from "../src/write-stream.js";

const STORE = "shared";

describe("two servers, one PostgreSQL", () => {
  let setup: EngineSetup;
  const servers: ServerProcess[] = [];
  beforeAll(async () => {
    setup = await engineSetup("postgres");
    servers.push(await startServerProcess(setup.env));
    servers.push(await startServerProcess(setup.env));
  });
  afterAll(async () => {
    for (const server of servers) if (server.child.exitCode === null) await server.kill("SIGKILL");
    await setup?.cleanup();
  });

  it(`reads each other's writes and loses nothing across ${SIZE.twoServerKills} SIGKILLs`, {
    timeout: 300_000,
  }, async () => {
    const adminToken = servers[0]?.adminToken as string;
    expect(adminToken).toBeDefined();
    expect(servers[1]?.adminToken).toBeUndefined(); // one vault: bootstrapped once
    const apiKey = await provision(servers[0]?.url as string, adminToken, STORE);
    const ledger = new Ledger(STORE);
    const cross = { reads: 0, stale: 0, unanswered: 0 };
    let survivorAcksAfterKill = 0;

    for (let round = 0; round < SIZE.twoServerKills; round++) {
      const victim = round % 2;
      const [a, b] = servers as [ServerProcess, ServerProcess];
      // Through each server; a third of acknowledged writes is read back at once through the other.
      const crossRead = (other: ServerProcess) => async (key: string, value: string) => {
        if (Math.random() > 0.33) return;
        const read = await ledger.readOne(other.url, apiKey, key);
        if (read.status === 0)
          cross.unanswered++; // the other one was just killed
        else if (read.value === value) cross.reads++;
        else cross.stale++;
      };
      const streams = [
        streamWrites({ url: a.url, apiKey, ledger, concurrency: 4, onAcknowledged: crossRead(b) }),
        streamWrites({ url: b.url, apiKey, ledger, concurrency: 4, onAcknowledged: crossRead(a) }),
      ];
      await Promise.all(streams.map((s) => s.acknowledgedAtLeast(30)));
      await sleep(Math.random() * 500);
      const killed = await (servers[victim] as ServerProcess).kill("SIGKILL");
      expect(killed.signal).toBe("SIGKILL");
      const survivorStream = streams[1 - victim];
      const before = survivorStream?.counts.acknowledged ?? 0;
      await survivorStream?.acknowledgedAtLeast(30);
      survivorAcksAfterKill += (survivorStream?.counts.acknowledged ?? 0) - before;
      const [countsA, countsB] = await Promise.all(streams.map((s) => s.stop()));
      const survivorCounts = victim === 0 ? countsB : countsA;
      // The survivor never noticed: every request through it succeeded.
      expect(survivorCounts?.httpErrors).toEqual({});
      expect(survivorCounts?.networkErrors).toEqual({});

      // Everything acknowledged through either is there, read through the survivor.
      const survivor = servers[1 - victim] as ServerProcess;
      const checked = await ledger.verify(survivor.url, apiKey);
      expect(checked.problems).toEqual([]);
      servers[victim] = await startServerProcess(setup.env);
    }

    expect(cross.stale).toBe(0);
    expect(cross.reads).toBeGreaterThan(0);
    const verified = await Promise.all(servers.map((s) => ledger.verify(s.url, apiKey)));
    for (const v of verified) expect(v.problems).toEqual([]);
    const scans = await Promise.all(servers.map((s) => ledger.scan(s.url, apiKey)));
    for (const scan of scans) {
      expect(scan.problems).toEqual([]);
      expect(scan.entries).toBe(scans[0]?.entries);
    }

    // A key revoked through one server's admin API is refused by both from the next request.
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const listed = await call(b.url, adminToken, "GET", "/v1/admin/projects/default/keys");
    const keyId = listed.body.keys[0].id as string;
    expect(
      (await call(b.url, adminToken, "DELETE", `/v1/admin/projects/default/keys/${keyId}`)).status,
    ).toBe(200);
    expect((await call(a.url, apiKey, "GET", `/v1/stores/${STORE}`)).status).toBe(401);
    expect((await call(b.url, apiKey, "GET", `/v1/stores/${STORE}`)).status).toBe(401);

    const exits = await Promise.all(servers.map((s) => s.kill("SIGTERM")));
    for (const exit of exits) expect(exit.code).toBe(0);

    report("two-servers-postgres", {
      kills: SIZE.twoServerKills,
      keysWritten: ledger.size,
      acknowledgedKeysChecked: verified[0]?.acknowledgedChecked,
      crossServerReads: cross.reads,
      crossServerStaleReads: cross.stale,
      survivorAcknowledgedAfterKills: survivorAcksAfterKill,
      survivorErrors: 0,
      entriesStored: scans[0]?.entries,
      corruptEntries: scans[0]?.corrupt,
      lostAcknowledgedWrites: verified[0]?.problems.length,
    });
  });
});
