import { defineConfig } from "vitest/config";

// Tests run on source through the "dev-source" export condition: no build step needed.
const conditions = ["dev-source"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    testTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          environment: "node",
          include: ["src/**/*.test.ts", "test/**/*.test.ts"],
        },
      },
      {
        // The unit tests again, with the globals of Vercel's Edge Runtime.
        extends: true,
        test: { name: "edge", environment: "edge-runtime", include: ["src/**/*.test.ts"] },
      },
    ],
  },
});
