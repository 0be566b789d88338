// What browser bundlers resolve @coffer/* to. Coffer is server-only (it holds your application's
// secret): importing it from browser code fails the build, on this deliberately missing import,
// with its name as the reason.
import "@coffer/server-only--this-package-cannot-run-in-a-browser--import-it-from-server-code";
