import { defineConfig } from "vitest/config";

// The test drives the compiled app; the vault it starts runs on the packages' source.
const conditions = ["dev-source"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ["test/**/*.test.mts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: "forks",
    fileParallelism: false,
  },
});
