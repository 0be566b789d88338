import { describe, expect, it } from "vitest";
import { fromBase64Url, toBase64Url } from "./bytes.js";

// Reference: the platform's base64 (btoa/atob), mapped to the URL alphabet without padding.
const reference = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

describe("base64url", () => {
  it("matches the platform's encoding and round-trips, for every length up to 100", () => {
    for (let length = 0; length <= 100; length++) {
      const bytes = crypto.getRandomValues(new Uint8Array(length));
      const text = toBase64Url(bytes);
      expect(text).toBe(reference(bytes));
      expect(fromBase64Url(text)).toEqual(bytes);
    }
  });

  it("refuses anything but canonical unpadded base64url", () => {
    for (const bad of ["A", "AB=", "ab+c", "ab/c", "AAAA=", "AB", "AAB", "é", "AA A", "AAAAA"]) {
      expect(fromBase64Url(bad), bad).toBeUndefined();
    }
    expect(fromBase64Url("AA")).toEqual(new Uint8Array([0]));
    expect(fromBase64Url("AAE")).toEqual(new Uint8Array([0, 1]));
    expect(fromBase64Url("")).toEqual(new Uint8Array(0));
  });
});
