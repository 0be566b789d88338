// secret and init: a new secret, and .env.local for an application.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { createSealer, SECRET_PREFIX } from "@coffer/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matchRules } from "../src/gitignore.js";
import type { CliStdin } from "../src/io.js";
import { coffer } from "./helpers/cli.js";
import { startVault, type TestVault } from "./helpers/vault.js";

let vault: TestVault;
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "coffer-cli-init-"));
  dirs.push(dir);
  return dir;
};

beforeAll(async () => {
  vault = await startVault();
  await vault.createStore("app");
});

afterAll(async () => {
  await vault?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The variables of a dotenv file (no quoting: coffer writes none). */
function parseEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split("\n")
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

describe("secret", () => {
  it("prints a new generated secret, different each time", async () => {
    const first = await coffer(["secret"]);
    const second = await coffer(["secret"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^${SECRET_PREFIX}[A-Za-z0-9_-]{43}\\n$`));
    expect(second.stdout).not.toBe(first.stdout);
    expect(first.stderr).toMatch(/COFFER_SECRET/);
    // It is a secret the SDK accepts.
    await expect(createSealer({ secret: first.stdout.trim() }).keyId()).resolves.toMatch(
      /^[0-9a-f]{16}$/,
    );
  });

  it("--json prints {secret} and nothing on stderr", async () => {
    const result = await coffer(["secret", "--json"]);
    expect(result.json()).toEqual({ secret: expect.stringMatching(/^coffer_secret_/) });
    expect(result.stderr).toBe("");
  });
});

describe("init", () => {
  it("writes .env.local (0600) whose settings work against the vault", async () => {
    const dir = tempDir();
    const result = await coffer(["init", "--dir", dir], {
      env: { COFFER_URL: vault.url, COFFER_API_KEY: vault.apiKey },
    });
    expect(result.code, result.stderr).toBe(0);
    const file = join(dir, ".env.local");
    expect(result.stdout).toContain(`Wrote ${file} (mode 0600) with a new COFFER_SECRET.`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const settings = parseEnv(readFileSync(file, "utf8"));
    expect(settings).toEqual({
      COFFER_URL: vault.url,
      COFFER_API_KEY: vault.apiKey,
      COFFER_SECRET: expect.stringMatching(/^coffer_secret_[A-Za-z0-9_-]{43}$/),
    });
    // Neither the secret nor the key is printed.
    expect(result.stdout + result.stderr).not.toContain(settings.COFFER_SECRET);
    expect(result.stdout + result.stderr).not.toContain(vault.apiKey);

    // The file is all an application (or this CLI) needs.
    const set = await coffer(["set", "app", "k"], { env: settings, stdin: "works" });
    expect(set.code, set.stderr).toBe(0);
    expect((await coffer(["get", "app", "k"], { env: settings })).stdout).toBe("works");
  });

  it("without an API key, leaves it empty with a comment on how to create one", async () => {
    const dir = tempDir();
    const result = await coffer(["init", "--dir", dir, "--json"]);
    expect(result.json()).toEqual({
      file: join(dir, ".env.local"),
      overwritten: false,
      url: "http://127.0.0.1:4747",
      apiKeySet: false,
      newSecret: true,
      gitignored: false,
    });
    const text = readFileSync(join(dir, ".env.local"), "utf8");
    expect(text).toMatch(
      /# .*create one with `pnpm coffer-server key create`.*\nCOFFER_API_KEY=\n/,
    );
    expect(text).toContain("COFFER_URL=http://127.0.0.1:4747\n");
  });

  it("refuses to overwrite without --force when there is no terminal", async () => {
    const dir = tempDir();
    const file = join(dir, ".env.local");
    writeFileSync(file, "COFFER_SECRET=the-only-copy\n");
    const refused = await coffer(["init", "--dir", dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /already exists: not overwriting it.*--force.*\(INVALID_ARGUMENT\)/,
    );
    expect(readFileSync(file, "utf8")).toBe("COFFER_SECRET=the-only-copy\n");

    const forced = await coffer(["init", "--dir", dir, "--force", "--json"]);
    expect(forced.code).toBe(0);
    expect(forced.json().overwritten).toBe(true);
    expect(readFileSync(file, "utf8")).toMatch(/COFFER_SECRET=coffer_secret_/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("on a terminal, asks before overwriting (default no)", async () => {
    const dir = tempDir();
    const file = join(dir, ".env.local");
    const answer = async (text: string) => {
      const tty = Object.assign(new PassThrough(), { isTTY: true }) as unknown as CliStdin &
        PassThrough;
      const running = coffer(["init", "--dir", dir], { stdin: tty });
      setTimeout(() => (tty as PassThrough).end(text), 50);
      return running;
    };
    writeFileSync(file, "KEEP=1\n");
    for (const no of ["\n", "n\n", "nope\n", ""]) {
      const declined = await answer(no);
      expect(declined.code).toBe(1);
      expect(declined.stderr).toMatch(
        /already exists\. Overwrite it\?.* \[y\/N\] (\r\n)?Left it unchanged\./s,
      );
      expect(readFileSync(file, "utf8")).toBe("KEEP=1\n");
    }
    const accepted = await answer("y\n");
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toMatch(/COFFER_SECRET=coffer_secret_/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("warns when .gitignore does not ignore .env.local (and leaves it alone)", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, ".gitignore"), "node_modules/\n.env\n");
    const warned = await coffer(["init", "--dir", dir]);
    expect(warned.stderr).toMatch(/\.gitignore does not ignore \.env\.local/);
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toBe("node_modules/\n.env\n");

    const ok = tempDir();
    writeFileSync(join(ok, ".gitignore"), "node_modules/\n.env*\n");
    const quiet = await coffer(["init", "--dir", ok]);
    expect(quiet.stderr).toBe("");
  });

  it("writes the secret given with --secret, never the one in COFFER_SECRET", async () => {
    const mine = `${SECRET_PREFIX}${"A".repeat(43)}`;
    const given = await coffer(["init", "--dir", tempDir(), "--secret", mine, "--json"], {
      env: { COFFER_SECRET: `${SECRET_PREFIX}${"B".repeat(43)}` },
    });
    expect(given.code, given.stdout).toBe(0);
    expect(given.json().newSecret).toBe(false);
    expect(parseEnv(readFileSync(given.json().file, "utf8")).COFFER_SECRET).toBe(mine);
    expect(given.stdout).not.toContain(mine);

    const fromEnv = await coffer(["init", "--dir", tempDir(), "--json"], {
      env: { COFFER_SECRET: mine },
    });
    expect(fromEnv.json().newSecret).toBe(true);
    const written = parseEnv(readFileSync(fromEnv.json().file, "utf8")).COFFER_SECRET;
    expect(written).toMatch(/^coffer_secret_/);
    expect(written).not.toBe(mine);

    // A weak one is refused, and nothing is written.
    const dir = tempDir();
    const weak = await coffer(["init", "--dir", dir, "--secret", "too short"]);
    expect(weak.code).toBe(1);
    expect(weak.stderr).toMatch(/\(WEAK_SECRET\)/);
    expect(() => statSync(join(dir, ".env.local"))).toThrow();
  });

  it("plain http:// to another host needs --allow-insecure-http, which it writes down", async () => {
    const dir = tempDir();
    const refused = await coffer(["init", "--dir", dir, "--url", "http://coffer:4747"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Refusing plain http:\/\/ to coffer.*\(INVALID_ARGUMENT\)/);
    expect(() => statSync(join(dir, ".env.local"))).toThrow();
    const allowed = await coffer([
      "init",
      "--dir",
      dir,
      "--url",
      "http://coffer:4747",
      "--allow-insecure-http",
    ]);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(parseEnv(readFileSync(join(dir, ".env.local"), "utf8"))).toMatchObject({
      COFFER_URL: "http://coffer:4747",
      COFFER_ALLOW_INSECURE_HTTP: "1",
    });
  });

  it("refuses values that would break the file", async () => {
    const result = await coffer(["init", "--dir", tempDir(), "--api-key", "a b\nEVIL=1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/COFFER_API_KEY cannot be written/);
    expect(result.stderr).not.toContain("EVIL");
  });

  it("a directory that does not exist: one coded line naming the file, no secret echoed", async () => {
    const missing = join(tempDir(), "no", "such");
    const result = await coffer(["init", "--dir", missing, "--json"]);
    expect(result.code).toBe(1);
    expect(result.json()).toEqual({
      error: {
        code: "INVALID_ARGUMENT",
        message: `Cannot open ${join(missing, ".env.local")}: no such file or directory (ENOENT).`,
      },
    });
  });
});

describe("gitignore rules", () => {
  it.each([
    [".env.local", true],
    ["/.env.local", true],
    [".env*", true],
    ["*.local", true],
    [".env.*", true],
    ["**/.env.local", true],
    [".env", undefined],
    [".env.local/", undefined],
    [".env*\n!.env.local", false],
    ["# .env.local", undefined],
    ["sub/.env.local", undefined],
  ])("%j → %s", (rules, expected) => {
    expect(matchRules(rules, ".env.local")).toBe(expected);
  });
});
