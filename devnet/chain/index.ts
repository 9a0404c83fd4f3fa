// Public entry of the devnet chain: `startDevnet` for tests and tools (see docs/contracts.md).
export { startDevnet, type Devnet, type DevnetIds, type StartDevnetOptions } from "./server.js";
