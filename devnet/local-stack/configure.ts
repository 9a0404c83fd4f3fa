// Writes the dev stack's generated config file from the running local stack: the devnet's ids,
// the local hosts, the local package source and stand-in k3s, and the throwaway local keys.
// Secrets reach `pulumi config set --secret` on stdin, never as process arguments.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { LocalStackState } from "./main";

const ROOT = resolve(__dirname, "../..");
const [configFile, stack = "dev"] = process.argv.slice(2);
if (!configFile) {
  process.stderr.write("usage: configure.ts <config-file> [stack]\n");
  process.exit(2);
}
const s = JSON.parse(readFileSync(join(ROOT, "devnet", ".state", "local-stack.json"), "utf8")) as LocalStackState;

function set(key: string, value: string, secret = false): void {
  const args = ["config", "set", "--stack", stack, "--config-file", configFile!, ...(secret ? ["--secret"] : []), key];
  execFileSync("pulumi", secret ? args : [...args, "--", value], { cwd: ROOT, input: secret ? value : undefined, stdio: ["pipe", "ignore", "inherit"] });
}

set("network", JSON.stringify({ rpcUrl: s.rpcUrl, packageId: s.packageId, poolId: s.poolId, registryId: s.registryId }));
set("hosts", JSON.stringify(s.hosts));
set("k3s", JSON.stringify({ serverUrl: s.k3sServerUrl, binUrl: s.k3sBinUrl, binSha256: s.k3sBinSha256, images: s.k3sImages }));
set("aptSource", s.aptSource);
set("walletKey", s.walletKey, true);
set("sshPrivateKey", s.sshPrivateKey, true);
// The local cluster's join token, from its supervisor (the CA hash pins the server's CA).
set("k3sToken", s.k3sToken, true);
process.stderr.write(`[dev] stack config written to ${configFile}\n`);
