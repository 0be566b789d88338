// keys() or rotate() over a whole store, in a process of its own so that its memory is the SDK's
// alone. Compiled to plain JS by the harness. Prints `{"progress": n}` lines now and then and a
// final `{"entries": n, "complete": bool}`; stops after BENCH_BUDGET_MS (rotate is safe to
// interrupt: the rest stays readable under the previous secret).
import { createVault } from "@coffer/core";

const env = process.env;
const mode = env.BENCH_MODE;
const budgetMs = Number(env.BENCH_BUDGET_MS ?? "Infinity");
const vault = createVault({
  url: env.BENCH_URL ?? "",
  apiKey: env.BENCH_API_KEY ?? "",
  secret: env.BENCH_SECRET ?? "",
  previousSecrets: env.BENCH_PREVIOUS_SECRET ? [env.BENCH_PREVIOUS_SECRET] : [],
});
const store = await vault.getDataVaultStore(env.BENCH_STORE ?? "");
const start = performance.now();
const say = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

class BudgetSpent extends Error {}
let done = 0;
let complete = true;
try {
  if (mode === "keys") {
    for await (const _ of store.keys()) {
      if (++done % 10_000 === 0) say({ progress: done });
    }
  } else {
    let last = 0;
    const result = await store.rotate({
      onProgress: ({ rotated }) => {
        done = rotated;
        if (rotated - last >= 10_000) {
          last = rotated;
          say({ progress: rotated });
        }
        if (performance.now() - start > budgetMs) throw new BudgetSpent();
      },
    });
    done = result.rotated;
  }
} catch (error) {
  if (!(error instanceof BudgetSpent)) throw error;
  complete = false;
}
say({ entries: done, complete, seconds: (performance.now() - start) / 1000 });
process.exit(0);
