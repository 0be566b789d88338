import { defineConfig } from "vitest/config";

// Tests run on source through the "dev-source" export condition: no build step needed.
const conditions = ["dev-source"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  // The test files declare Nest controllers and providers, which need decorator metadata.
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each file starts a vault server: one file at a time, in child processes.
    pool: "forks",
    fileParallelism: false,
  },
});
