// Runs the vault service's CLI from source, as bin/coffer-server.js runs the build.
import { runCli } from "@coffer/server";

await runCli(process.argv);
