import { defineConfig } from "vitest/config";

// The test builds the app with the real `next build` (which resolves @coffer/* through their
// built dist), starts it with `next start` against a real vault, and drives it in Chromium.
const conditions = ["dev-source"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ["test/**/*.test.ts"],
    // Compiles @coffer/core's and @coffer/nextjs's dist, which `next build` resolves.
    globalSetup: ["../../packages/nextjs/test/helpers/build-dist.ts"],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: "forks",
  },
});
