// Fetches (once, into the cache) the Node 22 tarball the StakedWorker uploads to hosts of this
// machine's architecture, so an `up` against local hosts needs no network at run time; and the
// other release the day-2 test upgrades the fleet to.
import { arch } from "node:os";
import { ensureNodeTarball, pinnedNodeVersion } from "../src/components/node-runtime";
import { NODE_UPGRADE_RELEASE } from "../test/e2e/node-release";

const machine = arch() === "x64" ? "x86_64" : arch() === "arm64" ? "aarch64" : arch();
(async () => {
  for (const version of [pinnedNodeVersion(process.cwd()), NODE_UPGRADE_RELEASE]) {
    process.stderr.write(`[setup] node ${version} for ${machine} hosts: ${await ensureNodeTarball(machine, version)}\n`);
  }
})().catch((err: Error) => {
  process.stderr.write(`[setup] error: ${err.message}\n`);
  process.exit(1);
});
