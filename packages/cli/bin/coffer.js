#!/usr/bin/env node
// The `coffer` executable: runs the built CLI (dist/main.js). main() reports command errors
// itself; this only catches what escapes it, e.g. a missing build.
import("../dist/main.js")
  .then((cli) => cli.main(process.argv))
  .catch((error) => {
    const code = typeof error?.code === "string" ? ` (${error.code})` : "";
    process.stderr.write(`coffer: ${error?.message ?? String(error)}${code}\n`);
    process.exit(1);
  });
