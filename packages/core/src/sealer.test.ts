import { describe, expect, it } from "vitest";
import { type CofferErrorCode, isCofferError } from "./errors.js";
import {
  createSealer,
  generateSecret,
  MAX_KEY_BYTES,
  PASSPHRASE_SCRYPT,
  SECRET_PREFIX,
} from "./index.js";
import { parseSecret, secretKeyMaterial } from "./secret.js";

const STORE = "oauth-tokens";

async function codeOf(
  promise: Promise<unknown> | (() => unknown),
): Promise<CofferErrorCode | "none"> {
  try {
    await (typeof promise === "function" ? promise() : promise);
    return "none";
  } catch (error) {
    if (!isCofferError(error)) throw error;
    return error.code;
  }
}

describe("generateSecret", () => {
  it("makes 256 random bits, base64url, with the coffer_secret_ prefix", () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^coffer_secret_[A-Za-z0-9_-]{43}$/);
    expect(secret.startsWith(SECRET_PREFIX)).toBe(true);
    expect(new Set(Array.from({ length: 100 }, generateSecret)).size).toBe(100);
  });
});

describe("secrets", () => {
  it("refuses a secret shorter than 32 characters with WEAK_SECRET and says how to make one", async () => {
    expect(await codeOf(() => createSealer({ secret: "x".repeat(31) }))).toBe("WEAK_SECRET");
    expect(await codeOf(() => createSealer({ secret: "" }))).toBe("WEAK_SECRET");
    expect(() => createSealer({ secret: "hunter2-hunter2" })).toThrow(
      expect.objectContaining({
        code: "WEAK_SECRET",
        status: 500,
        message: expect.stringMatching(/generateSecret\(\).*COFFER_SECRET/),
      }),
    );
    expect(() => createSealer({ secret: "hunter2-hunter2" })).toThrow(/npx @coffer\/cli secret/);
    expect(() => createSealer({ secret: "hunter2-hunter2" })).not.toThrow(/hunter2/);
    expect(await codeOf(() => createSealer({ secret: "x".repeat(32) }))).toBe("none");
  });

  it("refuses a weak previous secret too", async () => {
    const previousSecrets = ["short"];
    expect(await codeOf(() => createSealer({ secret: generateSecret(), previousSecrets }))).toBe(
      "WEAK_SECRET",
    );
  });

  it("refuses a truncated generated secret instead of treating it as a passphrase", async () => {
    const secret = generateSecret().slice(0, -2);
    expect(await codeOf(() => createSealer({ secret }))).toBe("INVALID_ARGUMENT");
  });

  it("refuses a generated secret with something pasted around it, which would silently be a passphrase", async () => {
    const secret = generateSecret();
    for (const mangled of [`"${secret}"`, ` ${secret}`, `COFFER_SECRET=${secret}`, `${secret}\n`]) {
      expect(await codeOf(() => createSealer({ secret: mangled })), JSON.stringify(mangled)).toBe(
        "INVALID_ARGUMENT",
      );
      expect(() => createSealer({ secret: mangled })).not.toThrow(secret.slice(14));
    }
  });

  it("refuses non-string secrets and options", async () => {
    expect(await codeOf(() => createSealer({ secret: 42 as unknown as string }))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(await codeOf(() => createSealer(undefined as never))).toBe("INVALID_ARGUMENT");
  });

  it("accepts a passphrase of 32+ characters and derives the same keys every time", async () => {
    const passphrase = "correct horse battery staple and a long tail";
    const a = createSealer({ secret: passphrase });
    const b = createSealer({ secret: passphrase });
    expect(await a.keyId()).toBe(await b.keyId());
    const sealed = await a.seal(STORE, "gh:1", "token");
    expect((await b.open(STORE, sealed.blindedId, sealed.envelope)).value).toBe("token");
    expect(await a.keyId()).not.toBe(await createSealer({ secret: `${passphrase}!` }).keyId());
  });
});

describe("key derivation cost", () => {
  it("takes a generated secret straight to HKDF: its keying material is ready, no KDF runs", () => {
    const material = secretKeyMaterial(parseSecret(generateSecret()));
    expect(material).toBeInstanceOf(Uint8Array);
    expect((material as Uint8Array).length).toBe(32);
  });

  it("stretches a passphrase with scrypt once per process, then reuses it", async () => {
    expect(PASSPHRASE_SCRYPT).toMatchObject({ N: 2 ** 15, r: 8, p: 1 });
    const passphrase = `a passphrase stretched only once, clé ${Math.random()}`;
    const first = secretKeyMaterial(parseSecret(passphrase));
    expect(first).toBeInstanceOf(Promise);
    // Every later sealer on the same passphrase shares the one scrypt run.
    expect(secretKeyMaterial(parseSecret(passphrase))).toBe(first);
    const a = createSealer({ secret: passphrase });
    const b = createSealer({ secret: generateSecret(), previousSecrets: [passphrase] });
    expect(secretKeyMaterial(parseSecret(passphrase))).toBe(first);
    expect((await b.keyIds())[1]).toBe(await a.keyId());
    expect(secretKeyMaterial(parseSecret(passphrase.normalize("NFD")))).toBe(first);
  });
});

describe("blindKey", () => {
  const sealer = createSealer({ secret: generateSecret() });

  it("is deterministic, URL-safe, and what seal reports", async () => {
    const id = await sealer.blindKey(STORE, "gh:42");
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await sealer.blindKey(STORE, "gh:42")).toBe(id);
    expect((await sealer.seal(STORE, "gh:42", "v")).blindedId).toBe(id);
  });

  it("gives unrelated ids for the same key in two stores, and for two secrets", async () => {
    const a = await sealer.blindKey("oauth-tokens", "gh:42");
    const b = await sealer.blindKey("recovery-codes", "gh:42");
    const c = await createSealer({ secret: generateSecret() }).blindKey("oauth-tokens", "gh:42");
    expect(new Set([a, b, c]).size).toBe(3);
  });

  it("validates the store id and the key", async () => {
    for (const storeId of ["", "Oauth", "-x", "a".repeat(65), "a b", "a/b", 7]) {
      expect(await codeOf(sealer.blindKey(storeId as string, "k")), String(storeId)).toBe(
        "INVALID_ARGUMENT",
      );
    }
    expect(await codeOf(sealer.blindKey(STORE, "\uD800"))).toBe("INVALID_ARGUMENT");
    expect(await codeOf(sealer.blindKey(STORE, "k".repeat(MAX_KEY_BYTES + 1)))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(await codeOf(sealer.blindKey(STORE, "k".repeat(MAX_KEY_BYTES)))).toBe("none");
  });
});

describe("seal and open", () => {
  const secret = generateSecret();
  const sealer = createSealer({ secret });

  it("round-trips the empty key, which blinds like any other", async () => {
    const sealed = await sealer.seal(STORE, "", "v");
    expect(sealed.blindedId).toBe(await sealer.blindKey(STORE, ""));
    expect(sealed.blindedId).not.toBe(await sealer.blindKey(STORE, " "));
    expect(await sealer.open(STORE, sealed.blindedId, sealed.envelope)).toMatchObject({
      key: "",
      value: "v",
    });
  });

  it("round-trips strings and bytes", async () => {
    for (const value of ["ghp_abc", "", 'line\nbreak\t"quoted" <b>html</b> 🔐', "é".repeat(5000)]) {
      const sealed = await sealer.seal(STORE, "gh:42", value);
      const opened = await sealer.open(STORE, sealed.blindedId, sealed.envelope);
      expect(opened).toEqual({ key: "gh:42", value, keyId: sealed.keyId, stale: false });
    }
    const bytes = new Uint8Array([0, 1, 2, 255]);
    const sealed = await sealer.seal(STORE, "raw", bytes);
    expect((await sealer.open(STORE, sealed.blindedId, sealed.envelope)).value).toEqual(bytes);
  });

  it("never puts the key or value in the envelope in the clear, and seals twice differently", async () => {
    const a = await sealer.seal(STORE, "user-marker-key", "value-marker-123");
    const b = await sealer.seal(STORE, "user-marker-key", "value-marker-123");
    const text = new TextDecoder("latin1").decode(a.envelope);
    expect(text).not.toContain("value-marker");
    expect(text).not.toContain("user-marker");
    expect(a.envelope).not.toEqual(b.envelope);
  });

  it("rejects values that are neither strings nor bytes", async () => {
    for (const value of [42, null, undefined, { a: 1 }, [1], "\uDC00"]) {
      expect(await codeOf(sealer.seal(STORE, "k", value as string))).toBe("INVALID_ARGUMENT");
    }
  });

  it("rejects malformed arguments to open", async () => {
    const { blindedId, envelope } = await sealer.seal(STORE, "k", "v");
    expect(await codeOf(sealer.open(STORE, "not-a-blinded-id", envelope))).toBe("INVALID_ARGUMENT");
    expect(await codeOf(sealer.open(STORE, blindedId, "abc" as never))).toBe("INVALID_ARGUMENT");
    expect(await codeOf(sealer.open("Bad Store", blindedId, envelope))).toBe("INVALID_ARGUMENT");
  });

  it("pads to size buckets by default, and to exact sizes with padding: none", async () => {
    const length = async (value: string, padding?: "none") =>
      (await createSealer({ secret, padding }).seal(STORE, "gh:1", value)).envelope.length;
    expect(await length("a")).toBe(await length("a".repeat(40)));
    expect(await length("a".repeat(100))).toBe(await length("a".repeat(110)));
    expect(await length("a".repeat(100))).toBeLessThan(await length("a".repeat(200)));
    expect(await length("a", "none")).toBeLessThan(await length("aa", "none"));
    expect(await codeOf(async () => createSealer({ secret, padding: "x" as "none" }))).toBe(
      "INVALID_ARGUMENT",
    );
  });
});

describe("keyring", () => {
  const oldSecret = generateSecret();
  const newSecret = generateSecret();
  const before = createSealer({ secret: oldSecret });
  const after = createSealer({ secret: newSecret, previousSecrets: [oldSecret] });

  it("opens envelopes of a previous secret, marked stale, and seals new ones under the current", async () => {
    const old = await before.seal(STORE, "gh:7", "token-v1");
    const opened = await after.open(STORE, old.blindedId, old.envelope);
    expect(opened).toMatchObject({ key: "gh:7", value: "token-v1", stale: true });
    expect(opened.keyId).toBe(await before.keyId());

    const fresh = await after.seal(STORE, "gh:7", "token-v2");
    expect(fresh.keyId).toBe(await after.keyId());
    expect(fresh.keyId).not.toBe(old.keyId);
    expect(await after.keyIds()).toEqual([await after.keyId(), await before.keyId()]);
    expect((await after.open(STORE, fresh.blindedId, fresh.envelope)).stale).toBe(false);
  });

  it("blinds under the current secret, so a re-keyed entry gets a new id", async () => {
    expect(await after.blindKey(STORE, "gh:7")).not.toBe(await before.blindKey(STORE, "gh:7"));
  });

  it("throws WRONG_SECRET, listing the key ids it holds, for an envelope of a secret it lacks", async () => {
    const stranger = createSealer({ secret: generateSecret() });
    const sealed = await stranger.seal(STORE, "gh:7", "token");
    try {
      await after.open(STORE, sealed.blindedId, sealed.envelope);
      expect.unreachable();
    } catch (error) {
      expect(isCofferError(error) && error.code).toBe("WRONG_SECRET");
      expect(isCofferError(error) && error.details).toEqual({ keyIds: await after.keyIds() });
    }
  });

  it("ignores a previous secret equal to the current one", async () => {
    const sealer = createSealer({ secret: newSecret, previousSecrets: [newSecret, oldSecret] });
    expect(await sealer.keyIds()).toEqual(await after.keyIds());
  });
});

describe("errors never reveal secrets, keys or values", () => {
  it("keeps marker strings out of every message, cause and details", async () => {
    const secret = `coffer_secret_${"M".repeat(43)}`;
    const passphrase = "MARKER-SECRET-passphrase-of-32-characters";
    const key = "MARKER-KEY";
    const value = "MARKER-VALUE";
    const sealer = createSealer({ secret: passphrase, previousSecrets: [secret] });
    const sealed = await sealer.seal(STORE, key, value);
    const tampered = sealed.envelope.slice();
    tampered[70] = (tampered[70] as number) ^ 1;
    const attempts: Array<() => unknown> = [
      () => createSealer({ secret: "MARKER-SHORT" }),
      () => createSealer({ secret: `${secret.slice(0, -1)}` }),
      () => createSealer({ secret: `"${secret}"` }),
      () => sealer.seal(STORE, `MARKER-KEY${"x".repeat(MAX_KEY_BYTES)}`, value),
      () => sealer.seal(STORE, "MARKER-KEY\uD800", value),
      () => sealer.seal(STORE, key, "MARKER-VALUE\uD800"),
      () => sealer.seal("MARKER STORE", key, value),
      () => sealer.open(STORE, sealed.blindedId, tampered),
      () => sealer.open("other", sealed.blindedId, sealed.envelope),
      () =>
        createSealer({ secret: generateSecret() }).open(STORE, sealed.blindedId, sealed.envelope),
    ];
    for (const attempt of attempts) {
      let caught: unknown;
      try {
        await attempt();
      } catch (error) {
        caught = error;
      }
      expect(isCofferError(caught)).toBe(true);
      const error = caught as Error & { details?: unknown };
      const text = [
        error.message,
        String(error.cause),
        JSON.stringify(error.details),
        JSON.stringify(error),
      ].join(" ");
      expect(text).not.toMatch(/MARKER|MMMM/);
      expect(text).not.toContain(sealed.blindedId);
    }
  });
});
