// An API that keeps its users' GitHub tokens and 2FA recovery codes in Coffer. Values are sealed
// here, under COFFER_SECRET, before they reach the vault: the vault never sees a token or a code.
import { randomInt, randomUUID } from "node:crypto";
import { cofferErrorHandler, cofferMiddleware } from "@coffer/express";
import type {} from "@coffer/express/env"; // types `req.vault` on every request
import express, { type ErrorRequestHandler, type RequestHandler } from "express";

const TOKENS = "oauth-tokens"; // create both stores once: `pnpm coffer-server store create …`
const CODES = "recovery-codes";
const CODE_COUNT = 10;
// Crockford's base32 (no i, l, o, u): 10 characters are 50 random bits.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const CODE = new RegExp(`^[${ALPHABET}]{10}$`);

export function createApp(): express.Express {
  const app = express();
  app.use(express.json({ limit: "16kb" }));
  // One vault for the process, from COFFER_URL, COFFER_API_KEY and COFFER_SECRET: a missing
  // variable stops the app here, at startup.
  app.use(cofferMiddleware());

  app.put("/users/:id/github-token", signedInAs, async (req, res) => {
    const token: unknown = req.body?.token;
    if (typeof token !== "string" || token.length === 0 || token.length > 4096) {
      return fail(res, 400, "INVALID_REQUEST", "Send { token }: a string of 1 to 4096 characters.");
    }
    const tokens = await req.vault.getDataVaultStore(TOKENS);
    await tokens.setValue(`github:${req.params.id}`, token);
    res.status(204).end();
  });

  // A demo: a real app uses the token server-side (to call GitHub) and never sends it back.
  app.get("/users/:id/github-token", signedInAs, async (req, res) => {
    const tokens = await req.vault.getDataVaultStore(TOKENS);
    const token = await tokens.getValue(`github:${req.params.id}`);
    if (token === null) return fail(res, 404, "NOT_FOUND", "No GitHub token for this user.");
    res.json({ token });
  });

  // New codes replace the old ones. They are shown once: no route shows them again.
  app.post("/users/:id/recovery-codes", signedInAs, async (req, res) => {
    const user = req.params.id;
    const store = await req.vault.getDataVaultStore(CODES);
    const previous = await currentBatch(store, user);
    const batch: Batch = {
      id: randomUUID(),
      codes: Array.from({ length: CODE_COUNT }, () =>
        Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join(""),
      ),
    };
    // One entry per code (its key, which holds the code, is blinded before it leaves the app),
    // and `batch:<user>`, which says which codes count. All in one all-or-nothing write: the old
    // codes stop working at that instant, even if a request racing with this one wrote its own.
    const issued = new Date().toISOString();
    await store.setValues([
      ...batch.codes.map((code) => [codeKey(user, batch.id, code), issued] as const),
      [`batch:${user}`, JSON.stringify(batch)],
    ]);
    // Tidying up: the old batch's codes no longer verify either way.
    if (previous) {
      const { id, codes } = previous;
      await Promise.all(codes.map((code) => store.deleteValue(codeKey(user, id, code))));
    }
    res.status(201).json({
      codes: batch.codes.map((code) => `${code.slice(0, 5)}-${code.slice(5)}`),
    });
  });

  // Deleting the code's entry is the check: the vault deletes an entry once, so two requests
  // racing with the same code cannot both succeed.
  app.post("/users/:id/recovery-codes/verify", signedInAs, async (req, res) => {
    const user = req.params.id;
    const code = typeof req.body?.code === "string" ? normalize(req.body.code) : "";
    const store = await req.vault.getDataVaultStore(CODES);
    const batch = CODE.test(code) ? await currentBatch(store, user) : null;
    if (!batch || !(await store.deleteValue(codeKey(user, batch.id, code)))) {
      return fail(res, 401, "INVALID_CODE", "This recovery code is wrong or was used already.");
    }
    const left = await store.getValues(batch.codes.map((c) => codeKey(user, batch.id, c)));
    res.json({ verified: true, remaining: [...left.values()].filter((v) => v !== null).length });
  });

  // CofferErrors become JSON (STORE_NOT_FOUND → 404, vault trouble → 5xx with a generic message).
  app.use(cofferErrorHandler());
  // Everything else: the JSON parser's 4xx (bad JSON, too large) as JSON; the rest a logged 500.
  app.use(((error, _req, res, _next) => {
    const status: number = error?.status ?? 500;
    if (status < 500) return fail(res, status, "INVALID_REQUEST", String(error.message));
    console.error(error);
    fail(res, 500, "INTERNAL_ERROR", "Something went wrong.");
  }) satisfies ErrorRequestHandler);
  return app;
}

/**
 * Stand-in for real authentication: the caller names themselves in the `x-user-id` header, and
 * may only touch their own `/users/:id/…`. Replace it with your session or token check.
 */
const signedInAs: RequestHandler<{ id: string }> = (req, res, next) => {
  const caller = req.get("x-user-id");
  if (!caller) return fail(res, 401, "UNAUTHENTICATED", "Send x-user-id (a demo of sign-in).");
  if (!/^[\w-]{1,64}$/.test(req.params.id)) return fail(res, 400, "INVALID_REQUEST", "Bad id.");
  if (caller !== req.params.id) return fail(res, 403, "FORBIDDEN", "Not your account.");
  next();
};

function fail(res: express.Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/** A user's current recovery codes: `id` is part of each code's key. */
interface Batch {
  id: string;
  codes: string[];
}

async function currentBatch(
  store: { getValue(key: string): Promise<string | null> },
  user: string,
): Promise<Batch | null> {
  const saved = await store.getValue(`batch:${user}`);
  return saved === null ? null : (JSON.parse(saved) as Batch);
}

const codeKey = (user: string, batch: string, code: string) => `code:${user}:${batch}:${code}`;

/** "K7MQ2-X9D4P " → "k7mq2x9d4p": case, spaces and dashes do not matter when typing a code. */
function normalize(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, "");
}
