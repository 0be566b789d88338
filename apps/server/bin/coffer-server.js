#!/usr/bin/env node
// The `coffer-server` executable: runs the built CLI (dist/cli.js). runCli reports command errors
// itself; this only catches what escapes it, e.g. a missing build.
import("../dist/cli.js")
  .then((cli) => cli.runCli(process.argv))
  .catch((error) => {
    const code = typeof error?.code === "string" ? ` (${error.code})` : "";
    process.stderr.write(`coffer-server: ${error?.message ?? String(error)}${code}\n`);
    process.exit(1);
  });
