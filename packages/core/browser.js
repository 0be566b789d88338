// What browser bundlers resolve @coffer/* to. Coffer is server-only (it holds your application's
// secret): importing it from browser code fails the build, on this deliberately missing module,
// with its name as the reason. `export *` (not a bare import) makes bundlers resolve it before
// they check named imports: otherwise vite reports only `"getVault" is not exported by browser.js`.
export * from "@coffer/server-only--this-package-cannot-run-in-a-browser--import-it-from-server-code";
