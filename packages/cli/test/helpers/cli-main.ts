// Runs the CLI from source, as bin/coffer.js runs the build: for tests that spawn it.
import { main } from "../../src/main.js";

await main(process.argv);
