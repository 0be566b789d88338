// Opt-in typing of `req.vault` on every Express request, for apps that mount cofferMiddleware()
// globally: `/// <reference types="@coffer/express/env" />`, or "types": ["@coffer/express/env"]
// in tsconfig.json. Types only: there is nothing to import at run time.
import type { Vault } from "@coffer/core";

declare global {
  namespace Express {
    interface Request {
      /** The process's vault, put there by `cofferMiddleware()`. */
      vault: Vault;
    }
  }
}
