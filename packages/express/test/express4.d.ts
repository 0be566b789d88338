// Express 4 is installed under the alias "express4" (npm:express@4) to run the same suite on
// both majors. It ships no types; the suite only uses what both majors share.
declare module "express4" {
  import express from "express";
  export default express;
}
