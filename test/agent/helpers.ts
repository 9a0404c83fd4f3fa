// Shared fixtures for the agent integration tests: the devnet chain, the control plane, a staked
// node with its own worker key, a stand-in k3s (child process) and a stand-in ctr.
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevnet } from "../../devnet/chain";
import { startControlPlane, type ControlPlane } from "../../devnet/control-plane";
import { ChainSession, createSuiClient, keypairFromSecret, type ChainIds } from "../../src/sui";
import type { AgentConfigInput } from "../../agent/src/config";
import { agentConfigSchema, type AgentConfig } from "../../agent/src/config";
import { loadOrCreateIdentity } from "../../agent/src/identity";
import { createLogger, type Logger } from "../../agent/src/log";
import { signRequest } from "../../agent/src/operator-cli";
import { startAgent, type RunningAgent } from "../../agent/src/run";
import { waitFor } from "../support/wait";
export { waitFor };

export const FAKE_K3S = join(__dirname, "fixtures", "fake-k3s.sh");
export const ONE_SUI = 1_000_000_000n;

export interface Chain {
  url: string;
  ids: ChainIds;
  adminSecretKey: string;
  faucet(address: string, mist: bigint): Promise<unknown>;
  close(): Promise<void>;
}

export async function startChain(): Promise<Chain> {
  return (await startDevnet({ host: "127.0.0.1", port: 0 })) as unknown as Chain;
}

export async function startCp(chain: Chain, extra: { port?: number; privateKeyPem?: string } = {}): Promise<ControlPlane> {
  return startControlPlane({
    host: "127.0.0.1",
    port: extra.port ?? 0,
    chainUrl: chain.url,
    ids: chain.ids,
    adminSecretKey: chain.adminSecretKey,
    privateKeyPem: extra.privateKeyPem,
  });
}

export function adminSession(chain: Chain): ChainSession {
  return new ChainSession(createSuiClient(chain.url), keypairFromSecret(chain.adminSecretKey), chain.ids);
}

export async function slash(chain: Chain, stakeId: string, amountMist: bigint): Promise<void> {
  await adminSession(chain).slashStake({ stakeId, amountMist, reason: "test: misbehaviour" });
}

export interface Node {
  dir: string;
  nodeId: string;
  workerPubkey: string;
  stakeId: string;
  sealTokenId: string;
  /** The operator key (PEM, 0600) whose public half is in api.operatorKeys. */
  operatorKey: string;
  operatorPubkey: string;
  /** The staker's wallet (owner of stake and token), to mint or revoke tokens as `pulumi up` does. */
  staker: ChainSession;
  k3sState: string;
  ctrDir: string;
  cfgInput: AgentConfigInput;
  cfg: AgentConfig;
  cleanup(): void;
}

/** Stand-in `ctr`: serves tasks/sandboxes from files, records its arguments (argv) and kills. */
export function writeFakeCtr(dir: string): string {
  const path = join(dir, "ctr");
  writeFileSync(
    path,
    `#!/bin/sh
D='${dir}'
echo "$*" >>"$D/argv"
while [ $# -gt 0 ]; do case "$1" in --address|-n) shift 2;; *) break;; esac; done
case "$1 $2" in
  "tasks list") echo "TASK PID STATUS"; cat "$D/tasks";;
  "containers list") cat "$D/sandboxes";;
  "tasks kill") for last; do :; done; echo "$last" >>"$D/killed"; sed -i "s/^$last .*/$last 0 STOPPED/" "$D/tasks";;
  *) echo "unsupported: $*" >&2; exit 1;;
esac
`,
    { mode: 0o755 },
  );
  writeFileSync(join(dir, "tasks"), "sb-a 4101 RUNNING\napp-a 4102 RUNNING\nsb-b 4103 RUNNING\nsb-c 4104 STOPPED\n");
  writeFileSync(join(dir, "sandboxes"), "sb-a\nsb-b\nsb-c\n");
  writeFileSync(join(dir, "killed"), "");
  return path;
}

/** A staked node: worker key generated "on the host", stake + seal token minted for its key. */
export async function stakeNode(chain: Chain, nodeId: string, overrides: Partial<AgentConfigInput> = {}): Promise<Node> {
  const dir = mkdtempSync(join(tmpdir(), `agent-${nodeId}-`));
  const keyPath = join(dir, "worker.key");
  const workerPubkey = loadOrCreateIdentity(keyPath).publicKey;
  const operator = new Ed25519Keypair();
  await chain.faucet(operator.toSuiAddress(), 10n * ONE_SUI);
  const session = new ChainSession(createSuiClient(chain.url), operator, chain.ids);
  const { stakeId } = await session.stakeForNode({ nodeId, amountMist: 2n * ONE_SUI });
  const { sealTokenId } = await session.mintSealToken({ stakeId, workerPubkey });
  const operatorKey = join(dir, "operator.key");
  const operatorPubkey = loadOrCreateIdentity(operatorKey).publicKey;
  const k3sState = join(dir, "k3s-state");
  writeFileSync(join(dir, "k3s.env"), `K3S_TOKEN=join-secret-${nodeId}\nK3S_URL=https://10.0.0.1:6443\nFAKE_K3S_STATE=${k3sState}\n`, { mode: 0o600 });
  const ctrDir = join(dir, "ctr-state");
  rmSync(ctrDir, { recursive: true, force: true });
  require("node:fs").mkdirSync(ctrDir);
  const ctr = writeFakeCtr(ctrDir);
  const cfgInput: AgentConfigInput = {
    nodeId,
    sui: { rpcUrl: chain.url, packageId: chain.ids.packageId, poolId: chain.ids.poolId, registryId: chain.ids.registryId },
    stakeId,
    sealTokenId,
    // The fake k3s runs no kubelet: the Node Ready check is off (node-ready.test.ts turns it on
    // against an API server stand-in).
    k3s: { manager: "process", command: "/bin/sh", args: [FAKE_K3S, "agent"], envFile: join(dir, "k3s.env"), nodeReadyCheck: false },
    containerRuntime: { type: "containerd", binary: ctr, socket: join(dir, "containerd.sock") },
    heartbeat: { intervalMs: 200, jitter: 0.1, maxBackoffMs: 800, stakeWatchIntervalMs: 250 },
    api: { host: "127.0.0.1", port: 0, operatorKeys: [operatorPubkey] },
    telemetry: { sampleIntervalMs: 200 },
    paths: { workerKey: keyPath, diskPath: dir },
    controlPlane: { requestTimeoutMs: 2_000 },
    logLevel: "debug",
    shutdownTimeoutMs: 5_000,
    ...overrides,
  };
  return {
    dir, nodeId, workerPubkey, stakeId, sealTokenId, operatorKey, operatorPubkey, staker: session, k3sState, ctrDir, cfgInput,
    cfg: agentConfigSchema.parse(cfgInput),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface Started extends RunningAgent {
  lines: string[];
  base: string;
}

export async function runAgent(node: Node): Promise<Started> {
  const lines: string[] = [];
  const log: Logger = createLogger("debug", (l) => void lines.push(l));
  const r = await startAgent(node.cfg, { log });
  return Object.assign(r, { lines, base: `http://127.0.0.1:${r.port}` });
}

export interface StakedAgent {
  chain: Chain;
  cp: ControlPlane;
  node: Node;
  agent: Started;
}

/**
 * The usual fixture of an agent test, in order: devnet chain, control plane, a staked node, its
 * agent running. `prepare` runs after staking and before the agent starts (break the host's key,
 * point the node elsewhere). If a step fails, what was started is stopped before rethrowing.
 */
export async function startStakedAgent(
  nodeId: string,
  opts: { overrides?: Partial<AgentConfigInput>; prepare?: (s: Omit<StakedAgent, "agent">) => void | Promise<void> } = {},
): Promise<StakedAgent> {
  const s: Partial<StakedAgent> = {};
  try {
    s.chain = await startChain();
    s.cp = await startCp(s.chain);
    s.node = await stakeNode(s.chain, nodeId, opts.overrides);
    await opts.prepare?.(s as Omit<StakedAgent, "agent">);
    s.agent = await runAgent(s.node);
    return s as StakedAgent;
  } catch (err) {
    await stopStakedAgent(s);
    throw err;
  }
}

/** Stop the agent, control plane (pass the current one if the test replaced it) and chain. */
export async function stopStakedAgent(s: Partial<StakedAgent>): Promise<void> {
  await s.agent?.stop();
  await s.cp?.close();
  await s.chain?.close();
  s.node?.cleanup();
}

export async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = JSON.parse(text);
  } catch { /* not JSON */ }
  return { status: res.status, body, text };
}

/** POST signed with the node's operator key, as `node agent.js operator-request` sends it. */
export async function signedPost(base: string, node: Node, path: string, body = "{}"): Promise<{ status: number; body: any; text: string }> {
  const req = signRequest(node.operatorKey, node.nodeId, new URL(path, base), body);
  return getJson(req.url.toString(), req.init);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z");
  } catch {
    return false;
  }
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}

/** The bundled agent run as its own process (`node agent.js`), its log lines gathered as they come. */
export interface BundleProcess {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  /** The port its API listens on, from its "agent API listening" log line. */
  apiPort(): Promise<number>;
}

/** Runs `dir`/agent.js under plain node with only PATH and `env` (STAKER_CONFIG_PATH, ...). */
export function spawnBundle(dir: string, env: Record<string, string>): BundleProcess {
  const child = spawn(process.execPath, [join(dir, "agent.js")], { env: { PATH: "/usr/bin:/bin", ...env }, cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on("line", (l) => lines.push(l));
  createInterface({ input: child.stderr! }).on("line", (l) => lines.push(l));
  return {
    child, lines,
    exited: new Promise((r) => child.once("exit", (code) => r(code))),
    apiPort: () => waitFor("API listening", () => lines.map((l) => JSON.parse(l) as { msg: string; port?: number }).find((l) => l.msg === "agent API listening")?.port),
  };
}
