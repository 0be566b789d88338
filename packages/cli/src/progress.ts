// Progress on stderr: a cli-progress bar on a terminal, a plain line every few seconds otherwise
// (logs of CI jobs and `2>file` get no escape codes). stdout stays clean for the result.
import { Presets, SingleBar } from "cli-progress";
import type { CliIo } from "./io.js";

export interface Progress {
  update(done: number, total: number): void;
  /** Leaves the bar's final state on screen; the command then prints its summary. */
  stop(): void;
}

const PLAIN_INTERVAL_MS = 2_000;

export function createProgress(io: CliIo, label: string, unit = "entries"): Progress {
  return io.stderrIsTTY ? barProgress(io, label, unit) : plainProgress(io, label, unit);
}

function barProgress(io: CliIo, label: string, unit: string): Progress {
  // cli-progress writes to a stream and asks it for isTTY and columns.
  const stream = {
    isTTY: true,
    columns: process.stderr.columns || 80,
    write(text: string) {
      io.stderr(text);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  const bar = new SingleBar(
    {
      stream,
      format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | ETA {eta_formatted}`,
      barsize: 30,
      hideCursor: false,
      // cli-progress trims the line to the terminal's width itself. Its default turns the
      // terminal's line wrapping off until stop(), which a Ctrl-C that kills the process would
      // never call: the user's shell would be left without wrapping.
      linewrap: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (total === 0) return;
      if (!started) {
        bar.start(total, done);
        started = true;
        return;
      }
      if (bar.getTotal() !== total) bar.setTotal(total);
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function plainProgress(io: CliIo, label: string, unit: string): Progress {
  let last = Date.now();
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < PLAIN_INTERVAL_MS) return;
      last = now;
      io.stderr(`${label}: ${done}/${total} ${unit}\n`);
    },
    // The command prints its own summary.
    stop() {},
  };
}
