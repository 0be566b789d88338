// The export file: JSON Lines. A header, one line per sealed entry, a trailer with the count.
//   {"format":"coffer-export","version":1,"store":"oauth-tokens","createdAt":"…","keyIds":["…"]}
//   {"blindedId":"…","keyId":"…","envelope":"…"}
//   {"type":"end","count":1}
// Envelopes stay sealed under the exporting application's secret and bound to the store id in
// the header: a file without its header and trailer is refused, so a truncated copy is never
// imported as if it were whole.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { CofferError, type SealedEntryRecord } from "@coffer/core";

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
  const lines = createInterface({
    input: createReadStream(file, { encoding: "utf8" }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
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
