export { cofferErrorResponse, ENV, vaultOptionsFromEnv } from "./adapter.js";
export {
  CofferError,
  type CofferErrorCode,
  type CofferErrorOptions,
  ERROR_STATUS,
  isCofferError,
  isCofferErrorCode,
} from "./errors.js";
export {
  createSealer,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  type OpenedEntry,
  type Padding,
  type SealedEntry,
  type Sealer,
  type SealerOptions,
} from "./sealer.js";
export {
  generateSecret,
  MIN_SECRET_LENGTH,
  PASSPHRASE_SCRYPT,
  SECRET_PREFIX,
} from "./secret.js";
export { checkVaultUrl, type TransportOptions } from "./transport.js";
export {
  createVault,
  createVaultClient,
  type DataVaultStore,
  type RotateProgress,
  type SealedEntryRecord,
  type StoreInfo,
  type ValueOptions,
  type Vault,
  type VaultClient,
  type VaultOptions,
} from "./vault.js";
