// The export file: JSON Lines. A header, one line per sealed entry, a trailer with the count.
//   {"format":"coffer-export","version":1,"store":"oauth-tokens","createdAt":"…","keyIds":["…"]}
//   {"blindedId":"…","keyId":"…","envelope":"…"}
//   {"type":"end","count":1}
// Envelopes stay sealed under the exporting application's secret and bound to the store id in
// the header: a file without its header and trailer is refused, so a truncated copy is never
// imported as if it were whole.
import { createReadStream } from "node:fs";
import { CofferError, MAX_VALUE_BYTES, type SealedEntryRecord } from "@coffer/core";

/** One exported entry: a blinded id and an envelope sealed by the client, base64url. */
export interface SealedWireEntry {
  blindedId: string;
  keyId: string;
  envelope: string;
}

export const EXPORT_FORMAT = "coffer-export";
export const EXPORT_VERSION = 1;

export interface ExportHeader {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  /** The store the entries were sealed for: opening them needs it. */
  store: string;
  createdAt: string;
  /** Key ids (secret fingerprints) the entries are sealed under. */
  keyIds: string[];
}

export interface ExportTrailer {
  type: "end";
  count: number;
}

export type ExportLine =
  | { kind: "header"; line: number; header: ExportHeader }
  | { kind: "entry"; line: number; entry: SealedWireEntry }
  | { kind: "end"; line: number; trailer: ExportTrailer };

const STORE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const BLINDED_ID = /^[A-Za-z0-9_-]{43}$/;
const KEY_ID = /^[0-9a-f]{16}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
// The longest line an export can hold: an entry of the largest value, padded and in base64url, is
// about 1.5 times its size. Past this a line is garbage, and is not gathered into memory (a string
// that long would crash the reader).
const MAX_LINE_CHARS = 2 * MAX_VALUE_BYTES;

export function headerLine(header: ExportHeader): string {
  return `${JSON.stringify(header)}\n`;
}

export function entryLine(entry: SealedEntryRecord): string {
  const envelope = Buffer.from(
    entry.envelope.buffer,
    entry.envelope.byteOffset,
    entry.envelope.length,
  ).toString("base64url");
  return `${JSON.stringify({ blindedId: entry.blindedId, keyId: entry.keyId, envelope })}\n`;
}

export function trailerLine(count: number): string {
  return `${JSON.stringify({ type: "end", count } satisfies ExportTrailer)}\n`;
}

/**
 * Reads an export line by line, checking its structure as it goes: a header first, entries, and
 * a trailer last whose count matches. Throws INVALID_ARGUMENT at the first problem.
 */
export async function* readExport(file: string): AsyncGenerator<ExportLine> {
  const invalid = (line: number, problem: string) =>
    new CofferError("INVALID_ARGUMENT", `${file} is not a complete Coffer export: ${problem}`, {
      details: { line },
    });
  const lines = readLines(file, (line) =>
    invalid(line, `line ${line} is longer than any entry can be (not an export?).`),
  );
  let number = 0;
  let header = false;
  let trailer = false;
  let count = 0;
  for await (const text of lines) {
    number++;
    if (text.trim() === "") continue;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw invalid(number, `line ${number} is not JSON (cut short?).`);
    }
    if (!isObject(json)) throw invalid(number, `line ${number} is not a JSON object.`);
    if (trailer) throw invalid(number, `line ${number} follows the end line.`);
    if (!header) {
      yield {
        kind: "header",
        line: number,
        header: parseHeader(json, (problem) => invalid(number, problem)),
      };
      header = true;
    } else if (json.type === "end") {
      if (!Number.isSafeInteger(json.count) || json.count !== count) {
        throw invalid(
          number,
          `the end line counts ${String(json.count)} entries, the file holds ${count}.`,
        );
      }
      trailer = true;
      yield { kind: "end", line: number, trailer: { type: "end", count } };
    } else {
      const { blindedId, keyId, envelope } = json;
      if (
        Object.keys(json).length !== 3 ||
        typeof blindedId !== "string" ||
        !BLINDED_ID.test(blindedId) ||
        typeof keyId !== "string" ||
        !KEY_ID.test(keyId) ||
        typeof envelope !== "string" ||
        !BASE64URL.test(envelope)
      ) {
        throw invalid(number, `line ${number} is not an entry { blindedId, keyId, envelope }.`);
      }
      count++;
      yield { kind: "entry", line: number, entry: { blindedId, keyId, envelope } };
    }
  }
  if (!header) throw invalid(number, "it is empty.");
  if (!trailer) {
    throw invalid(number, `it has no end line after ${count} entries: it was cut short.`);
  }
}

/** The lines of a UTF-8 file (LF or CRLF); throws tooLong(lineNumber) for a line past MAX_LINE_CHARS. */
async function* readLines(file: string, tooLong: (line: number) => Error): AsyncGenerator<string> {
  let parts: string[] = [];
  let length = 0;
  let number = 0;
  const take = () => {
    const line = parts.join("");
    parts = [];
    length = 0;
    number++;
    return line.endsWith("\r") ? line.slice(0, -1) : line;
  };
  try {
    for await (const chunk of createReadStream(file, {
      encoding: "utf8",
    }) as AsyncIterable<string>) {
      let start = 0;
      for (let end = chunk.indexOf("\n"); end !== -1; end = chunk.indexOf("\n", start)) {
        parts.push(chunk.slice(start, end));
        start = end + 1;
        yield take();
      }
      if (start < chunk.length) {
        parts.push(chunk.slice(start));
        length += chunk.length - start;
        if (length > MAX_LINE_CHARS) throw tooLong(number + 1);
      }
    }
  } catch (error) {
    // A read error (EISDIR, EIO) names no file: name it, for the message main() makes of it.
    if (typeof (error as { syscall?: unknown })?.syscall === "string") {
      (error as { path?: unknown }).path ??= file;
    }
    throw error;
  }
  if (parts.length > 0) yield take();
}

function parseHeader(
  json: Record<string, unknown>,
  invalid: (problem: string) => CofferError,
): ExportHeader {
  const { format, version, store, createdAt, keyIds } = json;
  if (format !== EXPORT_FORMAT) {
    throw invalid("its first line is not a coffer-export header.");
  }
  if (version !== EXPORT_VERSION) {
    throw new CofferError(
      "UNSUPPORTED_VERSION",
      `The export is format version ${String(version)}; this coffer reads version ${EXPORT_VERSION}.`,
    );
  }
  if (
    typeof store !== "string" ||
    !STORE_ID.test(store) ||
    typeof createdAt !== "string" ||
    !Array.isArray(keyIds) ||
    !keyIds.every((id) => typeof id === "string" && KEY_ID.test(id))
  ) {
    throw invalid("its header is malformed.");
  }
  return { format, version, store, createdAt, keyIds: keyIds as string[] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
