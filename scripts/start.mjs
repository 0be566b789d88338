#!/usr/bin/env node
// `pnpm start`: brings up Coffer. The vault service (apps/server) and the dashboard are not built
// yet, so for now this says so plainly and exits non-zero rather than pretending to start.
console.error(
  [
    "Coffer: nothing to start yet.",
    "",
    "What exists today is @coffer/core's sealing layer (packages/core), usable on its own:",
    '  import { createSealer, generateSecret } from "@coffer/core";',
    "",
    "The vault service (apps/server, issue #3) and the dashboard (apps/dashboard, issue #6) are",
    "next; once they land, `pnpm start` brings both up on embedded SQLite.",
  ].join("\n"),
);
process.exitCode = 1;
