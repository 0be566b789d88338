import { describe, expect, it } from "vitest";
import { cofferErrorResponse, vaultOptionsFromEnv } from "./adapter.js";
import { CofferError } from "./errors.js";

describe("vaultOptionsFromEnv", () => {
  const env = {
    COFFER_URL: "https://v.example",
    COFFER_API_KEY: "coffer_key_x",
    COFFER_SECRET: "s".repeat(40),
  };

  it("reads the four variables, previous secrets comma-separated", () => {
    expect(vaultOptionsFromEnv({ ...env, COFFER_PREVIOUS_SECRETS: " a , b ,," })).toEqual({
      url: "https://v.example",
      apiKey: "coffer_key_x",
      secret: "s".repeat(40),
      previousSecrets: ["a", "b"],
    });
  });

  it("lets overrides win and names a missing variable without echoing values", () => {
    expect(vaultOptionsFromEnv(env, { url: "http://127.0.0.1:4747", timeoutMs: 5 })).toMatchObject({
      url: "http://127.0.0.1:4747",
      timeoutMs: 5,
    });
    for (const name of ["COFFER_URL", "COFFER_API_KEY", "COFFER_SECRET"] as const) {
      const partial = { ...env, [name]: "" };
      expect(() => vaultOptionsFromEnv(partial)).toThrow(name);
      try {
        vaultOptionsFromEnv(partial);
      } catch (error) {
        expect((error as CofferError).code).toBe("INVALID_ARGUMENT");
        expect((error as Error).message).not.toContain("s".repeat(40));
      }
    }
  });

  it("COFFER_ALLOW_INSECURE_HTTP opts in to plain http:// beyond loopback; an override wins", () => {
    expect(vaultOptionsFromEnv(env).allowInsecureHttp).toBeUndefined();
    for (const on of ["1", "true", "YES", " 1 "]) {
      expect(
        vaultOptionsFromEnv({ ...env, COFFER_ALLOW_INSECURE_HTTP: on }).allowInsecureHttp,
      ).toBe(true);
    }
    for (const off of ["", "0", "false", "No"]) {
      expect(
        vaultOptionsFromEnv({ ...env, COFFER_ALLOW_INSECURE_HTTP: off }).allowInsecureHttp,
      ).toBeUndefined();
    }
    expect(
      vaultOptionsFromEnv({ ...env, COFFER_ALLOW_INSECURE_HTTP: "1" }, { allowInsecureHttp: false })
        .allowInsecureHttp,
    ).toBe(false);
    expect(() => vaultOptionsFromEnv({ ...env, COFFER_ALLOW_INSECURE_HTTP: "sure" })).toThrow(
      /COFFER_ALLOW_INSECURE_HTTP must be 1 or 0/,
    );
  });
});

describe("cofferErrorResponse", () => {
  it("answers client errors in full and hides the details of server-side ones", () => {
    expect(
      cofferErrorResponse(
        new CofferError("STORE_NOT_FOUND", "No store x.", { details: { storeId: "x" } }),
      ),
    ).toEqual({
      status: 404,
      body: {
        error: { code: "STORE_NOT_FOUND", message: "No store x.", details: { storeId: "x" } },
      },
    });
    const wrong = cofferErrorResponse(
      new CofferError("WRONG_SECRET", "Key ids a, b.", { details: { keyIds: ["a"] } }),
    );
    expect(wrong?.status).toBe(500);
    expect(wrong?.body.error.code).toBe("WRONG_SECRET");
    expect(JSON.stringify(wrong)).not.toContain("Key ids");
    expect(cofferErrorResponse(new Error("x"))).toBeUndefined();
  });
});
