#!/usr/bin/env node
// The `coffer-server` executable: runs the built CLI (dist/cli.js). runCli reports command errors
// itself; this only catches what escapes it, e.g. a missing build.
// Piped into `head` and the like: a closed stdout is the reader being done, not an error.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});
import("../dist/cli.js")
  .then((cli) => cli.runCli(process.argv))
  .catch((error) => {
    if (error?.code === "ERR_MODULE_NOT_FOUND" && error.message.includes("/dist/cli.js")) {
      process.stderr.write(
        "coffer-server: not built yet. Run `pnpm build` at the repository root first.\n",
      );
      process.exit(1);
    }
    const code = typeof error?.code === "string" ? ` (${error.code})` : "";
    process.stderr.write(`coffer-server: ${error?.message ?? String(error)}${code}\n`);
    process.exit(1);
  });
