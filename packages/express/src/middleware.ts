// The vault is built once, when the middleware is created; each request only gets a reference.
import {
  CofferError,
  createVault,
  type Vault,
  type VaultOptions,
  vaultOptionsFromEnv,
} from "@coffer/core";
import type { Request, RequestHandler } from "express";

export interface CofferMiddlewareOptions extends Partial<VaultOptions> {
  /** A vault you built yourself. When given, no environment is read and the other options are ignored. */
  vault?: Vault | undefined;
}

/**
 * An Express request after `cofferMiddleware()`. Pass your own request type to keep its params.
 *
 * @example
 * ```ts
 * app.get("/users/:id/token", async (req: RequestWithVault<Request<{ id: string }>>, res) => {
 *   const tokens = await req.vault.getDataVaultStore("oauth-tokens");
 *   res.json({ token: await tokens.getValue(`gh:${req.params.id}`) });
 * });
 * ```
 */
export type RequestWithVault<R extends Request = Request> = R & { vault: Vault };

/**
 * Builds one vault (from `COFFER_URL`, `COFFER_API_KEY`, `COFFER_SECRET` and
 * `COFFER_PREVIOUS_SECRETS`, with `options` on top) and puts it on every request as `req.vault`.
 * A missing variable or a weak secret throws here, at startup, not on the first request.
 *
 * @example
 * ```ts
 * import express from "express";
 * import { cofferErrorHandler, cofferMiddleware, type RequestWithVault } from "@coffer/express";
 *
 * const app = express();
 * app.use(cofferMiddleware());
 * app.get("/me/github-token", async (req, res) => {
 *   const store = await (req as RequestWithVault).vault.getDataVaultStore("oauth-tokens");
 *   res.json({ token: await store.getValue(`gh:${currentUserId(req)}`) });
 * });
 * app.use(cofferErrorHandler());
 * ```
 */
export function cofferMiddleware(options: CofferMiddlewareOptions = {}): RequestHandler {
  if (typeof options !== "object" || options === null) {
    throw new CofferError(
      "INVALID_ARGUMENT",
      "cofferMiddleware takes an options object, or nothing.",
    );
  }
  const { vault: given, ...overrides } = options;
  if (
    given !== undefined &&
    typeof (given as Partial<Vault> | null)?.getDataVaultStore !== "function"
  ) {
    throw new CofferError(
      "INVALID_ARGUMENT",
      "cofferMiddleware's vault option takes a vault from createVault(), or leave it out.",
    );
  }
  const vault = given ?? createVault(vaultOptionsFromEnv(process.env, overrides));
  // Nothing per request can fail: errors come from the vault calls in routes, which pass them to
  // next(err) (Express 5 does so for rejected async handlers) and on to cofferErrorHandler().
  return (req, _res, next) => {
    (req as RequestWithVault).vault = vault;
    next();
  };
}
