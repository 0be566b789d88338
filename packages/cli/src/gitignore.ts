// Does git ignore a file? Reads the .gitignore files from the file's directory up to the
// repository root (the directory holding .git), deepest first, as git weighs them. Enough of
// gitignore(5) for the question `coffer init` asks: globs, anchoring, negation, `**`.
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";

export interface IgnoreVerdict {
  /** The .gitignore files read, deepest first. */
  files: string[];
  ignored: boolean;
}

export function gitIgnores(file: string): IgnoreVerdict {
  const files: string[] = [];
  let verdict: boolean | undefined;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const gitignore = join(dir, ".gitignore");
    if (existsSync(gitignore)) {
      files.push(gitignore);
      const rel = relative(dir, file).split(sep).join("/");
      // A deeper .gitignore takes precedence over the ones above it.
      verdict ??= matchRules(readFileSync(gitignore, "utf8"), rel);
    }
    if (existsSync(join(dir, ".git")) || dirname(dir) === dir) break;
  }
  return { files, ignored: verdict === true };
}

/** The last rule that matches `path` decides: true ignored, false re-included, undefined no rule. */
export function matchRules(text: string, path: string): boolean | undefined {
  let verdict: boolean | undefined;
  for (const raw of text.split(/\r?\n/)) {
    let pattern = raw.replace(/(?<!\\)\s+$/, "");
    if (pattern === "" || pattern.startsWith("#")) continue;
    const negated = pattern.startsWith("!");
    if (negated) pattern = pattern.slice(1);
    if (pattern.endsWith("/")) continue; // directories only; we ask about a file
    const anchored = pattern.includes("/");
    if (pattern.startsWith("/")) pattern = pattern.slice(1);
    const regex = globToRegex(pattern);
    const subject = anchored ? path : basename(path);
    if (regex.test(subject)) verdict = !negated;
  }
  return verdict;
}

function globToRegex(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        // `**/` any leading directories, `/**` everything inside.
        if (glob[i + 2] === "/") {
          out += "(?:.*/)?";
          i += 2;
        } else {
          out += ".*";
          i += 1;
        }
      } else out += "[^/]*";
    } else if (c === "?") out += "[^/]";
    else if (c === "\\" && i + 1 < glob.length) out += escapeChar(glob[++i] as string);
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end === -1) out += "\\[";
      else {
        const body = glob.slice(i + 1, end).replace(/^!/, "^");
        out += `[${body.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else out += escapeChar(c);
  }
  return new RegExp(`^${out}$`);
}

function escapeChar(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
