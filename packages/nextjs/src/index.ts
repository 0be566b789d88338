// The Next.js entry. `server-only` makes `next build` fail, with Next's own message, if a client
// component imports this package; the "browser" export condition refuses it in other bundlers.
import "server-only";

export {
  CofferError,
  cofferErrorResponse,
  type DataVaultStore,
  isCofferError,
  type Vault,
} from "@coffer/core";
export { getDataVaultStore, getVault } from "./vault.js";
