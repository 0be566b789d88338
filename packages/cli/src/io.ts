// Where the CLI reads and writes. main() takes a CliIo so tests run commands in-process with
// captured output, their own environment, their own stdin and their own fetch.
import { createInterface } from "node:readline/promises";
import { Writable } from "node:stream";
import { CofferError, MAX_VALUE_BYTES } from "@coffer/core";

/** A readable standard input; `isTTY` (and `setRawMode`) as on process.stdin. */
export type CliStdin = NodeJS.ReadableStream & {
  isTTY?: boolean | undefined;
  setRawMode?: ((mode: boolean) => unknown) | undefined;
};

export interface CliIo {
  /** Standard input, for `set` and the prompts. Without one, `set` fails and `init` cannot ask. */
  stdin?: CliStdin | undefined;
  stdout(text: string): void;
  stderr(text: string): void;
  /** A progress bar is drawn only on a terminal; otherwise plain lines now and then. */
  stderrIsTTY: boolean;
  setExitCode(code: number): void;
  /** The environment COFFER_* settings are read from (default: process.env). */
  env?: NodeJS.ProcessEnv | undefined;
  /** The fetch used to reach the vault (default: the global one). */
  fetch?: typeof fetch | undefined;
  /**
   * Calls `handler` on the first Ctrl-C (SIGINT) or SIGTERM, instead of the default of dying;
   * a second one kills as usual. Returns a function that stops listening. Long commands use it
   * to stop between two requests and say how to resume.
   */
  onInterrupt?: ((handler: () => void) => () => void) | undefined;
}

export const processIo: CliIo = {
  stdin: process.stdin,
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  stderrIsTTY: Boolean(process.stderr.isTTY),
  setExitCode: (code) => {
    process.exitCode = code;
  },
  env: process.env,
  onInterrupt: (handler) => {
    const listener = () => {
      stop();
      handler();
    };
    const stop = () => {
      process.off("SIGINT", listener);
      process.off("SIGTERM", listener);
    };
    process.on("SIGINT", listener);
    process.on("SIGTERM", listener);
    return stop;
  },
};

/** Raised when the user answers a prompt with Ctrl-C or Ctrl-D. */
export class CancelledError extends Error {
  constructor() {
    super("Cancelled.");
    this.name = "CancelledError";
  }
}

/**
 * Listens for Ctrl-C for the length of a long command: `check()` throws CancelledError once it
 * came, so the command stops at a point of its choosing (and its `finally` blocks run).
 */
export function interruptible(io: CliIo): { check(): void; stop(): void } {
  let interrupted = false;
  const stop =
    io.onInterrupt?.(() => {
      interrupted = true;
    }) ?? (() => {});
  return {
    check() {
      if (interrupted) throw new CancelledError();
    },
    stop,
  };
}

/** A Writable over io.stderr, for APIs that want a stream (readline prompts). */
export function stderrStream(io: CliIo): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      io.stderr(typeof chunk === "string" ? chunk : chunk.toString("utf8"));
      callback();
    },
  });
}

/**
 * All of standard input as UTF-8, with one trailing newline (`\n` or `\r\n`) removed: what
 * `printf 'value\n' | coffer set …` and `coffer set … < file` mean. Stops reading, with
 * VALUE_TOO_LARGE, past the largest value the SDK seals (`yes | coffer set …` must not eat memory).
 */
export async function readAllStdin(stdin: CliStdin): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Uint8Array);
    size += bytes.length;
    // + 2: the trailing CRLF that is removed.
    if (size > MAX_VALUE_BYTES + 2) {
      throw new CofferError(
        "VALUE_TOO_LARGE",
        `Standard input holds more than ${MAX_VALUE_BYTES} bytes, the largest value Coffer seals (the vault's COFFER_MAX_VALUE_BYTES may allow less): store large files elsewhere and keep their key in Coffer.`,
      );
    }
    chunks.push(bytes);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(
      Buffer.concat(chunks, size),
    );
  } catch {
    throw new CofferError(
      "INVALID_ARGUMENT",
      "Standard input is not valid UTF-8: only text values can be set from the command line.",
    );
  }
  if (text.endsWith("\r\n")) return text.slice(0, -2);
  if (text.endsWith("\n")) return text.slice(0, -1);
  return text;
}

/** Asks for one line on a terminal without echoing it (readline over a muted output). */
export async function readHiddenLine(io: CliIo, stdin: CliStdin, prompt: string): Promise<string> {
  io.stderr(prompt);
  const muted = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  return ask(stdin, muted, true, "", () => io.stderr("\n"));
}

/** Asks a yes/no question on the terminal; only y/yes (any case) is yes. */
export async function confirm(io: CliIo, stdin: CliStdin, question: string): Promise<boolean> {
  const answer = await ask(stdin, stderrStream(io), false, `${question} [y/N] `, () => {});
  return /^\s*y(es)?\s*$/i.test(answer);
}

async function ask(
  input: CliStdin,
  output: Writable,
  terminal: boolean,
  prompt: string,
  after: () => void,
): Promise<string> {
  const rl = createInterface({ input, output, terminal });
  const abort = new AbortController();
  rl.on("SIGINT", () => abort.abort());
  // Ctrl-D (end of input) before Enter: nothing was answered.
  rl.on("close", () => abort.abort());
  try {
    return await rl.question(prompt, { signal: abort.signal });
  } catch (error) {
    if (abort.signal.aborted) throw new CancelledError();
    throw error;
  } finally {
    after();
    rl.close();
  }
}
