// Stopping the server: a request already in flight finishes; one that arrives on the same keep-alive
// connection while it stops gets 503 SERVICE_UNAVAILABLE in the API's error shape (found by the
// reliability shutdown suite: Fastify's own 503 body had no code for clients to branch on).
import { connect } from "node:net";
import { createSealer, generateSecret } from "@coffer/core";
import { describe, expect, it } from "vitest";
import { startTestServer } from "./helpers/vault-server.js";

describe("close()", () => {
  it("finishes the request in flight and answers the next one 503 with a code", async () => {
    const vault = await startTestServer("sqlite");
    const admin = vault.adminToken;
    await vault.call("POST", "/v1/admin/projects/default/stores", {
      token: admin,
      body: { id: "s" },
    });
    const key = (
      await vault.call("POST", "/v1/admin/projects/default/keys", { token: admin, body: {} })
    ).body.apiKey as string;
    const sealed = await createSealer({ secret: generateSecret() }).seal("s", "k", "v");
    const body = Buffer.from(
      JSON.stringify({
        keyId: sealed.keyId,
        envelope: Buffer.from(sealed.envelope).toString("base64url"),
      }),
    );
    const { port } = new URL(vault.url);
    const socket = connect(Number(port), "127.0.0.1");
    let received = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => {
      received += chunk;
    });
    const ended = new Promise((resolve) => socket.on("close", resolve));
    const head = (method: string, path: string, length?: number) =>
      `${method} ${path} HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer ${key}\r\n` +
      (length === undefined
        ? ""
        : `content-type: application/json\r\ncontent-length: ${length}\r\n`) +
      "\r\n";
    // Headers and half the body now: the request is in flight when close() starts.
    socket.write(head("PUT", `/v1/stores/s/entries/${sealed.blindedId}`, body.length));
    socket.write(body.subarray(0, 10));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = vault.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The rest of it, and a second request pipelined behind it on the same connection.
    socket.write(Buffer.concat([body.subarray(10), Buffer.from(head("GET", "/v1/stores/s"))]));
    await ended;
    await closing;

    const responses = received.split(/(?=HTTP\/1\.1 )/);
    expect(responses[0]).toMatch(/^HTTP\/1\.1 200 /);
    expect(responses).toHaveLength(2);
    expect(responses[1]).toMatch(/^HTTP\/1\.1 503 /);
    expect(responses[1]).toMatch(/x-coffer-error: SERVICE_UNAVAILABLE/i);
    expect(responses[1]).toMatch(/connection: close/i);
    expect(responses[1]).toContain('"code":"SERVICE_UNAVAILABLE"');
  });
});
