// CofferErrors become the JSON answer core defines; anything else goes on to the next handler.
import { CofferError, cofferErrorResponse } from "@coffer/core";
import type { ErrorRequestHandler, Request } from "express";

export interface CofferErrorHandlerOptions {
  /**
   * Called with a CofferError answered with a 5xx, whose body is generic on purpose: the
   * details (which secret, which store) are for your logs, not your clients. Default: console.error.
   */
  onServerError?: ((error: CofferError, req: Request) => void) | undefined;
}

/**
 * An error middleware that answers a CofferError with its status and
 * `{ error: { code, message, details? } }` (5xx: code and a generic message only), and passes any
 * other error to the next error handler. Register it after your routes.
 *
 * @example
 * ```ts
 * app.use(cofferMiddleware());
 * app.use("/users", usersRouter);
 * app.use(cofferErrorHandler({ onServerError: (error) => logger.error(error) }));
 * // STORE_NOT_FOUND → 404 {"error":{"code":"STORE_NOT_FOUND",…}}; WRONG_SECRET → 500 {"error":{"code":"WRONG_SECRET",…}}
 * ```
 */
export function cofferErrorHandler(options: CofferErrorHandlerOptions = {}): ErrorRequestHandler {
  // Checked now: a bad logger found on the first 5xx would lose that answer to a TypeError.
  if (
    typeof options !== "object" ||
    options === null ||
    (options.onServerError !== undefined && typeof options.onServerError !== "function")
  ) {
    throw new CofferError(
      "INVALID_ARGUMENT",
      "cofferErrorHandler takes { onServerError?: (error, req) => void }, or nothing.",
    );
  }
  const onServerError = options.onServerError ?? ((error) => console.error(error));
  return (error, req, res, next) => {
    const response = res.headersSent ? undefined : cofferErrorResponse(error);
    if (!response) return next(error);
    if (response.status >= 500) onServerError(error as CofferError, req);
    res.status(response.status).json(response.body);
  };
}
