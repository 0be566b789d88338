import { defineConfig } from "vitest/config";

// Tests run on the packages' source through the "dev-source" export condition: no build step.
const conditions = ["dev-source"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ["test/**/*.test.ts"],
    // The full run soaks for minutes; each suite sets its own larger timeouts where it needs them.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Servers bind ports, get killed and PostgreSQL clusters start: one file at a time.
    pool: "forks",
    fileParallelism: false,
  },
});
