import { defineConfig } from "vitest/config";

// The test builds the dashboard with the real `next build`, starts it with `next start` against a
// real vault (in-process, on SQLite), and drives it in Chromium. The dashboard itself imports no
// @coffer package; the test uses @coffer/core and @coffer/testing from source.
const conditions = ["dev-source"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ["test/**/*.test.ts", "lib/**/*.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: "forks",
    // One file at a time: the root `pnpm start` (test/start.test.ts) runs turbo's build, which
    // writes the same .next directory as the `next build` of test/dashboard.test.ts.
    fileParallelism: false,
  },
});
