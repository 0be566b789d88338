// The entry for the Pages Router (getServerSideProps, API routes): the same vault as
// `@coffer/nextjs`, without `server-only`, which Next's default bundler refuses in any file under
// pages/ that also holds a page component. Browsers are kept out by the "browser" export
// condition: a page component that uses it fails its client bundle.
export {
  CofferError,
  cofferErrorResponse,
  type DataVaultStore,
  isCofferError,
  type Vault,
} from "@coffer/core";
export { getDataVaultStore, getVault } from "./vault.js";
