// Runs the CLI from source, as bin/coffer-server.js runs the build: for tests that spawn it.
import { runCli } from "../../src/cli.js";

await runCli(process.argv);
