import { describe, expect, it } from "vitest";
import { dateTime, humanBytes, idProblem, lastDays } from "./format";

describe("format", () => {
  it("shows human bytes", () => {
    expect([0, 512, 1024, 1536, 20 * 1024 * 1024, 5 * 1024 ** 4].map(humanBytes)).toEqual([
      "0 B",
      "512 B",
      "1 KB",
      "1.5 KB",
      "20 MB",
      "5 TB",
    ]);
  });
  it("validates ids with a clear message", () => {
    expect(idProblem("oauth-tokens", "store")).toBeNull();
    expect(idProblem("", "store")).toBe("Enter a store id.");
    expect(idProblem("Bad Id", "project")).toMatch(/not a valid project id/);
    expect(idProblem("-x", "store")).not.toBeNull();
    expect(idProblem("a".repeat(65), "store")).not.toBeNull();
  });
  it("dates and days in UTC", () => {
    expect(dateTime(null)).toBe("never");
    expect(dateTime("2025-01-31T14:05:09.000Z")).toBe("2025-01-31 14:05 UTC");
    const days = lastDays(3, Date.parse("2025-03-01T10:00:00Z"));
    expect(days).toEqual(["2025-02-27", "2025-02-28", "2025-03-01"]);
  });
});
