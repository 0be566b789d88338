// `--source`: the vault service's CLI from source (run with --conditions=dev-source --import tsx),
// as apps/server/bin/coffer-server.js runs the build.
import { runCli } from "@coffer/server";

await runCli(process.argv);
