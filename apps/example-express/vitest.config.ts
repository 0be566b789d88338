import { defineConfig } from "vitest/config";

// Tests run on the packages' source through the "dev-source" export condition: no build step.
const conditions = ["dev-source"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    unstubEnvs: true,
  },
});
