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
export type { TransportOptions } from "./transport.js";
export {
  createVault,
  type DataVaultStore,
  type RotateProgress,
  type ValueOptions,
  type Vault,
  type VaultOptions,
} from "./vault.js";
