// rotate: a new secret for a store of 300 entries, in one go and after an interruption.
import { createSealer, createVault, generateSecret } from "@coffer/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coffer, transcript } from "./helpers/cli.js";
import { startVault, type TestVault } from "./helpers/vault.js";

let vault: TestVault;
const secretA = generateSecret();
const secretB = generateSecret();
const secretC = generateSecret();
const COUNT = 300;
const entries = Array.from(
  { length: COUNT },
  (_, i) => [`user:${i}`, `token-${i}-${"x".repeat(i % 17)}\n🔐`] as const,
);

let keyId_A: string;
let keyId_B: string;

beforeAll(async () => {
  vault = await startVault();
  keyId_A = await keyId(secretA);
  keyId_B = await keyId(secretB);
});

afterAll(async () => {
  await vault?.close();
});

const env = (secret: string, previous?: string[]) => ({
  COFFER_URL: vault.url,
  COFFER_API_KEY: vault.apiKey,
  COFFER_SECRET: secret,
  ...(previous ? { COFFER_PREVIOUS_SECRETS: previous.join(",") } : {}),
});
const keyId = (secret: string) => createSealer({ secret }).keyId();

/** Writes the 300 entries under `secret` through the SDK. */
async function fill(storeId: string, secret: string): Promise<void> {
  await vault.createStore(storeId);
  const sdk = createVault({ url: vault.url, apiKey: vault.apiKey, secret });
  await (await sdk.getDataVaultStore(storeId)).setValues(entries);
}

/** Every value, read with `secret` alone. */
async function readAll(storeId: string, secret: string): Promise<Map<string, string | null>> {
  const sdk = createVault({ url: vault.url, apiKey: vault.apiKey, secret });
  return (await sdk.getDataVaultStore(storeId)).getValues(entries.map(([key]) => key));
}

describe("rotate", () => {
  it("moves 300 entries from secret A to secret B: all readable with B alone, none left under A", async () => {
    await fill("rotated", secretA);
    expect((await vault.storeInfo("rotated")).keyIds).toEqual([
      { keyId: await keyId(secretA), count: COUNT },
    ]);

    const rotate = await coffer(
      ["rotate", "rotated", "--secret", secretB, "--previous-secrets", secretA],
      { env: { COFFER_URL: vault.url, COFFER_API_KEY: vault.apiKey } },
    );
    expect(rotate.code, rotate.stderr).toBe(0);
    expect(rotate.stdout).toContain(`Rotated ${COUNT} of ${COUNT} entries of store "rotated"`);
    expect(rotate.stdout).toContain(`All ${COUNT} entries are under the current secret.`);

    expect((await vault.storeInfo("rotated")).keyIds).toEqual([
      { keyId: await keyId(secretB), count: COUNT },
    ]);
    expect(await readAll("rotated", secretB)).toEqual(new Map(entries));
    // Through the CLI too, with B alone; A alone finds nothing of its own.
    const get = await coffer(["get", "rotated", "user:7"], { env: env(secretB) });
    expect(get.stdout).toBe(entries[7]?.[1]);
    const withA = await coffer(["get", "rotated", "user:7"], { env: env(secretA) });
    expect(withA.stderr).toMatch(/\(WRONG_SECRET\)/);
    const keys = await coffer(["keys", "rotated", "--json"], { env: env(secretB) });
    expect(keys.json()).toHaveLength(COUNT);
  });

  it("running it again finds nothing to do; --json reports the counts", async () => {
    const again = await coffer(["rotate", "rotated", "--json"], {
      env: env(secretB, [secretA]),
    });
    expect(again.code).toBe(0);
    expect(again.json()).toEqual({
      store: "rotated",
      rotated: 0,
      total: 0,
      keyId: await keyId(secretB),
      entries: COUNT,
      remaining: 0,
      keyIds: [{ keyId: await keyId(secretB), count: COUNT }],
      complete: true,
    });
  });

  it("resumes after an interruption: the second run finishes, every value intact", async () => {
    await fill("interrupted", secretA);
    // A fetch that stops working after 20 requests: the network going away mid-rotation.
    let requests = 0;
    const sent: Array<Promise<Response>> = [];
    const failing: typeof fetch = (input, init) => {
      requests++;
      if (requests > 20) return Promise.reject(new TypeError("fetch failed"));
      const response = fetch(input, init);
      sent.push(response);
      return response;
    };
    const first = await coffer(["rotate", "interrupted"], {
      env: env(secretB, [secretA]),
      fetch: failing,
    });
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/Could not reach the Coffer vault .* \(NETWORK_ERROR\)\n$/);
    // Moves already sent when the command gave up still land: wait for their answers.
    await Promise.allSettled(sent);

    const midway = await vault.storeInfo("interrupted");
    const underB = midway.keyIds.find((k) => k.keyId === keyId_B)?.count ?? 0;
    const underA = midway.keyIds.find((k) => k.keyId === keyId_A)?.count ?? 0;
    expect(underB).toBeGreaterThan(0);
    expect(underA).toBeGreaterThan(0);
    expect(underA + underB).toBe(COUNT);
    // Meanwhile everything reads with both secrets, whichever each entry is under.
    const withBAlone = [...(await readAll("interrupted", secretB)).values()];
    expect(withBAlone.filter((v) => v === null)).toHaveLength(underA); // not yet rotated
    const sdk = createVault({
      url: vault.url,
      apiKey: vault.apiKey,
      secret: secretB,
      previousSecrets: [secretA],
    });
    expect(await (await sdk.getDataVaultStore("interrupted")).getValue("user:299")).toBe(
      entries[299]?.[1],
    );

    const second = await coffer(["rotate", "interrupted", "--json"], {
      env: env(secretB, [secretA]),
    });
    expect(second.code, second.stdout).toBe(0);
    const report = second.json();
    expect(report.complete).toBe(true);
    expect(report.total).toBeLessThan(COUNT); // only what the first run left
    expect(report.rotated).toBe(report.total);
    expect((await vault.storeInfo("interrupted")).keyIds).toEqual([
      { keyId: keyId_B, count: COUNT },
    ]);
    expect(await readAll("interrupted", secretB)).toEqual(new Map(entries));
  });

  it("Ctrl-C stops between two batches, says how far it got, and a second run finishes", async () => {
    await fill("ctrl-c", secretA);
    // The terminal's Ctrl-C, delivered once 40 moves have been answered.
    let interrupt: (() => void) | undefined;
    let listening = 0;
    let moves = 0;
    const counting: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (String(input).endsWith("/entries/move") && ++moves === 40) interrupt?.();
      return response;
    };
    const first = await coffer(["rotate", "ctrl-c"], {
      env: env(secretB, [secretA]),
      fetch: counting,
      stderrIsTTY: true,
      onInterrupt: (handler) => {
        interrupt = handler;
        listening++;
        return () => {
          listening--;
          interrupt = undefined;
        };
      },
    });
    expect(first.code).toBe(130);
    expect(listening).toBe(0); // it stopped listening: a second Ctrl-C kills as usual
    expect(first.stdout).toBe("");
    expect(first.stderr).toMatch(
      /coffer: interrupted after rotating (\d+) of 300 entries\. Run `coffer rotate ctrl-c` again to finish: entries already rotated are skipped\.\n$/,
    );
    // The terminal's line wrapping is never turned off (a kill would leave it off).
    expect(first.stderr).not.toContain("\u001b[?7l");
    const rotated = Number(/after rotating (\d+)/.exec(first.stderr)?.[1]);
    expect(rotated).toBeGreaterThanOrEqual(40);
    expect(rotated).toBeLessThan(COUNT);
    // It stopped within a batch of the signal, with nothing in flight.
    expect(moves).toBe(rotated);
    expect((await vault.storeInfo("ctrl-c")).keyIds).toEqual(
      expect.arrayContaining([
        { keyId: keyId_A, count: COUNT - rotated },
        { keyId: keyId_B, count: rotated },
      ]),
    );

    const second = await coffer(["rotate", "ctrl-c", "--json"], { env: env(secretB, [secretA]) });
    expect(second.code).toBe(0);
    expect(second.json()).toMatchObject({ rotated: COUNT - rotated, complete: true });
    expect(await readAll("ctrl-c", secretB)).toEqual(new Map(entries));
  });

  it("draws a progress bar on a terminal, plain output otherwise", async () => {
    await fill("progress", secretA);
    const tty = await coffer(["rotate", "progress"], {
      env: env(secretB, [secretA]),
      stderrIsTTY: true,
    });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toMatch(/Rotating progress \[[█░]+\] 100% \| 300\/300 entries/);
    const plain = await coffer(["rotate", "progress"], {
      env: env(secretC, [secretB]),
      stderrIsTTY: false,
    });
    expect(plain.code).toBe(0);
    expect(plain.stderr).not.toContain("\u001b");
    expect(plain.stdout).toContain("Rotated 300 of 300");
  });

  it("without the old secret, says the rotation is incomplete and exits 1", async () => {
    await fill("forgotten", secretA);
    const rotate = await coffer(["rotate", "forgotten"], { env: env(secretB) });
    expect(rotate.code).toBe(1);
    expect(rotate.stderr).toMatch(/No previous secrets given/);
    expect(rotate.stdout).toContain(`${COUNT} under secrets not given (key ids ${keyId_A})`);
    expect(rotate.stderr).toMatch(/add the secrets those entries were sealed under/);
    const json = await coffer(["rotate", "forgotten", "--json"], { env: env(secretB) });
    expect(json.code).toBe(1);
    expect(json.json()).toMatchObject({ complete: false, remaining: COUNT, rotated: 0 });
    // Nothing was touched.
    expect(await readAll("forgotten", secretA)).toEqual(new Map(entries));
  });
});

afterAll(() => {
  const all = transcript.join("\n");
  for (const secret of [secretA, secretB, secretC, vault.apiKey]) {
    expect(all).not.toContain(secret);
  }
});
