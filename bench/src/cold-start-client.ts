// One cold start, in a fresh process: import the SDK, create the vault, read one value, exit.
// Compiled to plain JS by the harness, which times it from spawn to exit.
import { createVault } from "@coffer/core";

const env = process.env;
const vault = createVault({
  url: env.BENCH_URL ?? "",
  apiKey: env.BENCH_API_KEY ?? "",
  secret: env.BENCH_SECRET ?? "",
});
const store = await vault.getDataVaultStore(env.BENCH_STORE ?? "");
const value = await store.getValue("cold-start");
const inProcessMs = performance.now();
if (value !== env.BENCH_EXPECT) {
  process.stderr.write("cold start: the value did not come back\n");
  process.exit(2);
}
process.stdout.write(`${JSON.stringify({ inProcessMs })}\n`);
process.exit(0);
