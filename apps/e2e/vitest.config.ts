import { defineConfig } from "vitest/config";

// Tests run on the packages' source through the "dev-source" export condition: no build step.
const conditions = ["dev-source"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Servers bind ports and PostgreSQL clusters start: one file at a time, in child processes.
    pool: "forks",
    fileParallelism: false,
  },
});
