// Fetches (once, into the cache) the Node 22 tarball the StakedWorker uploads to hosts of this
// machine's architecture, so an `up` against local hosts needs no network at run time.
import { arch } from "node:os";
import { ensureNodeTarball, pinnedNodeVersion } from "../src/components/node-runtime";

const machine = arch() === "x64" ? "x86_64" : arch() === "arm64" ? "aarch64" : arch();
ensureNodeTarball(machine, pinnedNodeVersion(process.cwd()))
  .then((file) => process.stderr.write(`[setup] node for ${machine} hosts: ${file}\n`))
  .catch((err: Error) => {
    process.stderr.write(`[setup] error: ${err.message}\n`);
    process.exit(1);
  });
