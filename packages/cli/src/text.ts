/** "1 entry", "2 entries". */
export function entries(count: number): string {
  return `${count} ${count === 1 ? "entry" : "entries"}`;
}
