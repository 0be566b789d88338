import { defineConfig } from "vitest/config";

// Tests run on source through the "dev-source" export condition: no build step needed.
const conditions = ["dev-source"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each file starts a vault server (and one a PostgreSQL cluster): one file at a time, in child processes.
    pool: "forks",
    fileParallelism: false,
  },
});
