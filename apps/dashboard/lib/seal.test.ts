import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { keyFromSecret, seal, unseal } from "./seal";

const TOKEN = "coffer_admin_0123456789abcdefghijklmnopqrstuv";
const later = Date.now() + 60_000;

describe("session sealing", () => {
  it("opens what it sealed, and the token is not readable in the sealed value", () => {
    const key = randomBytes(32);
    const sealed = seal(key, TOKEN, later);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain("coffer_admin");
    expect(Buffer.from(sealed.slice(3), "base64url").toString("latin1")).not.toContain("coffer");
    expect(unseal(key, sealed)).toBe(TOKEN);
    expect(seal(key, TOKEN, later)).not.toBe(sealed); // a fresh IV each time
  });

  it("refuses another key, tampering, expiry and garbage", () => {
    const key = randomBytes(32);
    const sealed = seal(key, TOKEN, later);
    expect(unseal(randomBytes(32), sealed)).toBeNull();
    const body = Buffer.from(sealed.slice(3), "base64url");
    for (const at of [0, 12, body.length - 1]) {
      const tampered = Buffer.from(body);
      tampered[at] = (tampered[at] ?? 0) ^ 1;
      expect(unseal(key, `v1.${tampered.toString("base64url")}`)).toBeNull();
    }
    expect(unseal(key, seal(key, TOKEN, Date.now() - 1))).toBeNull();
    for (const junk of ["", "v1.", "v2.abc", "v1.!!!!", TOKEN])
      expect(unseal(key, junk)).toBeNull();
  });

  it("derives a key from a long secret only", () => {
    expect(() => keyFromSecret("short")).toThrow(RangeError);
    const a = keyFromSecret("x".repeat(32));
    expect(a).toHaveLength(32);
    expect(unseal(keyFromSecret("x".repeat(32)), seal(a, TOKEN, later))).toBe(TOKEN);
  });
});
