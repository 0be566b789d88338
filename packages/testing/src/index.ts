export { startPostgres, type TestPostgres } from "@coffer/server/testing";
export { CHROMIUM, type LaunchedBrowser, launchChromium } from "./browser.js";
export { rssBytes } from "./process.js";
export { type Engine, startVault, type TestVault } from "./vault.js";
