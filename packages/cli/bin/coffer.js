#!/usr/bin/env node
// The `coffer` executable: runs the built CLI (dist/main.js). main() reports command errors
// itself; this only catches what escapes it, e.g. a missing build.
// Piped into `head` and the like: a closed stdout is the reader being done, not an error.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});
import("../dist/main.js")
  .then((cli) => cli.main(process.argv))
  .catch((error) => {
    if (error?.code === "ERR_MODULE_NOT_FOUND" && error.message.includes("/dist/main.js")) {
      process.stderr.write(
        "coffer: not built yet. Run `pnpm build` at the repository root first.\n",
      );
      process.exit(1);
    }
    const code = typeof error?.code === "string" ? ` (${error.code})` : "";
    process.stderr.write(`coffer: ${error?.message ?? String(error)}${code}\n`);
    process.exit(1);
  });
