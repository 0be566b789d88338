// Cold start: from spawning a Node process to its first completed getValue (import the SDK,
// createVault, getDataVaultStore, getValue, exit), with a generated secret and with a passphrase
// (scrypt once per process); minus plain `node -e ""` measured in the same run, interleaved.
import { spawn } from "node:child_process";
import { generateSecret } from "@coffer/core";
import { cofferClient, progress } from "../clients.js";
import { openEngine } from "../engines.js";
import { compile, startCofferServer } from "../processes.js";
import type { Settings } from "../settings.js";
import { median } from "../stats.js";

// "fetch": an ES module that makes one request with the same global fetch, the floor of any
// fetch-based client (Node 20 loads its fetch, undici, lazily on first use).
const KINDS = ["node", "fetch", "generated", "passphrase"] as const;
type Kind = (typeof KINDS)[number];

export interface ColdStartResult {
  runs: number;
  /** Median spawn-to-exit wall time per kind, in ms. */
  wallMs: Record<Kind, number>;
  /** Median of performance.now() at the value's arrival inside the child (ms since its start). */
  inProcessMs: Record<"generated" | "passphrase", number>;
  /** wallMs minus plain node's. */
  beyondNodeMs: Record<"fetch" | "generated" | "passphrase", number>;
}

function timeChild(
  args: string[],
  env: Record<string, string>,
): Promise<{ wallMs: number; inProcessMs: number }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
    });
    child.on("exit", (code) => {
      const wallMs = performance.now() - start;
      if (code !== 0) return reject(new Error(`cold-start child exited ${code}: ${out}`));
      const line = /^\{.*\}$/m.exec(out)?.[0];
      resolve({
        wallMs,
        inProcessMs: line ? (JSON.parse(line) as { inProcessMs: number }).inProcessMs : Number.NaN,
      });
    });
  });
}

export async function runColdStart(settings: Settings): Promise<ColdStartResult> {
  const home = await openEngine("sqlite");
  const server = await startCofferServer({
    ...(await home.cofferPlace("cold")),
    source: settings.source,
  });
  try {
    const secrets = {
      generated: generateSecret(),
      passphrase: "correct horse battery staple: a benchmark passphrase",
    };
    for (const [kind, secret] of Object.entries(secrets)) {
      await server.createStore(`cold-${kind}`);
      const client = await cofferClient({
        url: server.url,
        apiKey: server.apiKey,
        secret,
        store: `cold-${kind}`,
      });
      await client.set("cold-start", `value for ${kind}`);
    }
    const script = compile("cold-start-client");
    const samples: Record<Kind, Array<{ wallMs: number; inProcessMs: number }>> = {
      node: [],
      fetch: [],
      generated: [],
      passphrase: [],
    };
    // One untimed run of each warms the OS file cache.
    for (let run = -1; run < settings.coldStart.runs; run++) {
      for (const kind of KINDS) {
        const sample =
          kind === "node"
            ? await timeChild(["-e", ""], {})
            : kind === "fetch"
              ? await timeChild(
                  [
                    "--input-type=module",
                    "-e",
                    `await (await fetch("${server.url}/healthz")).text()`,
                  ],
                  {},
                )
              : await timeChild([script], {
                  BENCH_URL: server.url,
                  BENCH_API_KEY: server.apiKey,
                  BENCH_SECRET: secrets[kind],
                  BENCH_STORE: `cold-${kind}`,
                  BENCH_EXPECT: `value for ${kind}`,
                });
        if (run >= 0) samples[kind].push(sample);
      }
    }
    const wall = (kind: Kind) => median(samples[kind].map((s) => s.wallMs));
    const result: ColdStartResult = {
      runs: settings.coldStart.runs,
      wallMs: {
        node: wall("node"),
        fetch: wall("fetch"),
        generated: wall("generated"),
        passphrase: wall("passphrase"),
      },
      inProcessMs: {
        generated: median(samples.generated.map((s) => s.inProcessMs)),
        passphrase: median(samples.passphrase.map((s) => s.inProcessMs)),
      },
      beyondNodeMs: {
        fetch: wall("fetch") - wall("node"),
        generated: wall("generated") - wall("node"),
        passphrase: wall("passphrase") - wall("node"),
      },
    };
    progress(
      `cold start: node ${result.wallMs.node.toFixed(0)} ms, generated +${result.beyondNodeMs.generated.toFixed(0)} ms, passphrase +${result.beyondNodeMs.passphrase.toFixed(0)} ms`,
    );
    return result;
  } finally {
    await server.stop();
    await home.close();
  }
}
