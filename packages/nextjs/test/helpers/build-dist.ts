// The fixtures' `next build` resolves @coffer/nextjs and @coffer/core through their published
// exports (dist), not source: compile both first, as `pnpm build` would.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  for (const dir of ["../../../core", "../.."]) {
    const cwd = fileURLToPath(new URL(dir, import.meta.url));
    execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd, stdio: "inherit" });
  }
}
