// The HTTP client of the vault service, on `fetch` alone (Web standards: Node, Bun, Deno, edge).
// One per vault: it holds no per-request state, so hundreds of concurrent calls share it.
import { CofferError, type CofferErrorCode, isCofferErrorCode } from "./errors.js";
import { invalidArgument } from "./internal/bytes.js";

export interface TransportOptions {
  /** Base URL of the vault service, e.g. `https://vault.internal:4747`. */
  url: string;
  /** An API key: `coffer_key_…`. */
  apiKey: string;
  /** A `fetch` to use instead of the global one (tests, instrumentation, custom agents). */
  fetch?: typeof fetch | undefined;
  /** Per request, per attempt. Default 10 s. */
  timeoutMs?: number | undefined;
  /** Extra attempts for requests that are safe to repeat. Default 2. */
  retries?: number | undefined;
  /** Allow plain `http://` to a host that is not loopback. Default false: tokens would travel in clear. */
  allowInsecureHttp?: boolean | undefined;
}

export interface RequestOptions {
  /** May this request be sent again if the first attempt's fate is unknown? */
  idempotent: boolean;
  body?: unknown;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_RETRIES = 2;
// Timers hold a signed 32-bit delay: a longer one fires at once. Less the deadline's 50 ms margin.
const MAX_TIMEOUT_MS = 2 ** 31 - 1 - 50;
const API_KEY = /^coffer_key_[\x21-\x7e]+$/;
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 2_000;
// Worth another try: the server or the path to it is momentarily unable, not refusing.
const RETRYABLE = new Set<CofferErrorCode>([
  "SERVICE_UNAVAILABLE",
  "NETWORK_ERROR",
  "TIMEOUT",
  "RATE_LIMITED",
  // The server did not get the whole request in time, so it did nothing with it.
  "REQUEST_TIMEOUT",
]);
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\]|[^.]+\.localhost)$/i;

/**
 * Validates a vault URL as the SDK uses it: absolute, https, or plain http only to loopback
 * unless `allowInsecureHttp`. Returns the parsed URL; throws INVALID_ARGUMENT.
 */
export function checkVaultUrl(text: string, allowInsecureHttp = false): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidArgument("url must be an absolute http(s) URL of the Coffer vault service.");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw invalidArgument("url must use https:// (or http:// on loopback).");
  }
  if (url.username || url.password) {
    // They would be echoed in every error message that names the vault; the API key authenticates.
    throw invalidArgument(
      "url must not contain a user name or password: the API key authenticates.",
    );
  }
  if (url.search || url.hash) {
    throw invalidArgument("url must be the vault's base URL, without a query or fragment.");
  }
  if (url.protocol === "http:" && !LOOPBACK.test(url.hostname) && !allowInsecureHttp) {
    throw invalidArgument(
      `Refusing plain http:// to ${url.hostname}: the API key would cross the network unencrypted. Use https://, or opt in for a network you trust: allowInsecureHttp: true (COFFER_ALLOW_INSECURE_HTTP=1 for the adapters and the CLI).`,
    );
  }
  return url;
}

export class Transport {
  readonly #base: string;
  readonly #headers: Record<string, string>;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #retries: number;

  constructor(options: TransportOptions) {
    const url = checkVaultUrl(options.url, options.allowInsecureHttp);
    // fetch strips surrounding whitespace from header values (a CRLF line end of an env file) but
    // fails on anything else outside visible ASCII, which would surface as a NETWORK_ERROR.
    const apiKey = typeof options.apiKey === "string" ? options.apiKey.trim() : undefined;
    if (apiKey === undefined || !API_KEY.test(apiKey)) {
      throw invalidArgument(
        "apiKey must be a Coffer API key (coffer_key_…, visible ASCII only): create one with `coffer-server key create`.",
      );
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const retries = options.retries ?? DEFAULT_RETRIES;
    if (
      typeof timeoutMs !== "number" ||
      !(timeoutMs >= 1 && timeoutMs <= MAX_TIMEOUT_MS) ||
      !Number.isInteger(retries) ||
      retries < 0
    ) {
      throw invalidArgument(
        `timeoutMs must be a number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, and retries a whole number ≥ 0.`,
      );
    }
    this.#base = url.href.replace(/\/+$/, "");
    this.#headers = {
      authorization: `Bearer ${apiKey}`,
      accept: "application/json",
      "user-agent": "@coffer/core",
    };
    const fetchFn = options.fetch ?? globalThis.fetch;
    if (typeof fetchFn !== "function")
      throw invalidArgument("No fetch available: pass options.fetch.");
    this.#fetch = fetchFn;
    this.#timeoutMs = Math.ceil(timeoutMs); // AbortSignal.timeout takes whole milliseconds
    this.#retries = retries;
  }

  /** Sends a request; retries what is safe to retry; answers JSON or throws a CofferError. */
  async request<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.#once(method, path, body)) as T;
      } catch (error) {
        const retryable = error instanceof CofferError && RETRYABLE.has(error.code);
        if (!retryable || !options.idempotent || attempt >= this.#retries) throw error;
        await sleep(backoff(attempt, error));
      }
    }
  }

  async #once(method: string, path: string, body: string | undefined): Promise<unknown> {
    const headers =
      body === undefined ? this.#headers : { ...this.#headers, "content-type": "application/json" };
    let response: Response;
    let text: string;
    const signal = AbortSignal.timeout(this.#timeoutMs);
    // Also race the timer ourselves: an injected fetch might ignore the signal.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new DOMException("timed out", "TimeoutError")),
        this.#timeoutMs + 50,
      );
    });
    try {
      // The body too: a server (or proxy) that sends its headers and then stalls is a timeout,
      // not a hang, and not an answer.
      [response, text] = await Promise.race([
        this.#fetch(`${this.#base}${path}`, {
          method,
          headers,
          ...(body === undefined ? {} : { body }),
          signal,
        }).then(async (answer) => [answer, await answer.text()] as const),
        deadline,
      ]);
    } catch (cause) {
      const name = (cause as { name?: string } | null)?.name;
      if (name === "TimeoutError" || name === "AbortError") {
        throw new CofferError(
          "TIMEOUT",
          `The Coffer vault at ${this.#base} did not answer within ${this.#timeoutMs} ms.`,
          { cause },
        );
      }
      throw new CofferError(
        "NETWORK_ERROR",
        `Could not reach the Coffer vault at ${this.#base}: is it running, and is COFFER_URL right?`,
        { cause },
      );
    } finally {
      clearTimeout(timer);
    }
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (response.ok) {
      // Every answer of the vault is JSON: anything else is another server at COFFER_URL (a web
      // app, a proxy's page), and its body must not be taken for an entry.
      if (json !== undefined && json !== null) return json;
      throw new CofferError(
        "SERVICE_UNAVAILABLE",
        `Unexpected answer from ${this.#base} (HTTP ${response.status}, not JSON): is COFFER_URL the Coffer vault?`,
        { status: 502 },
      );
    }
    throw errorFromResponse(response, json, this.#base);
  }
}

/** Rebuilds the server's error: its code, message, details and status. */
function errorFromResponse(response: Response, json: unknown, base: string): CofferError {
  const error = (
    json as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined
  )?.error;
  const details =
    error?.details && typeof error.details === "object"
      ? (error.details as Record<string, unknown>)
      : undefined;
  const retryAfter = Number(response.headers.get("retry-after"));
  const extra = Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfter } : {};
  if (error && isCofferErrorCode(error.code) && typeof error.message === "string") {
    return new CofferError(error.code, error.message, {
      status: response.status,
      ...(details || extra.retryAfter ? { details: { ...details, ...extra } } : {}),
    });
  }
  // Not the vault answering (a proxy, a load balancer, another service at that URL).
  const code: CofferErrorCode = response.status >= 500 ? "SERVICE_UNAVAILABLE" : "INVALID_REQUEST";
  return new CofferError(
    code,
    `Unexpected HTTP ${response.status} from ${base}: is COFFER_URL the Coffer vault?`,
    { status: response.status },
  );
}

function backoff(attempt: number, error: CofferError): number {
  const retryAfter = error.details?.retryAfter;
  if (typeof retryAfter === "number") return Math.min(retryAfter * 1000, BACKOFF_CAP_MS * 5);
  // Full jitter: spreads the retries of many concurrent callers.
  return Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
