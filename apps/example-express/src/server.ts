// Starts the example API: `pnpm --filter @coffer/example-express start` (see README.md).
import type { AddressInfo } from "node:net";
import { createApp } from "./app.js";

const server = createApp().listen(Number(process.env.PORT ?? 3001), () => {
  console.log(`Example API on http://localhost:${(server.address() as AddressInfo).port}`);
});
