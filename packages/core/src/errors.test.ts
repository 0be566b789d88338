import { describe, expect, it, vi } from "vitest";
import { CofferError, ERROR_STATUS, isCofferError, isCofferErrorCode } from "./errors.js";

describe("CofferError", () => {
  it("carries a stable code, the status from the table, details and cause", () => {
    const cause = new Error("socket hang up");
    const error = new CofferError("STORE_NOT_FOUND", "No store oauth-tokens.", {
      cause,
      details: { storeId: "oauth-tokens" },
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("CofferError");
    expect(error.code).toBe("STORE_NOT_FOUND");
    expect(error.status).toBe(404);
    expect(error.cause).toBe(cause);
    expect(error.toJSON()).toEqual({
      code: "STORE_NOT_FOUND",
      message: "No store oauth-tokens.",
      details: { storeId: "oauth-tokens" },
    });
  });

  it("maps every code to an HTTP status, client mistakes to 4xx", () => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
    }
    for (const code of [
      "INVALID_ARGUMENT",
      "INVALID_REQUEST",
      "UNAUTHORIZED",
      "FORBIDDEN",
    ] as const) {
      expect(ERROR_STATUS[code]).toBeLessThan(500);
    }
    expect(ERROR_STATUS.RATE_LIMITED).toBe(429);
    expect(ERROR_STATUS.SERVICE_UNAVAILABLE).toBe(503);
  });

  it("is recognised across two copies of the package, where instanceof is not", async () => {
    // After resetModules the loader evaluates errors.ts again: a second, independent copy.
    vi.resetModules();
    const copy: typeof import("./errors.js") = await import("./errors.js");
    const foreign = new copy.CofferError("TAMPERED", "altered");
    expect(foreign).not.toBeInstanceOf(CofferError);
    expect(isCofferError(foreign)).toBe(true);
    expect(copy.isCofferError(new CofferError("TAMPERED", "altered"))).toBe(true);
  });

  it("rejects look-alikes", () => {
    expect(isCofferError(new Error("x"))).toBe(false);
    expect(isCofferError({ code: "TAMPERED", status: 500 })).toBe(false);
    expect(isCofferError(null)).toBe(false);
    expect(isCofferError("TAMPERED")).toBe(false);
    expect(isCofferErrorCode("WRONG_SECRET")).toBe(true);
    expect(isCofferErrorCode("toString")).toBe(false);
  });
});
