// Generators of hostile HTTP requests, one per category of the issue: malformed JSON, wrong types,
// huge and negative numbers, invalid base64, unicode and control characters in ids, path tricks,
// duplicate and missing headers, oversize bodies, slow bodies. Each request carries a credential
// class, valid ones included, so that validation behind authentication is reached too.
import type { Principals } from "./principals.js";
import type { RawRequest, Rng } from "./raw-http.js";

export const CATEGORIES = [
  "malformed-json",
  "wrong-types",
  "numbers",
  "base64",
  "ids",
  "paths",
  "headers",
  "oversize",
  "slow",
  "well-formed",
] as const;
export type Category = (typeof CATEGORIES)[number];

export const CREDENTIALS = [
  "none",
  "rw",
  "readOnly",
  "scoped",
  "admin",
  "revoked",
  "otherProject",
  "malformed",
  "unknown-key",
  "unknown-admin",
] as const;
export type Credential = (typeof CREDENTIALS)[number];
/** Credentials that must never get a 2xx from a /v1 route. */
export const INVALID_CREDENTIALS = new Set<Credential>([
  "none",
  "revoked",
  "malformed",
  "unknown-key",
  "unknown-admin",
]);

export interface Route {
  method: string;
  path: string;
}

export interface FuzzContext {
  routes: Route[];
  principals: Principals;
  /** Real sealed entries to build valid bodies from. */
  sealed: Array<{ blindedId: string; keyId: string; envelope: string }>;
}

export interface FuzzCase {
  category: Category;
  credential: Credential;
  request: RawRequest;
}

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const LOWER = "abcdefghijklmnopqrstuvwxyz0123456789";
/** Percent-encodes the UTF-8 bytes of any string (lone surrogates included, as U+FFFD). */
const pct = (text: string) =>
  [...Buffer.from(text, "utf8")]
    .map((b) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, "0").toUpperCase()}`,
    )
    .join("");
const str = (rng: Rng, alphabet: string, n: number) =>
  Array.from({ length: n }, () => alphabet[rng.int(alphabet.length)]).join("");

/** Strings that break naive parsers: control characters, unicode edge cases, injections. */
const NASTY_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\r\n",
  "\u001b[31m",
  "\u202eevil",
  "\ud800",
  "\udfff\ud800",
  "\ufeff",
  "😀".repeat(20),
  "é",
  "e\u0301",
  "İ",
  "Ａ",
  "../..",
  "%00",
  "%2e%2e%2f",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell probe, literally
  "${jndi:ldap://x}",
  "'; DROP TABLE entries; --",
  "<script>",
  "__proto__",
  "constructor",
  "a".repeat(65),
  "a".repeat(4096),
];

/** JSON values of every type, for a field that expects another. */
function wrongValue(rng: Rng): unknown {
  return rng.pick<() => unknown>([
    () => null,
    () => true,
    () => 0,
    () => -1,
    () => 1.5,
    () => [],
    () => [1, "a", null],
    () => ({}),
    () => ({ nested: { deeper: [] } }),
    () => rng.pick(NASTY_STRINGS),
    () => "x".repeat(rng.int(70_000)),
    () => Array.from({ length: 101 }, (_, i) => `${i}`),
    () => ({ __proto__: { polluted: true } }),
    () => JSON.parse('{"__proto__": {"polluted": true}}'),
    () => ({ constructor: { prototype: { polluted: true } } }),
  ])();
}

/** Number literals, including ones JSON.stringify cannot write; spliced in as raw text. */
const RAW_NUMBERS = [
  "-1",
  "-0",
  "0",
  "0.5",
  "1e308",
  "1e400",
  "-1e400",
  "2147483648",
  "9007199254740993",
  "123456789012345678901234567890",
  "-2147483649",
  "1E2",
  "NaN",
  "Infinity",
  "-Infinity",
  "0x10",
  "01",
  ".5",
  "1.",
  "-",
  "+1",
];
const QUERY_NUMBERS = [
  "-1",
  "0",
  "101",
  "1e3",
  "99999999999999999999",
  "1.5",
  "NaN",
  "%20",
  "",
  "0x10",
  "١",
];

function fill(rng: Rng, template: string, ctx: FuzzContext): string {
  const stores = [...ctx.principals.stores, "gamma", "other"];
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (name === "store") return rng.pick(stores);
    if (name === "project") return rng.pick(["default", "other", "nope"]);
    if (name === "blindedId")
      return rng.chance(0.5) ? rng.pick(ctx.sealed).blindedId : str(rng, B64URL, 43);
    // never a real key id: the fuzzer must not revoke the keys it uses
    if (name === "keyId") return str(rng, LOWER, 12);
    return "x";
  });
}

/** A valid body for a route, or undefined when the route takes none. */
export function validBody(rng: Rng, route: Route, ctx: FuzzContext): unknown {
  const entry = () => rng.pick(ctx.sealed);
  const key = `${route.method} ${route.path}`;
  switch (key) {
    case "PUT /v1/stores/{store}/entries/{blindedId}": {
      const e = entry();
      return { keyId: e.keyId, envelope: e.envelope, ...(rng.chance(0.3) ? { ifVersion: 0 } : {}) };
    }
    case "POST /v1/stores/{store}/entries/batch-get":
      return { blindedIds: ctx.sealed.slice(0, 1 + rng.int(3)).map((e) => e.blindedId) };
    case "POST /v1/stores/{store}/entries/batch-put":
      return { entries: ctx.sealed.slice(0, 1 + rng.int(3)) };
    case "POST /v1/stores/{store}/entries/move": {
      const [a, b] = [entry(), entry()];
      return { from: { blindedId: a.blindedId }, to: b };
    }
    case "POST /v1/admin/projects":
      return { id: `p${str(rng, LOWER, 6)}`, name: "fuzz" };
    case "POST /v1/admin/projects/{project}/stores":
      return { id: `s${str(rng, LOWER, 6)}`, name: "fuzz" };
    case "PATCH /v1/admin/projects/{project}/stores/{store}":
      return { name: "renamed" };
    case "POST /v1/admin/projects/{project}/keys":
      return { name: "fuzz", readOnly: rng.chance(0.5) };
    default:
      return undefined;
  }
}

/** Routes that take a body (a new one must get a template above: the suite checks). */
export const BODY_ROUTES = new Set([
  "PUT /v1/stores/{store}/entries/{blindedId}",
  "POST /v1/stores/{store}/entries/batch-get",
  "POST /v1/stores/{store}/entries/batch-put",
  "POST /v1/stores/{store}/entries/move",
  "POST /v1/admin/projects",
  "POST /v1/admin/projects/{project}/stores",
  "PATCH /v1/admin/projects/{project}/stores/{store}",
  "POST /v1/admin/projects/{project}/keys",
]);

const QUERIES: Record<string, string[]> = {
  "DELETE /v1/stores/{store}/entries/{blindedId}": ["ifVersion"],
  "GET /v1/stores/{store}/entries": ["cursor", "limit"],
  "GET /v1/admin/projects/{project}/audit": [
    "store",
    "action",
    "key",
    "since",
    "until",
    "before",
    "limit",
  ],
  "GET /v1/admin/projects/{project}/usage": ["days", "store"],
};

/** Every leaf position of a JSON value, as paths. */
function leaves(value: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return [path, ...value.flatMap((v, i) => leaves(v, [...path, i]))];
  if (value && typeof value === "object") {
    return [path, ...Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]))];
  }
  return [path];
}

function setAt(root: unknown, path: Array<string | number>, value: unknown, remove = false) {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const part of path.slice(0, -1)) node = node[part] as Record<string | number, unknown>;
  const last = path.at(-1) as string | number;
  if (remove) delete node[last];
  else node[last] = value;
  return copy;
}

function credentialHeader(rng: Rng, credential: Credential, p: Principals): string | undefined {
  switch (credential) {
    case "none":
      return undefined;
    case "malformed":
      return rng.pick([
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        `Bearer ${p.rw.slice(0, -1)}`,
        `Bearer ${p.rw}x`,
        `Bearer ${p.rw} ${p.rw}`,
        `bearer\t${p.rw}`,
        `Bearer coffer_key_${"A".repeat(12)}_${"a".repeat(43)}`,
        `Bearer ${rng.pick(NASTY_STRINGS)}`,
        `Token ${p.admin}`,
        "Bearer coffer_key_",
        "Bearer coffer_admin__",
      ]);
    case "unknown-key":
      return `Bearer coffer_key_${str(rng, LOWER, 12)}_${str(rng, B64URL, 43)}`;
    case "unknown-admin":
      return `Bearer coffer_admin_${str(rng, LOWER, 12)}_${str(rng, B64URL, 43)}`;
    default:
      return `Bearer ${p[credential]}`;
  }
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value) ?? "null", "utf8");
}

/** One generated request of `category`. */
export function generate(rng: Rng, category: Category, ctx: FuzzContext): FuzzCase {
  const route = rng.pick(ctx.routes);
  const routeKey = `${route.method} ${route.path}`;
  let credential: Credential = rng.pick(CREDENTIALS);
  // Mostly the credential the route family wants, so bodies get validated behind auth.
  if (rng.chance(0.6)) credential = route.path.startsWith("/v1/admin") ? "admin" : "rw";
  let method = route.method;
  let target = fill(rng, route.path, ctx);
  let body: Buffer | undefined;
  const template = validBody(rng, route, ctx);
  if (template !== undefined) body = json(template);
  const queryNames = QUERIES[routeKey] ?? [];
  if (queryNames.length && rng.chance(0.3)) {
    target += `?${queryNames
      .filter(() => rng.chance(0.5))
      .map((q) => `${q}=${rng.pick(["1", "10", "2024-01-01T00:00:00Z", "entry.put", "alpha"])}`)
      .join("&")}`;
  }
  let contentType: string | undefined = body ? "application/json" : undefined;
  const extraHeaders: Array<[string, string | Buffer]> = [];
  let omitHost = false;
  let omitLength = false;
  let lengthOverride: string | undefined;
  let trickle: RawRequest["trickle"];
  let cut: RawRequest["cut"];
  let targetBytes: Buffer | undefined;

  switch (category) {
    case "malformed-json": {
      const text = body?.toString("utf8") ?? "{}";
      body = Buffer.from(
        rng.pick<() => string>([
          () => text.slice(0, rng.int(text.length)),
          () => `${text},`,
          () => text.replace(/"/g, "'"),
          () => text.replace(/:/, ""),
          () => `${text}${text}`,
          () => "[".repeat(5000 + rng.int(50_000)),
          () => `${"[".repeat(3000)}${"]".repeat(3000)}`,
          () => `{"a":${'{"a":'.repeat(2000)}1${"}".repeat(2001)}`,
          () => "nul",
          () => "null",
          () => '"just a string"',
          () => "42",
          () => "{}",
          () => "",
          () => "\ufeff{}",
          () => '{"keyId":"a","keyId":"b"}',
          () => "{\u0000}",
          () => Buffer.from(rng.bytes(1 + rng.int(512))).toString("latin1"),
        ])(),
        "utf8",
      );
      if (rng.chance(0.2)) body = Buffer.from(rng.bytes(1 + rng.int(2048)));
      if (!contentType) contentType = "application/json";
      if (method === "GET" && rng.chance(0.5)) method = "POST";
      break;
    }
    case "wrong-types": {
      const base = template ?? {};
      const paths = leaves(base);
      const path = rng.pick(paths);
      const mutated = rng.chance(0.15)
        ? setAt(base, path, undefined, true)
        : rng.chance(0.15)
          ? setAt(base, [], { ...(base as object), unknownField: wrongValue(rng) })
          : setAt(base, path, wrongValue(rng));
      body = json(mutated);
      contentType = "application/json";
      break;
    }
    case "numbers": {
      const raw = rng.pick(RAW_NUMBERS);
      if (queryNames.length && rng.chance(0.5)) {
        target = `${target.split("?")[0]}?${rng.pick(queryNames)}=${pct(rng.pick(QUERY_NUMBERS))}`;
      } else {
        const base = (template ?? { ifVersion: 0 }) as object;
        const paths = leaves(base).filter((p) => p.length > 0);
        const path = rng.pick(paths.length ? paths : [["ifVersion"]]);
        body = Buffer.from(JSON.stringify(setAt(base, path, "@@N@@")).replace('"@@N@@"', raw));
        contentType = "application/json";
      }
      if (rng.chance(0.2)) lengthOverride = rng.pick(["-1", "1e3", "99999999999999999999", "0x10"]);
      break;
    }
    case "base64": {
      const bad = rng.pick([
        "====",
        "a===",
        "ab+/",
        "YWJj\n",
        " YWJj",
        "YW Jj",
        "%%%",
        "é",
        "\u0000",
        "A".repeat(1 + rng.int(3)),
        Buffer.from(rng.bytes(64)).toString("base64"),
        str(rng, B64URL, 43).replace(/.$/, "="),
        str(rng, B64URL, 42),
        str(rng, B64URL, 44),
        "",
      ]);
      const base = (template ?? {}) as Record<string, unknown>;
      const field = leaves(base)
        .filter((p) => /envelope|blindedId|cursor/i.test(String(p.at(-1))))
        .concat([[]]);
      const path = rng.pick(field);
      body = path.length ? json(setAt(base, path, bad)) : body;
      if (!path.length || rng.chance(0.3)) {
        target = target.replace(/[A-Za-z0-9_-]{43}/, pct(bad) || "%20");
        if (routeKey === "GET /v1/stores/{store}/entries")
          target = `${target.split("?")[0]}?cursor=${pct(bad)}`;
      }
      break;
    }
    case "ids": {
      const nasty = rng.pick([
        ...NASTY_STRINGS,
        "ALPHA",
        "-alpha",
        "_a",
        "a".repeat(64),
        "a".repeat(200),
        "a b",
        "a/b",
        "a%2Fb",
        "a\\b",
        "alpha\u0000",
        "al\u200bpha",
      ]);
      const encoded = rng.chance(0.8) ? pct(nasty) : nasty;
      const segments = target.split("?")[0]?.split("/") ?? [];
      const positions = segments.map((_, i) => i).filter((i) => i >= 3);
      if (positions.length) segments[rng.pick(positions)] = encoded;
      target = segments.join("/");
      if (!/^[\x21-\x7e]*$/.test(target)) targetBytes = Buffer.from(target, "utf8");
      if (template && rng.chance(0.4)) {
        const base = template as Record<string, unknown>;
        const idPaths = leaves(base).filter((p) => /id$|Ids?$|name/i.test(String(p.at(-1))));
        if (idPaths.length) body = json(setAt(base, rng.pick(idPaths), nasty));
      }
      break;
    }
    case "paths": {
      const [path, query = ""] = target.split("?");
      target = rng.pick<() => string>([
        () => `${path}/`,
        () => `/${path}`,
        () => (path ?? "").replace("/v1/", "/v1//"),
        () => (path ?? "").replace(/\/[^/]+$/, "/../admin/projects"),
        () => (path ?? "").replace(/\/[^/]+$/, "/%2e%2e/%2e%2e/admin/projects"),
        () => (path ?? "").replace("/v1/stores/", "/v1/stores/..%2f..%2fadmin%2fprojects/"),
        () => `${path};jsessionid=1`,
        () => `${path}#frag`,
        () => `${path}?${query}&${query}`,
        () => `${path}?limit=1&limit=2`,
        () => `${path}?__proto__[x]=1`,
        () => `${path}?constructor[prototype][x]=1`,
        () => `${path}?${"a=1&".repeat(2000)}`,
        () => `${path}%00`,
        () => `${path}%`,
        () => `${path}%zz`,
        () => (path ?? "").toUpperCase(),
        () => (path ?? "").replace(/\//g, "\\"),
        () => `http://evil.example${path}`,
        () => "*",
        () => `/${"a/".repeat(2000)}`,
        () => `/v1/stores/${"x".repeat(8000)}`,
        () => "/v2/stores/alpha",
        () => "/v1/admin",
        () => "/v1/stores",
        () => "/",
        () => "",
      ])();
      if (rng.chance(0.2))
        method = rng.pick(["OPTIONS", "HEAD", "TRACE", "PROPFIND", "get", "CONNECT", "PATCH"]);
      if (target === "") targetBytes = Buffer.alloc(0);
      break;
    }
    case "headers": {
      const auth = credentialHeader(rng, credential, ctx.principals);
      rng.pick<() => void>([
        () => {
          // Node keeps the first Authorization and drops the rest.
          extraHeaders.push(["Authorization", `Bearer ${ctx.principals.admin}`]);
          extraHeaders.push(["Authorization", `Bearer ${ctx.principals.rw}`]);
          credential = "admin";
        },
        () => extraHeaders.push(["Authorization", auth ?? "Bearer x"]),
        () => {
          extraHeaders.push(["Content-Type", "application/json"]);
          extraHeaders.push(["Content-Type", "text/plain"]);
        },
        () => {
          contentType = undefined;
        },
        () => {
          contentType = rng.pick([
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json; charset=utf-16",
            "application/json; charset=latin1",
            "application/jsonx",
            "APPLICATION/JSON",
            "application/merge-patch+json",
            "",
            "*/*",
          ]);
        },
        () => {
          omitHost = true;
        },
        () => extraHeaders.push(["Host", "a"], ["Host", "b"]),
        () => {
          omitLength = true;
          extraHeaders.push(["Transfer-Encoding", "chunked"]);
          const data = body ?? Buffer.alloc(0);
          body = Buffer.concat([
            Buffer.from(data.length ? `${data.length.toString(16)}\r\n` : ""),
            data,
            Buffer.from(data.length ? "\r\n0\r\n\r\n" : "0\r\n\r\n"),
          ]);
        },
        () => extraHeaders.push(["Transfer-Encoding", "chunked"]), // with Content-Length: smuggling
        () => extraHeaders.push(["Transfer-Encoding", "gzip, chunked"]),
        () => {
          lengthOverride = String((body?.length ?? 0) + 5);
          cut = { at: body?.length ?? 0, after: "stall" };
        },
        () => {
          lengthOverride = String(Math.max(0, (body?.length ?? 0) - 3));
        },
        () => extraHeaders.push(["Content-Length", "5"]),
        () => extraHeaders.push(["Content-Encoding", rng.pick(["gzip", "br", "deflate", "bogus"])]),
        () => extraHeaders.push(["X-Big", "h".repeat(17_000 + rng.int(50_000))]),
        () => extraHeaders.push(["X-Ctl", Buffer.from([0x61, 0x01, 0x62])]),
        () => extraHeaders.push(["X-Bad Name", "1"]),
        () => extraHeaders.push(["X-Crlf", "a\r\nInjected: 1"]),
        () => extraHeaders.push(["Expect", "100-continue"]),
        () => extraHeaders.push(["Cookie", "session=1"]),
        () => extraHeaders.push(["Connection", "Upgrade"], ["Upgrade", "websocket"]),
        () => extraHeaders.push(["Upgrade", "h2c"], ["HTTP2-Settings", "AAMAAABkAAQAAP__"]),
        () =>
          extraHeaders.push(
            ...Array.from({ length: 2500 }, (_, i) => [`X-H${i}`, "1"] as [string, string]),
          ),
        () => extraHeaders.push(["User-Agent", rng.pick(NASTY_STRINGS)]),
      ])();
      break;
    }
    case "oversize": {
      const size = rng.pick([64 * 1024 + 1, 200 * 1024, 1024 * 1024, 3 * 1024 * 1024 + 200_000]);
      const e = rng.pick(ctx.sealed);
      if (routeKey === "PUT /v1/stores/{store}/entries/{blindedId}" && rng.chance(0.6)) {
        // An envelope of at least `size` bytes (canonical base64url: a length that is a multiple of
        // 4), inside the body limit: VALUE_TOO_LARGE once it passes the envelope limit.
        const chars = Math.min(Math.ceil(size / 3) * 4, 1_400_000);
        body = json({ keyId: e.keyId, envelope: "A".repeat(chars) });
      } else if (rng.chance(0.3)) {
        // Announce a huge body, send a little: the server must refuse on the header alone.
        lengthOverride = rng.pick(["1000000000", "99999999999", String(2 ** 53)]);
        body = Buffer.from("{}");
        cut = { at: 2, after: "stall" };
      } else {
        body = json({ pad: "x".repeat(size) });
      }
      contentType = "application/json";
      if (method === "GET" || method === "DELETE") method = rng.pick(["POST", "PUT", method]);
      break;
    }
    case "slow": {
      body ??= Buffer.from("{}");
      contentType ??= "application/json";
      if (rng.chance(0.5)) {
        // Trickled but complete: must be answered normally.
        const chunks = 5 + rng.int(20);
        trickle = { bytes: Math.max(1, Math.ceil(body.length / chunks)), delayMs: 5 + rng.int(40) };
      } else {
        // Stalls for good: must end with an answer (408, or a refusal sent before the body), not a hang.
        cut = { at: rng.int(body.length), after: "stall" };
        if (rng.chance(0.3)) trickle = { bytes: 1, delayMs: 50 };
      }
      break;
    }
    case "well-formed":
      break;
  }

  const auth =
    category === "headers" ? undefined : credentialHeader(rng, credential, ctx.principals);
  const headers: Array<[string, string | Buffer]> = [];
  if (!omitHost) headers.push(["Host", "127.0.0.1"]);
  headers.push(["Connection", "close"], ["User-Agent", "coffer-fuzz"]);
  if (auth !== undefined) headers.push(["Authorization", auth]);
  if (contentType !== undefined) headers.push(["Content-Type", contentType]);
  if (body !== undefined && !omitLength)
    headers.push(["Content-Length", lengthOverride ?? String(body.length)]);
  headers.push(...extraHeaders);
  if (category === "headers" && !extraHeaders.some(([n]) => n === "Authorization")) {
    const a = credentialHeader(rng, credential, ctx.principals);
    if (a !== undefined) headers.push(["Authorization", a]);
  }
  return {
    category,
    credential,
    request: { method, target: targetBytes ?? target, headers, body, trickle, cut },
  };
}
