// Raw HTTP to the vault, for suites that must see exact statuses, timings and how a request failed
// (a refused connection, a reset, a timeout). Never logs tokens or bodies.

export interface Answer {
  /** The HTTP status, or 0 when no response came back. */
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: suites read response bodies loosely and assert on them
  body: any;
  /** The `code` of an error body, or the failure's code (ECONNREFUSED, UND_ERR_SOCKET, TIMEOUT…) when status is 0. */
  code: string | undefined;
  /** Time from sending to the whole response (or the failure). */
  ms: number;
  started: number;
  ended: number;
}

/** One request with a deadline; resolves for every outcome, failures included. */
export async function call(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<Answer> {
  const started = performance.now();
  try {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    const ended = performance.now();
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = { unparsable: text.slice(0, 200) };
    }
    const code = (json as { error?: { code?: string } } | undefined)?.error?.code;
    return { status: response.status, body: json, code, ms: ended - started, started, ended };
  } catch (error) {
    const ended = performance.now();
    return {
      status: 0,
      body: undefined,
      code: failureCode(error),
      ms: ended - started,
      started,
      ended,
    };
  }
}

/** ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, TIMEOUT…: how a request without a response failed. */
export function failureCode(error: unknown): string {
  const e = error as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  if (e?.name === "TimeoutError" || e?.cause?.name === "TimeoutError") return "TIMEOUT";
  const cause = e?.cause as { code?: string; errors?: Array<{ code?: string }> } | undefined;
  return (
    cause?.code ?? cause?.errors?.[0]?.code ?? e?.code ?? (e?.name ? String(e.name) : "UNKNOWN")
  );
}

export const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
export const unb64 = (text: string) => new Uint8Array(Buffer.from(text, "base64url"));
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates a store and an API key through the admin API of a freshly bootstrapped server. */
export async function provision(url: string, adminToken: string, store: string): Promise<string> {
  const created = await call(url, adminToken, "POST", "/v1/admin/projects/default/stores", {
    id: store,
  });
  if (created.status !== 201)
    throw new Error(`store create: HTTP ${created.status} ${created.code}`);
  const key = await call(url, adminToken, "POST", "/v1/admin/projects/default/keys", {});
  if (key.status !== 201) throw new Error(`key create: HTTP ${key.status} ${key.code}`);
  return key.body.apiKey as string;
}
