// Errors Node raises on the socket before a request exists: a stalled body, oversize headers,
// malformed HTTP. Each gets the API's error shape and code, and a stalled body does not hold the
// socket forever.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/vault-server.js";

/** Writes `head` on a raw socket and collects everything until the server closes it. */
function rawExchange(url: string, head: string): Promise<{ text: string; ms: number }> {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(head));
    let text = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => {
      text += chunk;
    });
    socket.on("error", () => {}); // the server may reset after answering
    socket.on("close", () => resolve({ text, ms: Date.now() - started }));
    setTimeout(() => reject(new Error("the server never closed the socket")), 20_000).unref();
  });
}

function errorOf(text: string): { status: number; code: string | undefined } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  const body = text.slice(text.indexOf("\r\n\r\n") + 4);
  return { status, code: JSON.parse(body).error?.code };
}

describe("client errors on the socket", () => {
  let vault: TestServer;
  beforeAll(async () => {
    vault = await startTestServer("sqlite", { requestTimeoutMs: 1000 });
  });
  afterAll(async () => {
    await vault?.close();
  });

  it("answers a body that stalls with 408 REQUEST_TIMEOUT and closes the socket", async () => {
    const { text, ms } = await rawExchange(
      vault.url,
      `PATCH /v1/admin/projects/default/stores/s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${vault.adminToken}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
    );
    expect(errorOf(text)).toEqual({ status: 408, code: "REQUEST_TIMEOUT" });
    expect(text).toMatch(/x-coffer-error: REQUEST_TIMEOUT/i);
    expect(ms).toBeLessThan(5000);
  });

  it("adds nothing after a refusal sent before the body finished, and still closes", async () => {
    const { text } = await rawExchange(
      vault.url,
      "PUT /v1/stores/s/entries/x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    );
    expect(errorOf(text)).toEqual({ status: 401, code: "UNAUTHORIZED" });
    expect(text.match(/HTTP\/1\.1/g)).toHaveLength(1);
  });

  it("answers oversize headers with 431 INVALID_REQUEST", async () => {
    const { text } = await rawExchange(
      vault.url,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(32 * 1024)}\r\n\r\n`,
    );
    expect(errorOf(text)).toEqual({ status: 431, code: "INVALID_REQUEST" });
  });

  it.each([
    ["a URL the router cannot decode", "GET /v1/stores/a%zz HTTP/1.1\r\nHost: x\r\n", 400],
    [
      "a path parameter over its length",
      `GET /v1/stores/${"a".repeat(120)} HTTP/1.1\r\nHost: x\r\n`,
      414,
    ],
    ["HTTP/1.1 without Host", "GET /healthz HTTP/1.1\r\n", 400],
  ])("answers %s with INVALID_REQUEST in the error shape", async (_, head, status) => {
    const { text } = await rawExchange(vault.url, `${head}Connection: close\r\n\r\n`);
    expect(errorOf(text)).toEqual({ status, code: "INVALID_REQUEST" });
    expect(text).toMatch(/x-coffer-error: INVALID_REQUEST/i);
  });

  it("counts and logs a request the router refuses, once, without the raw URL", async () => {
    const unmatched = async () => {
      const text = await (await fetch(`${vault.url}/metrics`)).text();
      const sample =
        /coffer_http_requests_total\{method="GET",route="unmatched",status="400"\} (\d+)/;
      return Number(sample.exec(text)?.[1] ?? 0);
    };
    const before = await unmatched();
    const secret = "coffer_key_zzzzzzzzzzzz_secretsecretsecret";
    await rawExchange(
      vault.url,
      `GET /v1/stores/a%zz?apiKey=${secret} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(await unmatched()).toBe(before + 1);
    const line = vault
      .logs()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === "request" && l.status === 400 && l.route === "unmatched");
    expect(line).toMatchObject({
      method: "GET",
      url: expect.stringMatching(/^\/v1\/stores\/a%zz/),
    });
    expect(line.ms).toBeUndefined(); // refused before Fastify's clock started: no made-up 0 ms
    expect(vault.logs()).not.toContain(secret);
  });

  it("answers CONNECT instead of dropping the connection", async () => {
    const { text } = await rawExchange(
      vault.url,
      "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    );
    expect(errorOf(text)).toEqual({ status: 404, code: "NOT_FOUND" });
  });

  it("answers malformed HTTP with 400 INVALID_REQUEST", async () => {
    const { text } = await rawExchange(vault.url, "GET / HTTP/1.1\r\nHost x\0\r\n\r\n");
    expect(errorOf(text)).toEqual({ status: 400, code: "INVALID_REQUEST" });
  });
});
