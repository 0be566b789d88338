export { startPostgres, type TestPostgres } from "@coffer/server/testing";
export { type Engine, startVault, type TestVault } from "./vault.js";
