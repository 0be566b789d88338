// Formatting and validation shared by the pages.

export const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const ID_HINT =
  "1–64 characters: lowercase letters, digits, - and _, starting with a letter or digit.";
export const KEY_ID_PATTERN = /^[a-z0-9]{12}$/;

/** A clear message for an id that is not one, or null. */
export function idProblem(id: string, what: "store" | "project"): string | null {
  if (id === "") return `Enter a ${what} id.`;
  if (ID_PATTERN.test(id)) return null;
  return `“${id.length > 40 ? `${id.slice(0, 40)}…` : id}” is not a valid ${what} id: ${ID_HINT}`;
}

const UNITS = ["B", "KB", "MB", "GB", "TB"];

/** 0 B, 512 B, 1.5 KB, 20 MB (powers of 1024). */
export function humanBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = unit === 0 || value >= 10 ? Math.round(value) : Math.round(value * 10) / 10;
  return `${shown} ${UNITS[unit]}`;
}

/** `2025-01-31 14:05 UTC`: the same on server and client, whatever the time zone. */
export function dateTime(iso: string | null): string {
  if (iso === null) return "never";
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** The last `days` UTC days, oldest first, as YYYY-MM-DD. */
export function lastDays(days: number, now = Date.now()): string[] {
  return Array.from({ length: days }, (_, i) =>
    new Date(now - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10),
  );
}
