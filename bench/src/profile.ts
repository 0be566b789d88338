// Where the vault service spends its time under one e2e workload: runs the server with
// --cpu-prof, drives it, and prints the functions with the most self time.
//   tsx bench/src/profile.ts [getValue|setValue|getValues] [concurrency] [seconds]
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { generateSecret } from "@coffer/core";
import { cofferClient, keyOf, makeValue, populate } from "./clients.js";
import { openEngine } from "./engines.js";
import { runLoad } from "./load.js";
import { RESULTS, startCofferServer } from "./processes.js";

const [op = "getValue", c = "16", seconds = "8"] = process.argv.slice(2);
const dir = join(RESULTS, `profile-${op}-${Date.now()}`);
const home = await openEngine("sqlite");
const server = await startCofferServer({
  ...(await home.cofferPlace("profile")),
  source: false,
  nodeFlags: ["--cpu-prof", `--cpu-prof-dir=${dir}`],
});
await server.createStore("bench");
const client = await cofferClient({
  url: server.url,
  apiKey: server.apiKey,
  secret: generateSecret(),
  store: "bench",
});
const value = makeValue(1024, 1);
await populate(client, 2000, () => value, "populating");
const key = () => keyOf(Math.floor(Math.random() * 2000));
const result = await runLoad({
  concurrency: Number(c),
  warmupMs: 500,
  durationMs: Number(seconds) * 1000,
  op: async () => {
    if (op === "setValue") await client.set(key(), value);
    else if (op === "getValues")
      await client.getMany(Array.from({ length: 50 }, (_, i) => keyOf(i * 37)));
    else await client.get(key());
  },
});
await server.stop();
await home.close();

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
if (!file) throw new Error(`no profile in ${dir}`);
const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as {
  nodes: Node[];
  samples: number[];
};
const self = new Map<number, number>();
for (const id of profile.samples) self.set(id, (self.get(id) ?? 0) + 1);
const byFunction = new Map<string, number>();
for (const node of profile.nodes) {
  const f = node.callFrame;
  const where = f.url.replace(
    /^.*\/(node_modules\/\.pnpm\/[^/]+\/node_modules\/|apps\/|packages\/)/,
    "",
  );
  const name = `${f.functionName || "(anonymous)"} ${where}:${f.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + (self.get(node.id) ?? 0));
}
const total = profile.samples.length;
console.log(
  `${op} c${c}: ${Math.round(result.opsPerSec)} ops/s, p50 ${result.p50Ms.toFixed(2)} ms; profile ${join(dir, file)}`,
);
for (const [name, n] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
  console.log(`${((n / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
}
