// get / set / delete / keys against a real vault (SQLite), and the errors every command shares.
import { createServer } from "node:net";
import { PassThrough, Readable } from "node:stream";
import { createVault, generateSecret, MAX_VALUE_BYTES } from "@coffer/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliStdin } from "../src/io.js";
import { coffer, spawnCoffer, transcript } from "./helpers/cli.js";
import { startVault, type TestVault } from "./helpers/vault.js";

let vault: TestVault;
let env: NodeJS.ProcessEnv;
const secret = generateSecret();

beforeAll(async () => {
  vault = await startVault();
  await vault.createStore("oauth-tokens");
  await vault.createStore("many");
  await vault.createStore("wrong-secret");
  await vault.createStore("wrong-delete");
  await vault.createStore("spawned");
  env = { COFFER_URL: vault.url, COFFER_API_KEY: vault.apiKey, COFFER_SECRET: secret };
});

afterAll(async () => {
  await vault?.close();
});

describe("set, then get", () => {
  const values: Array<[string, string]> = [
    ["newlines", "line one\nline two\n\nline four"],
    ["tabs", "a\tb\t\tc"],
    ["quotes", `single ' double " back \` and \\ backslash`],
    ["emoji", "🔐 sealed 🗝️ — naïve café 中文"],
    ["html", '<script>alert("x")</script><b>&amp;</b>'],
    ["empty", ""],
    ["json", '{"access_token":"gho_abc","expires_in":3600}'],
    ["leading and trailing spaces", "  padded  "],
  ];
  for (const [name, value] of values) {
    it(`round-trips a value with ${name}`, async () => {
      const set = await coffer(["set", "oauth-tokens", `value:${name}`], { env, stdin: value });
      expect(set.code, set.stderr).toBe(0);
      expect(set.stdout).toBe(`Stored "value:${name}" in store "oauth-tokens".\n`);
      const get = await coffer(["get", "oauth-tokens", `value:${name}`], { env });
      expect(get.code).toBe(0);
      expect(get.stdout).toBe(value);
      expect(get.stderr).toBe("");
    });
  }

  it("strips exactly one trailing newline (LF or CRLF) from stdin", async () => {
    await coffer(["set", "oauth-tokens", "nl"], { env, stdin: "value\n\n" });
    expect((await coffer(["get", "oauth-tokens", "nl"], { env })).stdout).toBe("value\n");
    await coffer(["set", "oauth-tokens", "crlf"], { env, stdin: "value\r\n" });
    expect((await coffer(["get", "oauth-tokens", "crlf"], { env })).stdout).toBe("value");
  });

  const keys = [
    "with spaces in it",
    "gh:42:refresh",
    "path/to/a/key",
    "dotted.key.name",
    "ключ-ユーザー-🔑",
    "-starts-with-dash",
  ];
  for (const key of keys) {
    it(`handles the key ${JSON.stringify(key)}`, async () => {
      const args = (cmd: string) => [cmd, "oauth-tokens", "--", key];
      expect((await coffer(args("set"), { env, stdin: `value of ${key}` })).code).toBe(0);
      const get = await coffer(args("get"), { env });
      expect(get.stdout).toBe(`value of ${key}`);
    });
  }

  it("--json prints {key, value}", async () => {
    await coffer(["set", "oauth-tokens", "j"], { env, stdin: 'a "quoted"\nvalue' });
    const get = await coffer(["get", "oauth-tokens", "j", "--json"], { env });
    expect(get.json()).toEqual({ key: "j", value: 'a "quoted"\nvalue' });
    const set = await coffer(["set", "oauth-tokens", "j", "--json"], { env, stdin: "x" });
    expect(set.json()).toEqual({ key: "j", stored: true });
  });

  it("overwrites an existing value", async () => {
    await coffer(["set", "oauth-tokens", "over"], { env, stdin: "first" });
    await coffer(["set", "oauth-tokens", "over"], { env, stdin: "second" });
    expect((await coffer(["get", "oauth-tokens", "over"], { env })).stdout).toBe("second");
  });

  it("prints a value stored as bytes by an application as base64", async () => {
    const sdk = createVault({ url: vault.url, apiKey: vault.apiKey, secret });
    const store = await sdk.getDataVaultStore("oauth-tokens");
    await store.setValue("binary", new Uint8Array([0, 1, 2, 255]));
    const get = await coffer(["get", "oauth-tokens", "binary"], { env });
    expect(get.stdout).toBe("AAEC/w==");
    expect(get.stderr).toMatch(/binary/);
    expect((await coffer(["get", "oauth-tokens", "binary", "--json"], { env })).json()).toEqual({
      key: "binary",
      value: "AAEC/w==",
      encoding: "base64",
    });
  });

  it("never takes the value as an argument", async () => {
    const set = await coffer(["set", "oauth-tokens", "argv", "hunter2-as-argument"], { env });
    expect(set.code).toBe(1);
    expect(set.stderr).toMatch(/standard input, never as an argument.*\(INVALID_ARGUMENT\)/);
    expect(set.stderr).not.toContain("hunter2");
    expect((await coffer(["get", "oauth-tokens", "argv"], { env })).code).toBe(1);
  });

  it("stops reading stdin past the largest value: VALUE_TOO_LARGE, not all of it in memory", async () => {
    const chunk = Buffer.alloc(1024 * 1024, "a");
    let read = 0;
    // 200 MiB, as `yes | coffer set …` would send forever.
    const stdin = Readable.from(
      (function* () {
        for (; read < 200; read++) yield chunk;
      })(),
    );
    const set = await coffer(["set", "oauth-tokens", "huge"], { env, stdin });
    expect(set.code).toBe(1);
    expect(set.stderr).toMatch(
      /^coffer: Standard input holds more than \d+ bytes.* \(VALUE_TOO_LARGE\)\n$/,
    );
    expect(read).toBeLessThanOrEqual(MAX_VALUE_BYTES / chunk.length + 2);
    expect((await coffer(["get", "oauth-tokens", "huge"], { env })).code).toBe(1);
  });

  it("refuses stdin that is not UTF-8", async () => {
    const set = await coffer(["set", "oauth-tokens", "latin1"], {
      env,
      stdin: new Uint8Array([0x63, 0x61, 0x66, 0xe9]),
    });
    expect(set.code).toBe(1);
    expect(set.stderr).toMatch(/not valid UTF-8/);
  });

  it("on a terminal, asks for the value without echoing it", async () => {
    const tty = Object.assign(new PassThrough(), {
      isTTY: true,
      setRawMode: () => tty,
    }) as unknown as CliStdin & PassThrough;
    const running = coffer(["set", "oauth-tokens", "typed"], { env, stdin: tty });
    setTimeout(() => (tty as PassThrough).write("typed-secret-value\r"), 50);
    const set = await running;
    expect(set.code, set.stderr).toBe(0);
    expect(set.stderr).toBe("Value (input hidden): \n");
    expect(set.stdout).not.toContain("typed-secret-value");
    expect((await coffer(["get", "oauth-tokens", "typed"], { env })).stdout).toBe(
      "typed-secret-value",
    );
  });

  it("treats Ctrl-C at the hidden prompt as cancelled", async () => {
    const tty = Object.assign(new PassThrough(), {
      isTTY: true,
      setRawMode: () => tty,
    }) as unknown as CliStdin & PassThrough;
    const running = coffer(["set", "oauth-tokens", "cancelled"], { env, stdin: tty });
    setTimeout(() => (tty as PassThrough).write("abc\x03"), 50);
    const set = await running;
    expect(set.code).toBe(130);
    expect(set.stderr).toMatch(/cancelled/);
    expect((await coffer(["get", "oauth-tokens", "cancelled"], { env })).code).toBe(1);
  });
});

describe("get of a missing key", () => {
  it("exits 1 with a message on stderr and nothing on stdout", async () => {
    const get = await coffer(["get", "oauth-tokens", "no such key"], { env });
    expect(get.code).toBe(1);
    expect(get.stdout).toBe("");
    expect(get.stderr).toBe('coffer: no value for key "no such key" in store "oauth-tokens".\n');
  });

  it("--json: {key, value: null} and exit 1", async () => {
    const get = await coffer(["get", "oauth-tokens", "no such key", "--json"], { env });
    expect(get.code).toBe(1);
    expect(get.json()).toEqual({ key: "no such key", value: null });
  });
});

describe("delete", () => {
  it("deletes, and says whether there was something to delete", async () => {
    await coffer(["set", "oauth-tokens", "doomed"], { env, stdin: "v" });
    const first = await coffer(["delete", "oauth-tokens", "doomed"], { env });
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('Deleted "doomed" from store "oauth-tokens".\n');
    expect((await coffer(["get", "oauth-tokens", "doomed"], { env })).code).toBe(1);
    const again = await coffer(["delete", "oauth-tokens", "doomed", "--json"], { env });
    expect(again.code).toBe(0);
    expect(again.json()).toEqual({ key: "doomed", deleted: false });
  });
});

describe("keys", () => {
  it("lists ~250 keys, one per line and as a JSON array", async () => {
    const sdk = createVault({ url: vault.url, apiKey: vault.apiKey, secret });
    const store = await sdk.getDataVaultStore("many");
    const expected = Array.from({ length: 257 }, (_, i) => `user:${i}:token`);
    await store.setValues(expected.map((key) => [key, `value ${key}`] as const));
    const keys = await coffer(["keys", "many"], { env });
    expect(keys.code).toBe(0);
    expect(keys.stdout.split("\n").slice(0, -1).sort()).toEqual([...expected].sort());
    expect(keys.stdout).not.toContain("value ");
    const json = await coffer(["keys", "many", "--json"], { env });
    expect((json.json() as string[]).sort()).toEqual([...expected].sort());
  });

  it("an empty store lists nothing", async () => {
    await vault.createStore("empty");
    const keys = await coffer(["keys", "empty"], { env });
    expect(keys).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect((await coffer(["keys", "empty", "--json"], { env })).json()).toEqual([]);
  });

  it("says when entries under other secrets are not listed", async () => {
    await coffer(["set", "wrong-secret", "mine"], { env, stdin: "v" });
    const other = generateSecret();
    await coffer(["set", "wrong-secret", "theirs"], {
      env: { ...env, COFFER_SECRET: other },
      stdin: "v",
    });
    const keys = await coffer(["keys", "wrong-secret"], { env });
    expect(keys.stdout).toBe("mine\n");
    expect(keys.stderr).toMatch(
      /1 entry of store "wrong-secret" is sealed under secrets not given/,
    );
  });
});

describe("errors", () => {
  it("a wrong secret is WRONG_SECRET", async () => {
    await coffer(["set", "oauth-tokens", "guarded"], { env, stdin: "v" });
    const get = await coffer(["get", "oauth-tokens", "guarded"], {
      env: { ...env, COFFER_SECRET: generateSecret() },
    });
    expect(get.code).toBe(1);
    expect(get.stderr).toMatch(/^coffer: .*none sealed under a secret.* \(WRONG_SECRET\)\n$/);
    const json = await coffer(["get", "oauth-tokens", "guarded", "--json"], {
      env: { ...env, COFFER_SECRET: generateSecret() },
    });
    expect(json.code).toBe(1);
    expect(json.json()).toEqual({
      error: { code: "WRONG_SECRET", message: expect.stringContaining("COFFER_SECRET") },
    });
  });

  it('delete under a wrong secret is WRONG_SECRET, not "nothing deleted", and deletes nothing', async () => {
    await coffer(["set", "wrong-delete", "kept"], { env, stdin: "still here" });
    const wrong = { ...env, COFFER_SECRET: generateSecret() };
    const del = await coffer(["delete", "wrong-delete", "kept"], { env: wrong });
    expect(del.code).toBe(1);
    expect(del.stdout).toBe("");
    expect(del.stderr).toMatch(/^coffer: .*none sealed under a secret.* \(WRONG_SECRET\)\n$/);
    const json = await coffer(["delete", "wrong-delete", "kept", "--json"], { env: wrong });
    expect(json.json().error.code).toBe("WRONG_SECRET");
    expect((await coffer(["get", "wrong-delete", "kept"], { env })).stdout).toBe("still here");
  });

  it("an unknown store is STORE_NOT_FOUND", async () => {
    for (const args of [
      ["get", "nope", "k"],
      ["keys", "nope"],
      ["delete", "nope", "k"],
      ["rotate", "nope"],
    ]) {
      const result = await coffer(args, { env });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^coffer: .* \(STORE_NOT_FOUND\)\n$/);
    }
    const set = await coffer(["set", "nope", "k", "--json"], { env, stdin: "v" });
    expect(set.json().error.code).toBe("STORE_NOT_FOUND");
  });

  it("an unreachable server is NETWORK_ERROR, naming the URL", async () => {
    const port = await closedPort();
    const get = await coffer(["get", "oauth-tokens", "k"], {
      env: { ...env, COFFER_URL: `http://127.0.0.1:${port}` },
    });
    expect(get.code).toBe(1);
    expect(get.stderr).toBe(
      `coffer: Could not reach the Coffer vault at http://127.0.0.1:${port}: is it running, and is COFFER_URL right? (NETWORK_ERROR)\n`,
    );
  });

  it("refuses plain http:// to a host that is not loopback, before any request", async () => {
    for (const args of [
      ["get", "oauth-tokens", "k"],
      ["export", "oauth-tokens", "/nonexistent/never-written.jsonl"],
    ]) {
      const result = await coffer([...args, "--url", "http://vault.example.com"], { env });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /Refusing plain http:\/\/ to vault\.example\.com.*\(INVALID_ARGUMENT\)/,
      );
    }
  });

  it("--allow-insecure-http (or COFFER_ALLOW_INSECURE_HTTP=1) opts in to such a host", async () => {
    await coffer(["set", "oauth-tokens", "over-http"], { env, stdin: "plain" });
    const remote = `http://coffer.internal:${new URL(vault.url).port}`;
    // Stands for the network: sends coffer.internal to the test vault.
    const network: typeof fetch = (input, init) =>
      fetch(String(input).replace(remote, vault.url), init);
    const viaFlag = await coffer(["get", "oauth-tokens", "over-http", "--allow-insecure-http"], {
      env: { ...env, COFFER_URL: remote },
      fetch: network,
    });
    expect(viaFlag.stderr).toBe("");
    expect(viaFlag.stdout).toBe("plain");
    for (const on of ["1", "true"]) {
      const viaEnv = await coffer(["get", "oauth-tokens", "over-http"], {
        env: { ...env, COFFER_URL: remote, COFFER_ALLOW_INSECURE_HTTP: on },
        fetch: network,
      });
      expect(viaEnv.stdout).toBe("plain");
    }
    const off = await coffer(["get", "oauth-tokens", "over-http"], {
      env: { ...env, COFFER_URL: remote, COFFER_ALLOW_INSECURE_HTTP: "0" },
      fetch: network,
    });
    expect(off.stderr).toMatch(
      /Refusing plain http:\/\/ to coffer\.internal.*\(INVALID_ARGUMENT\)/,
    );
    const bad = await coffer(["get", "oauth-tokens", "over-http"], {
      env: { ...env, COFFER_URL: remote, COFFER_ALLOW_INSECURE_HTTP: "maybe" },
      fetch: network,
    });
    expect(bad.stderr).toMatch(/COFFER_ALLOW_INSECURE_HTTP must be 1 or 0.*\(INVALID_ARGUMENT\)/);
  });

  it("a revoked or wrong API key is UNAUTHORIZED", async () => {
    const get = await coffer(["get", "oauth-tokens", "k"], {
      env: { ...env, COFFER_API_KEY: `${vault.apiKey.slice(0, -4)}AAAA` },
    });
    expect(get.stderr).toMatch(/\(UNAUTHORIZED\)\n$/);
  });

  it("missing settings say which variable to set", async () => {
    const noKey = await coffer(["get", "oauth-tokens", "k"], {
      env: { COFFER_URL: vault.url, COFFER_SECRET: secret },
    });
    expect(noKey.stderr).toMatch(/No API key: set COFFER_API_KEY.*\(INVALID_ARGUMENT\)/);
    const noSecret = await coffer(["get", "oauth-tokens", "k"], {
      env: { COFFER_URL: vault.url, COFFER_API_KEY: vault.apiKey },
    });
    expect(noSecret.stderr).toMatch(/No secret: set COFFER_SECRET.*\(INVALID_ARGUMENT\)/);
    const weak = await coffer(["get", "oauth-tokens", "k"], {
      env: { ...env, COFFER_SECRET: "short" },
    });
    expect(weak.stderr).toMatch(/\(WEAK_SECRET\)/);
    const badStore = await coffer(["get", "Not_A_Store!", "k"], { env });
    expect(badStore.stderr).toMatch(/Store ids are 1 to 64 characters.*\(INVALID_ARGUMENT\)/);
  });

  it("flags win over variables, and an empty variable counts as unset", async () => {
    await coffer(["set", "oauth-tokens", "flagged"], { env, stdin: "by env" });
    const viaFlags = await coffer(
      ["get", "oauth-tokens", "flagged", "--url", vault.url, "--api-key", vault.apiKey],
      { env: { COFFER_URL: "http://127.0.0.1:1", COFFER_API_KEY: "", COFFER_SECRET: secret } },
    );
    expect(viaFlags.stdout).toBe("by env");
    const beforeCommand = await coffer(["--secret", secret, "get", "oauth-tokens", "flagged"], {
      env: { ...env, COFFER_SECRET: generateSecret() },
    });
    expect(beforeCommand.stdout).toBe("by env");
  });

  it("usage errors exit 1 with one coded line, or the JSON error document with --json", async () => {
    const result = await coffer(["get", "oauth-tokens"], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("coffer: missing required argument 'key' (INVALID_ARGUMENT)\n");
    expect(result.stdout).toBe("");
    const unknown = await coffer(["frobnicate"], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^coffer: unknown command 'frobnicate' \(INVALID_ARGUMENT\)\n$/);
    for (const args of [
      ["get", "oauth-tokens", "--json"],
      ["get", "oauth-tokens", "k", "--bogus", "--json"],
      ["frobnicate", "--json"],
    ]) {
      const json = await coffer(args, { env });
      expect(json.code).toBe(1);
      expect(json.stderr).toBe("");
      expect(json.json()).toEqual({
        error: { code: "INVALID_ARGUMENT", message: expect.any(String) },
      });
    }
  });

  it("every command has --help", async () => {
    for (const command of [
      "secret",
      "init",
      "get",
      "set",
      "delete",
      "keys",
      "rotate",
      "export",
      "import",
    ]) {
      const help = await coffer([command, "--help"], { env });
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: coffer ${command}`));
    }
    expect((await coffer(["set", "--help"], { env })).stdout).toMatch(
      /one trailing newline removed/,
    );
  });
});

describe("the real executable (spawned)", () => {
  it("pipes stdin into set, prints with get, and exits with the right codes", async () => {
    const spawnEnv = { COFFER_URL: vault.url, COFFER_API_KEY: vault.apiKey, COFFER_SECRET: secret };
    const value = "multi\nline 🔐 value\twith tab\n";
    const set = await spawnCoffer(["set", "spawned", "piped key"], {
      env: spawnEnv,
      stdin: `${value}\n`,
    });
    expect(set, set.stderr).toMatchObject({ code: 0, stderr: "" });
    const get = await spawnCoffer(["get", "spawned", "piped key"], { env: spawnEnv });
    expect(get).toMatchObject({ code: 0, stdout: value, stderr: "" });
    const missing = await spawnCoffer(["get", "spawned", "missing"], { env: spawnEnv });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no value for key "missing"/);
    const unknown = await spawnCoffer(["get", "nope", "k", "--json"], { env: spawnEnv });
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout).error.code).toBe("STORE_NOT_FOUND");
    const usage = await spawnCoffer(["set"], { env: spawnEnv });
    expect(usage.code).toBe(1);
  });
});

afterAll(() => {
  // Nothing printed the secret or the API key, in any test of this file.
  const all = transcript.join("\n");
  expect(all).not.toContain(secret);
  expect(all).not.toContain(vault.apiKey);
  expect(all).not.toContain(vault.apiKey.slice(-43));
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
