export {
  EXPORT_FORMAT,
  EXPORT_VERSION,
  type ExportHeader,
  type ExportTrailer,
} from "./export-format.js";
export type { CliIo, CliStdin } from "./io.js";
export { createProgram, main, VERSION } from "./main.js";
