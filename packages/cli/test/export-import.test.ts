// export and import: sealed entries to a file and back, into another store under a new secret.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSealer, createVault, generateSecret } from "@coffer/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coffer, transcript } from "./helpers/cli.js";
import { startVault, type TestVault } from "./helpers/vault.js";

let vault: TestVault;
let dir: string;
let file: string;
const oldSecret = generateSecret();
const newSecret = generateSecret();
const COUNT = 230;
const entries: Array<readonly [string, string]> = Array.from({ length: COUNT }, (_, i) => [
  `gh:${i}`,
  `plaintext-marker-${i} "quoted"\n`,
]);

const env = (secret: string, previous?: string[]) => ({
  COFFER_URL: vault.url,
  COFFER_API_KEY: vault.apiKey,
  COFFER_SECRET: secret,
  ...(previous ? { COFFER_PREVIOUS_SECRETS: previous.join(",") } : {}),
});

async function readAll(storeId: string, secret: string) {
  const sdk = createVault({ url: vault.url, apiKey: vault.apiKey, secret });
  return (await sdk.getDataVaultStore(storeId)).getValues(entries.map(([key]) => key));
}

function lines(path: string) {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

beforeAll(async () => {
  vault = await startVault();
  dir = mkdtempSync(join(tmpdir(), "coffer-cli-export-"));
  file = join(dir, "tokens.jsonl");
  for (const store of ["source", "target", "refused", "same"]) await vault.createStore(store);
  const sdk = createVault({ url: vault.url, apiKey: vault.apiKey, secret: oldSecret });
  const source = await sdk.getDataVaultStore("source");
  await source.setValues(entries);
  await source.setValue("binary", new Uint8Array([0, 159, 146, 150]));
});

afterAll(async () => {
  await vault?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("export", () => {
  it("writes the sealed entries as JSON Lines with a header and an end line, mode 0600", async () => {
    // Only the URL and the API key: export decrypts nothing.
    const result = await coffer(["export", "source", file], {
      env: { COFFER_URL: vault.url, COFFER_API_KEY: vault.apiKey },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      `Exported ${COUNT + 1} entries of store "source" to ${file} (mode 0600), still sealed.`,
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const [header, ...rest] = lines(file);
    const trailer = rest.pop();
    const oldKeyId = await createSealer({ secret: oldSecret }).keyId();
    expect(header).toEqual({
      format: "coffer-export",
      version: 1,
      store: "source",
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      keyIds: [oldKeyId],
    });
    expect(trailer).toEqual({ type: "end", count: COUNT + 1 });
    expect(rest).toHaveLength(COUNT + 1);
    for (const entry of rest) {
      expect(Object.keys(entry)).toEqual(["blindedId", "keyId", "envelope"]);
      expect(entry.keyId).toBe(oldKeyId);
    }
    // Sealed: neither values nor keys appear in the file.
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain("plaintext-marker");
    expect(text).not.toContain("gh:1");
    expect(readdirSync(dir)).toEqual(["tokens.jsonl"]); // no scratch files left
  });

  it("--json reports the file, count and key ids; an existing file needs --force", async () => {
    const refused = await coffer(["export", "source", file], { env: env(oldSecret) });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already exists: pass --force/);
    const forced = await coffer(["export", "source", file, "--force", "--json"], {
      env: env(oldSecret),
    });
    expect(forced.code).toBe(0);
    expect(forced.json()).toMatchObject({ store: "source", file, count: COUNT + 1 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("Ctrl-C stops it: exit 130, no file, no partial files left behind", async () => {
    const target = join(dir, "interrupted.jsonl");
    let interrupt: (() => void) | undefined;
    let pages = 0;
    const result = await coffer(["export", "source", target], {
      env: { COFFER_URL: vault.url, COFFER_API_KEY: vault.apiKey },
      // The signal arrives while the second page of entries is being fetched.
      fetch: async (input, init) => {
        if (String(input).includes("/entries?") && ++pages === 2) interrupt?.();
        return fetch(input, init);
      },
      onInterrupt: (handler) => {
        interrupt = handler;
        return () => {
          interrupt = undefined;
        };
      },
    });
    expect(result.code).toBe(130);
    expect(result.stderr).toBe("coffer: cancelled.\n");
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(dir).filter((name) => name.startsWith("interrupted"))).toEqual([]);
  });

  it("refuses, even with --force, a target that is not a regular file, and a missing directory", async () => {
    // Renaming the export into place would replace a symlink, FIFO or device (/dev/null) itself.
    const real = join(dir, "real.txt");
    writeFileSync(real, "keep me");
    const link = join(dir, "link.jsonl");
    symlinkSync(real, link);
    const sub = join(dir, "a-directory");
    mkdirSync(sub);
    for (const target of [link, sub]) {
      const result = await coffer(["export", "source", target, "--force"], { env: env(oldSecret) });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `coffer: ${target} exists and is not a regular file: export to a new file, or to a regular file with --force. (INVALID_ARGUMENT)\n`,
      );
    }
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, "utf8")).toBe("keep me");
    expect(statSync(sub).isDirectory()).toBe(true);

    const nowhere = join(dir, "no-such-dir", "x.jsonl");
    const missing = await coffer(["export", "source", nowhere], { env: env(oldSecret) });
    expect(missing.stderr).toBe(
      `coffer: No directory ${join(dir, "no-such-dir")} to export into. (INVALID_ARGUMENT)\n`,
    );
    for (const name of ["real.txt", "link.jsonl"]) rmSync(join(dir, name));
    rmSync(sub, { recursive: true });
  });

  it("an unknown store is STORE_NOT_FOUND, and no file is created", async () => {
    const missing = join(dir, "missing.jsonl");
    const result = await coffer(["export", "nope", missing], { env: env(oldSecret) });
    expect(result.stderr).toMatch(/\(STORE_NOT_FOUND\)\n$/);
    expect(existsSync(missing)).toBe(false);
  });
});

describe("import", () => {
  it("imports into another store under a new secret when both secrets are given", async () => {
    const result = await coffer(
      ["import", "target", file, "--secret", newSecret, "--previous-secrets", oldSecret],
      { env: { COFFER_URL: vault.url, COFFER_API_KEY: vault.apiKey } },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Imported ${COUNT + 1} entries into store "target"`);

    // Under the new secret only: the vault counts every entry under its key id.
    const newKeyId = await createSealer({ secret: newSecret }).keyId();
    expect((await vault.storeInfo("target")).keyIds).toEqual([
      { keyId: newKeyId, count: COUNT + 1 },
    ]);
    expect(await readAll("target", newSecret)).toEqual(new Map(entries));
    const sdk = createVault({ url: vault.url, apiKey: vault.apiKey, secret: newSecret });
    expect(await (await sdk.getDataVaultStore("target")).getBytes("binary")).toEqual(
      new Uint8Array([0, 159, 146, 150]),
    );
    const withOld = await coffer(["get", "target", "gh:3"], { env: env(oldSecret) });
    expect(withOld.stderr).toMatch(/\(WRONG_SECRET\)/);
    const get = await coffer(["get", "target", "gh:3"], { env: env(newSecret) });
    expect(get.stdout).toBe(entries[3]?.[1]);
  });

  it("--json reports the counts; importing again is harmless", async () => {
    const result = await coffer(["import", "target", file, "--json"], {
      env: env(newSecret, [oldSecret]),
    });
    expect(result.json()).toEqual({
      store: "target",
      from: "source",
      file,
      entries: COUNT + 1,
      imported: COUNT + 1,
      duplicates: 0,
      keyId: await createSealer({ secret: newSecret }).keyId(),
    });
    expect((await vault.storeInfo("target")).entryCount).toBe(COUNT + 1);
  });

  it("imports under the same secret into the store it came from", async () => {
    const result = await coffer(["import", "same", file], { env: env(oldSecret) });
    expect(result.code, result.stderr).toBe(0);
    expect(await readAll("same", oldSecret)).toEqual(new Map(entries));
  });

  it("without the exporting secret: WRONG_SECRET, nothing written", async () => {
    const result = await coffer(["import", "refused", file], { env: env(newSecret) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^coffer: ${COUNT + 1} of the ${COUNT + 1} entries .* sealed under secrets not given .*Nothing was imported\\. \\(WRONG_SECRET\\)\\n$`,
      ),
    );
    expect((await vault.storeInfo("refused")).entryCount).toBe(0);
  });

  it("refuses a truncated file, or one without a header, and writes nothing", async () => {
    const all = readFileSync(file, "utf8").split("\n").filter(Boolean);
    const cases: Array<[string, string, RegExp]> = [
      ["no-trailer", `${all.slice(0, -1).join("\n")}\n`, /no end line after 231 entries/],
      ["cut-mid-line", all.join("\n").slice(0, -200), /is not JSON \(cut short\?\)/],
      ["half", `${all.slice(0, 100).join("\n")}\n`, /no end line after 99 entries/],
      [
        "wrong-count",
        `${[...all.slice(0, 50), all.at(-1)].join("\n")}\n`,
        /the end line counts 231 entries, the file holds 49/,
      ],
      ["no-header", `${all.slice(1).join("\n")}\n`, /first line is not a coffer-export header/],
      ["empty", "", /it is empty/],
      ["after-end", `${[...all, all[1]].join("\n")}\n`, /follows the end line/],
      [
        "bad-entry",
        `${[all[0], '{"blindedId":"x","keyId":"y","envelope":"z"}', '{"type":"end","count":1}'].join("\n")}\n`,
        /line 2 is not an entry/,
      ],
    ];
    for (const [name, text, message] of cases) {
      const broken = join(dir, `${name}.jsonl`);
      writeFileSync(broken, text);
      const result = await coffer(["import", "refused", broken], {
        env: env(newSecret, [oldSecret]),
      });
      expect(result.code, name).toBe(1);
      expect(result.stderr, name).toMatch(message);
      expect(result.stderr, name).toMatch(/\(INVALID_ARGUMENT\)\n$/);
    }
    expect((await vault.storeInfo("refused")).entryCount).toBe(0);
  });

  it("refuses a tampered envelope before writing anything", async () => {
    const all = readFileSync(file, "utf8").split("\n").filter(Boolean);
    const entry = JSON.parse(all[5] as string);
    const flipped = entry.envelope.at(-2) === "A" ? "B" : "A";
    entry.envelope = `${entry.envelope.slice(0, -2)}${flipped}${entry.envelope.at(-1)}`;
    all[5] = JSON.stringify(entry);
    const tampered = join(dir, "tampered.jsonl");
    writeFileSync(tampered, `${all.join("\n")}\n`);
    const result = await coffer(["import", "refused", tampered], {
      env: env(newSecret, [oldSecret]),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/line 6\) \(TAMPERED\)\n$/);
    expect((await vault.storeInfo("refused")).entryCount).toBe(0);
  });

  it("refuses a file of one endless line (600 MB, no newline) without crashing", async () => {
    // Sparse: no disk used. Before, the reader gathered the line until V8 could not hold the
    // string and died with a stack trace.
    const endless = join(dir, "endless.jsonl");
    writeFileSync(endless, "");
    truncateSync(endless, 600 * 1024 * 1024);
    try {
      const result = await coffer(["import", "refused", endless], {
        env: env(newSecret, [oldSecret]),
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^coffer: .* line 1 is longer than any entry can be .*\(INVALID_ARGUMENT\)\n$/,
      );
    } finally {
      rmSync(endless);
    }
    expect((await vault.storeInfo("refused")).entryCount).toBe(0);
  });

  it("a missing file is a clear error", async () => {
    const result = await coffer(["import", "refused", join(dir, "nope.jsonl")], {
      env: env(newSecret),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `coffer: Cannot open ${join(dir, "nope.jsonl")}: no such file or directory (ENOENT). (INVALID_ARGUMENT)\n`,
    );
    // A directory too: a code of the table (not Node's EISDIR), and the path in the message.
    const json = await coffer(["import", "refused", dir, "--json"], { env: env(newSecret) });
    expect(json.code).toBe(1);
    expect(json.json()).toEqual({
      error: {
        code: "INVALID_ARGUMENT",
        message: `Cannot read ${dir}: illegal operation on a directory (EISDIR).`,
      },
    });
  });

  it("shows progress on a terminal", async () => {
    const result = await coffer(["import", "target", file], {
      env: env(newSecret, [oldSecret]),
      stderrIsTTY: true,
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/Importing into target \[[█░]+\] 100% \| 231\/231 entries/);
  });
});

afterAll(() => {
  const all = transcript.join("\n");
  for (const secret of [oldSecret, newSecret, vault.apiKey]) expect(all).not.toContain(secret);
  // Values appear only where asked for: the one `get` above.
  expect(all.split("plaintext-marker")).toHaveLength(2);
});
