// HTTP/1.1 written by hand on a TCP socket, for the hostile-input suites: duplicate or missing
// headers, bodies that lie about their length, trickle or stall, bytes Node's own clients refuse
// to send. One request per connection (`Connection: close`), so the answer is whatever arrives
// before the server closes.
import { connect } from "node:net";

/** A seeded PRNG (sfc32): the same seed replays the same run. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  constructor(seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.#a >>>= 0;
    this.#b >>>= 0;
    this.#c >>>= 0;
    this.#d >>>= 0;
    const t = (this.#a + this.#b + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t / 4294967296;
  }
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

export interface RawRequest {
  method: string;
  /** The request target exactly as written on the request line (may hold any bytes). */
  target: string | Buffer;
  /** In order, duplicates allowed; nothing is added (no Host unless listed). */
  headers: Array<[string, string | Buffer]>;
  body?: Buffer | undefined;
  /** Send the body in pieces of `bytes` with `delayMs` between them. */
  trickle?: { bytes: number; delayMs: number } | undefined;
  /** Send only this many body bytes, then wait (`stall`) or half-close the socket (`eof`). */
  cut?: { at: number; after: "stall" | "eof" } | undefined;
}

export interface RawResponse {
  /** 0 when the server closed (or reset) without answering. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Whether the connection ended with an error (a reset) on our side. */
  reset: boolean;
  /** True when nothing came back before `timeoutMs`: a hang. */
  timedOut: boolean;
  ms: number;
}

/** Sends one raw request and reads until the server closes the connection. */
export function rawRequest(
  url: string,
  request: RawRequest,
  timeoutMs = 15_000,
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  const started = performance.now();
  const head = Buffer.concat([
    Buffer.from(`${request.method} `, "latin1"),
    typeof request.target === "string" ? Buffer.from(request.target, "utf8") : request.target,
    Buffer.from(" HTTP/1.1\r\n", "latin1"),
    ...request.headers.flatMap(([name, value]) => [
      Buffer.from(`${name}: `, "latin1"),
      typeof value === "string" ? Buffer.from(value, "utf8") : value,
      Buffer.from("\r\n", "latin1"),
    ]),
    Buffer.from("\r\n", "latin1"),
  ]);
  const body = request.body ?? Buffer.alloc(0);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let reset = false;
    let done = false;
    const socket = connect(Number(port), hostname);
    const finish = (timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({
        ...parse(Buffer.concat(chunks)),
        reset,
        timedOut,
        ms: performance.now() - started,
      });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => {
      reset = true;
    });
    socket.on("close", () => finish(false));
    socket.on("connect", async () => {
      const write = (data: Buffer) =>
        new Promise<void>((ok) => {
          if (socket.destroyed) return ok();
          socket.write(data, () => ok());
        });
      await write(head);
      const sendable = request.cut ? body.subarray(0, request.cut.at) : body;
      if (request.trickle) {
        for (let i = 0; i < sendable.length && !socket.destroyed; i += request.trickle.bytes) {
          await write(sendable.subarray(i, i + request.trickle.bytes));
          await new Promise((r) => setTimeout(r, request.trickle?.delayMs));
        }
      } else if (sendable.length) {
        await write(sendable);
      }
      if (request.cut?.after === "eof" && !socket.destroyed) socket.end();
    });
  });
}

function parse(raw: Buffer): { status: number; headers: Record<string, string>; body: string } {
  // Interim 1xx answers (100 Continue) come before the real one.
  while (/^HTTP\/1\.[01] 1\d\d /.test(raw.toString("latin1", 0, 16))) {
    const end = raw.indexOf("\r\n\r\n");
    if (end < 0) break;
    raw = raw.subarray(end + 4);
  }
  const text = raw.toString("latin1");
  const end = text.indexOf("\r\n\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
  if (!status || end < 0) return { status: 0, headers: {}, body: "" };
  const headers: Record<string, string> = {};
  for (const line of text.slice(0, end).split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let bodyBytes = raw.subarray(Buffer.byteLength(text.slice(0, end + 4), "latin1"));
  const length = headers["content-length"];
  if (length !== undefined) bodyBytes = bodyBytes.subarray(0, Number(length));
  else if (headers["transfer-encoding"] === "chunked") bodyBytes = dechunk(bodyBytes);
  return { status, headers, body: bodyBytes.toString("utf8") };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const lineEnd = data.indexOf("\r\n", at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString("latin1"), 16);
    if (!size) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
