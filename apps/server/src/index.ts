export { runCli } from "./cli.js";
export { DEFAULTS, resolveConfig, type ServerConfig } from "./config.js";
export { generateMasterKeyString } from "./crypto/master-key.js";
export { buildApp } from "./http/app.js";
export { openVault, type RunningServer, startServer, VERSION } from "./server.js";
export { openStorage } from "./storage/index.js";
export type { Storage } from "./storage/types.js";
export { type Principal, Vault } from "./vault.js";
