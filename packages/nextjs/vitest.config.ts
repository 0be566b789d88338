import { defineConfig } from "vitest/config";

// Unit tests run on source through the "dev-source" export condition. The build tests run the
// real `next build` on fixtures, which resolve the packages' built `dist`: the global setup
// compiles it first (a couple of seconds).
const conditions = ["dev-source"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/helpers/build-dist.ts"],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    // Each `next build` wants both cores: one file at a time.
    fileParallelism: false,
    pool: "forks",
    unstubEnvs: true,
  },
});
