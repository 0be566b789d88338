import { defineConfig } from "vitest/config";

// Tests run on source through the "dev-source" export condition: no build step needed.
const conditions = ["dev-source"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    unstubEnvs: true,
  },
});
