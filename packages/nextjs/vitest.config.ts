import { defineConfig } from "vitest/config";

// Unit tests run on source through the "dev-source" export condition, and as Next runs server
// components: under "react-server", where `server-only` (which the entry imports) loads as the
// empty module it is there. The build tests run the real `next build` on fixtures, which resolve
// the packages' built `dist`: the global setup compiles it first (a couple of seconds).
const conditions = ["dev-source", "react-server"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/helpers/build-dist.ts"],
    // Resolved by vite (with the conditions above), not by Node's own loader.
    server: { deps: { inline: ["server-only"] } },
    testTimeout: 240_000,
    hookTimeout: 240_000,
    // Each `next build` wants both cores: one file at a time.
    fileParallelism: false,
    pool: "forks",
    unstubEnvs: true,
  },
});
