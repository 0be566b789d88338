export {
  type CofferErrorHandlerOptions,
  cofferErrorHandler,
} from "./error-handler.js";
export {
  type CofferMiddlewareOptions,
  cofferMiddleware,
  type RequestWithVault,
} from "./middleware.js";
