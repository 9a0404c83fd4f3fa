// The host-state resource's provider logic, over node-ssh. @pulumi/command has no read and its
// deletes fail when a host is gone; this resource fills both gaps:
//  - create/update wait until the agent's /health says registered and, unless the agent's Node
//    check is off, its Kubernetes Node Ready (the end of a worker's install); a Node that does
//    not become Ready fails the `up` naming the kubelet's reason and message;
//  - read reports the agent service and bundle (and containerd's config.toml) as they are on the
//    host, so `pulumi refresh` shows drift (agent stopped, bundle or config.toml changed by hand),
//    which the next `up` repairs;
//  - delete tears the host down in order (agent deregisters and stops, k3s agent uninstalled,
//    agent files removed, containerd removed if asked), and with allowUnreachableHost skips a host
//    that does not answer after a bounded retry, so the stake behind it can still be withdrawn.
import { z } from "zod";
import { nodeIdSchema, checkInputs, userInputs } from "./chain-inputs";
import { sshTargetShape, UnreachableHostError, withSsh as withPinnedSsh, type Run } from "./ssh";
import { failRollout, holdsSlot, releaseSlot, ROLLOUT_MARKER } from "./rollout";
import { createHash } from "node:crypto";
import { repairContainerdConfig, restoreContainerRuntime } from "../remote-scripts";
import { AGENT_DIR, AGENT_UNIT, CONTAINERD_CONFIG } from "./host-layout";

export { UnreachableHostError };

export const hostInputsSchema = z
  .object({
    ...sshTargetShape,
    nodeId: nodeIdSchema,
    agentPort: z.number().int().min(1).max(65535),
    /** sha256 of the agent bundle uploaded to the host (drift check). */
    bundleSha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** Absolute path of that bundle on the controller (to repair a bundle changed on the host by hand). */
    bundlePath: z.string().startsWith("/"),
    /** sha256 of the agent config uploaded to the host. */
    configSha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** Destroy also purges the container runtime package. Default false. */
    removeContainerd: z.boolean(),
    /** Debian package of the container runtime (containerd or docker.io). */
    containerPackage: z.string().min(1),
    /**
     * The /etc/containerd/config.toml written for k3s (configure-containerd.sh; "" with docker:
     * none): a hand edit shows as drift on refresh (hostContainerdConfigSha256) and the next `up`
     * puts this text back.
     */
    containerdConfig: z.string(),
    /** How long create/update wait for the worker to be healthy. */
    healthTimeoutSeconds: z.number().int().min(1),
    /** The k3s release the host must report (`k3s --version`); "" checks none. */
    k3sVersion: z.string(),
    /** The Node release the agent must run on (its /health `node_version`, as in NodeRuntime); "" checks none. */
    nodeVersion: z.string().regex(/^(\d+\.\d+\.\d+)?$/),
    /** The fleet whose rollout slots the worker takes (its RolloutGate's). */
    rolloutFleet: z.string().min(1),
    maxUnavailable: z.number().int().min(1),
    /** Digest of the gate's changes (the same as its RolloutGate's): a rollout always updates this resource, which ends it. */
    rolloutDigest: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();

export type HostStateInputs = z.infer<typeof hostInputsSchema>;

export interface HostStateOutputs extends HostStateInputs {
  agentActive: boolean;
  registered: boolean;
  hostBundleSha256: string;
  health: string;
  k3sActive: boolean;
  /** The release the host's k3s binary reports ("" when none is installed). */
  hostK3sVersion: string;
  /** sha256 of the host's /etc/containerd/config.toml ("" when there is none). */
  hostContainerdConfigSha256: string;
}

const NODE = `${AGENT_DIR}/node/bin/node`;

/** SSH to the host with its pinned key; every command runs as root (sudo for other users). */
function withSsh<T>(p: HostStateInputs, fn: (run: Run) => Promise<T>): Promise<T> {
  return withPinnedSsh(p, p.connectRetries, fn);
}

/** The Kubernetes Node as the agent's /health reports it (its `node` object, agent/src/node-ready.ts). */
export interface NodeSeen {
  name: string;
  ready: boolean | null;
  status: string | null;
  reason: string | null;
  message: string | null;
  kubeletVersion: string | null;
  kubeletHealthy: boolean | null;
  kubeletHealthzError: string | null;
  checkedAt: string | null;
  error: string | null;
}

/**
 * The Node from a /health body; null when there is nothing to wait for: the agent's check is
 * off (a host without a kubelet), or the agent predates the check (taken at its word, as for
 * config_sha256; the rollout's bundle check makes sure the new agent is the one answering).
 */
export function nodeFromHealth(health: unknown): NodeSeen | null {
  const n = (health as { node?: unknown } | null)?.node as Record<string, unknown> | undefined;
  if (typeof n !== "object" || n === null || n.check_enabled === false) return null;
  const str = (v: unknown) => (typeof v === "string" ? v : null);
  const bool = (v: unknown) => (typeof v === "boolean" ? v : null);
  return {
    name: str(n.name) ?? "", ready: bool(n.ready), status: str(n.status), reason: str(n.reason), message: str(n.message),
    kubeletVersion: str(n.kubelet_version), kubeletHealthy: bool(n.kubelet_healthy), kubeletHealthzError: str(n.kubelet_healthz_error),
    checkedAt: str(n.checked_at), error: str(n.error),
  };
}

/** Why the Node does not count as Ready, in the kubelet's words ("" when it does). */
export function nodeNotReady(n: NodeSeen): string {
  if (n.ready === false) {
    const reason = n.reason ?? `Ready=${n.status ?? "False"}`;
    return n.message ? `${reason}: ${n.message}` : reason;
  }
  if (n.ready === null) return n.error ?? (n.checkedAt ? "its Ready condition is unknown" : "the agent has not checked it yet");
  // Ready in the API but the kubelet's healthz fails: the kubelet died, and the API has not
  // noticed yet (the Node turns Unknown only after the node monitor's grace period).
  if (n.kubeletHealthy === false) return `the kubelet's healthz fails: ${n.kubeletHealthzError ?? "no detail"}`;
  return "";
}

// Between the outputs of the observe script's commands; never in what they print.
const SEP = "::k3s-daas-observe::";

/** One SSH round trip that reads everything refresh compares. */
async function observe(p: HostStateInputs, run: Run) {
  const script = [
    `systemctl is-active k3s-daas-agent.service 2>/dev/null || true`,
    `echo ${SEP}; sha256sum ${AGENT_DIR}/agent.js 2>/dev/null | cut -d' ' -f1 || true`,
    `echo ${SEP}; ${NODE} -e 'fetch("http://127.0.0.1:${p.agentPort}/health").then(r=>r.text()).then(t=>process.stdout.write(t),()=>{})' 2>/dev/null || true`,
    `echo ${SEP}; systemctl is-active k3s-agent.service 2>/dev/null || true`,
    `echo ${SEP}; /usr/local/bin/k3s --version 2>/dev/null | head -n 1 || true`,
    `echo ${SEP}; sha256sum ${CONTAINERD_CONFIG} 2>/dev/null | cut -d' ' -f1 || true`,
  ].join("; ");
  const r = await run(script);
  const [active = "", sha = "", health = "", k3sActive = "", k3sVersionLine = "", containerdSha = ""] = r.stdout.split(SEP).map((s) => s.trim());
  const hostK3sVersion = /^k3s version (\S+)/.exec(k3sVersionLine)?.[1] ?? "";
  let registered = false;
  let runningConfigSha256: string | null = null;
  let runningBundleSha256: string | null = null;
  let runningNodeVersion: string | null = null;
  let node: NodeSeen | null = null;
  try {
    const h = JSON.parse(health) as { registered?: unknown; config_sha256?: unknown; bundle_sha256?: unknown; node_version?: unknown };
    node = nodeFromHealth(h);
    registered = h.registered === true;
    if (typeof h.config_sha256 === "string") runningConfigSha256 = h.config_sha256;
    if (typeof h.bundle_sha256 === "string") runningBundleSha256 = h.bundle_sha256;
    if (typeof h.node_version === "string") runningNodeVersion = h.node_version;
  } catch {
    /* agent not answering yet */
  }
  return { agentActive: active === "active", hostBundleSha256: sha, health, registered, runningConfigSha256, runningBundleSha256, runningNodeVersion, node, k3sActive: k3sActive === "active", hostK3sVersion, hostContainerdConfigSha256: containerdSha };
}

type Observed = Awaited<ReturnType<typeof observe>>;

/** What keeps the worker from counting as back in service, or "" when it is. */
function notHealthy(p: HostStateInputs, o: Observed): string {
  if (!o.agentActive) return "the agent service is not active";
  if (!o.registered) return "the agent is not registered";
  // The agent says which config file it runs (a renewed seal token is applied by a reload; an
  // older agent says nothing and is taken at its word).
  if (o.runningConfigSha256 !== null && o.runningConfigSha256 !== p.configSha256) {
    return `the agent runs config ${o.runningConfigSha256.slice(0, 12)}, not the one written (${p.configSha256.slice(0, 12)})`;
  }
  if (o.runningBundleSha256 !== null && o.runningBundleSha256 !== p.bundleSha256) {
    return `the agent runs bundle ${o.runningBundleSha256.slice(0, 12)}, not the one deployed (${p.bundleSha256.slice(0, 12)})`;
  }
  if (p.nodeVersion && o.runningNodeVersion !== null && o.runningNodeVersion !== `v${p.nodeVersion}`) {
    return `the agent runs on Node ${o.runningNodeVersion}, not the one installed (v${p.nodeVersion})`;
  }
  if (!o.k3sActive) return "k3s-agent.service is not active";
  if (p.k3sVersion && o.hostK3sVersion !== p.k3sVersion) return `k3s reports ${o.hostK3sVersion || "no version"}, expected ${p.k3sVersion}`;
  if (containerdConfigDrifted(p, o.hostContainerdConfigSha256)) return `${CONTAINERD_CONFIG} is not the one written for k3s (sha256 ${o.hostContainerdConfigSha256.slice(0, 12) || "none"})`;
  return "";
}

function outputs(p: HostStateInputs, o: Observed): HostStateOutputs {
  const { runningConfigSha256: _inHealth, runningBundleSha256: _alsoInHealth, runningNodeVersion: _andThis, node: _andTheNode, ...seen } = o;
  return { ...p, ...seen };
}

async function waitRegistered(p: HostStateInputs): Promise<HostStateOutputs> {
  return withSsh(p, (run) => waitHealthy(p, run));
}

/**
 * Polls the host (through `run`, a root shell on it) until the agent is healthy and its Node
 * Ready, or healthTimeoutSeconds pass: then fails naming what is missing; for the Node, in the
 * kubelet's words (its Ready condition's reason and message), with the k3s agent's last log
 * lines (the kubelet logs there).
 */
export async function waitHealthy(p: HostStateInputs, run: Run, pollMs = 1000): Promise<HostStateOutputs> {
  const deadline = Date.now() + p.healthTimeoutSeconds * 1000;
  for (;;) {
    const o = await observe(p, run);
    const why = notHealthy(p, o);
    // The Node is looked at once the agent is healthy: its reason is the one that matters then.
    const nodeWhy = why || !o.node ? "" : nodeNotReady(o.node);
    if (!why && !nodeWhy) {
      // Healthy on what this rollout asked for: record it, so a later gate knows it finished.
      await run(`printf '%s' ${p.rolloutDigest} > ${ROLLOUT_MARKER}.new && mv -f ${ROLLOUT_MARKER}.new ${ROLLOUT_MARKER}`);
      return outputs(p, o);
    }
    if (Date.now() > deadline) {
      if (nodeWhy) {
        const n = o.node!;
        const journal = await run("journalctl -u k3s-agent.service -n 25 --no-pager -o cat 2>/dev/null || true");
        throw new Error(
          `worker ${p.nodeId}: the Kubernetes node${n.name && n.name !== p.nodeId ? ` ${n.name}` : ""} is not Ready: ${nodeWhy} ` +
            `(waited ${p.healthTimeoutSeconds}s${n.kubeletVersion ? `; kubelet ${n.kubeletVersion}` : ""})\n` +
            `last k3s agent log lines:\n${journal.stdout}`,
        );
      }
      const journal = await run("journalctl -u k3s-daas-agent.service -n 25 --no-pager -o cat 2>/dev/null || true");
      throw new Error(
        `worker ${p.nodeId} did not come back healthy within ${p.healthTimeoutSeconds}s: ${why} ` +
          `(/health: ${o.health || "no answer"})\n` +
          `last agent log lines:\n${journal.stdout}`,
      );
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}


/** Whether the host's config.toml (its sha256, "" for none) is not the one written; never with docker. */
function containerdConfigDrifted(p: Pick<HostStateInputs, "containerdConfig">, hostSha: string): boolean {
  return p.containerdConfig !== "" && hostSha !== createHash("sha256").update(p.containerdConfig).digest("hex");
}

/**
 * Puts the config.toml written for k3s back on the host (configure-containerd.sh --config-only:
 * written, containerd restarted on it, the previous file back if containerd does not start).
 */
export async function putBackContainerdConfig(p: Pick<HostStateInputs, "nodeId" | "containerdConfig">, run: Run): Promise<void> {
  const r = await run(repairContainerdConfig(), `config ${Buffer.from(p.containerdConfig, "utf8").toString("base64")}\n`);
  if (r.code !== 0) throw new Error(`putting containerd's config.toml back on ${p.nodeId} failed: ${r.stderr.trim() || r.stdout.trim()}`);
}

/** The teardown, in order; each step tolerates what is already gone. */
function teardownScript(p: HostStateInputs): string {
  return [
    "set -u",
    // SIGTERM: the agent deregisters from the control plane before it exits.
    "systemctl disable --now k3s-daas-agent.service >/dev/null 2>&1 || true",
    "if [ -x /usr/local/bin/k3s-agent-uninstall.sh ]; then /usr/local/bin/k3s-agent-uninstall.sh >/dev/null; fi",
    `rm -f ${AGENT_UNIT}`,
    // containerd's original config.toml back, our registry files and imported images gone.
    restoreContainerRuntime(p.containerPackage === "docker.io" ? "docker" : "containerd"),
    // /etc/rancher/node: the k3s node password we wrote (the worker keeps it in the state).
    `rm -rf ${AGENT_DIR} /etc/k3s-daas /var/lib/k3s-daas /etc/rancher/node`,
    "systemctl daemon-reload",
    p.removeContainerd
      ? `systemctl disable --now containerd >/dev/null 2>&1 || true; DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq ${p.containerPackage} >/dev/null 2>&1 || true; rm -f /etc/apt/sources.list.d/k3s-daas.list`
      : "true",
    // Prove it: nothing of ours may be left.
    `for f in /usr/local/bin/k3s /usr/local/bin/k3s-agent-uninstall.sh /etc/systemd/system/k3s-agent.service ${AGENT_UNIT} ${AGENT_DIR} /etc/rancher/node/password ${CONTAINERD_CONFIG}.k3s-daas-orig; do [ -e "$f" ] && echo "left behind: $f"; done; true`,
  ].join("\n");
}

export const hostStateProvider = {
  async check(_olds: unknown, news: unknown) {
    return checkInputs(hostInputsSchema, news);
  },

  async diff(_id: string, olds: HostStateOutputs, news: HostStateInputs) {
    const replaces = (["host", "port", "nodeId"] as const).filter((k) => olds[k] !== news[k]);
    const changed = (Object.keys(userInputs(news)) as (keyof HostStateInputs)[]).filter((k) => olds[k] !== news[k]);
    // Drift seen by refresh (agent stopped, bundle changed by hand) makes the next `up` update.
    const drifted =
      olds.agentActive === false ||
      (olds.hostBundleSha256 !== "" && olds.hostBundleSha256 !== news.bundleSha256) ||
      // A k3s binary replaced on the host by hand (or an older state without the field).
      (news.k3sVersion !== "" && olds.hostK3sVersion !== undefined && olds.hostK3sVersion !== "" && olds.hostK3sVersion !== news.k3sVersion) ||
      // containerd's config.toml edited (or removed) on the host by hand; an older state has no field.
      (olds.hostContainerdConfigSha256 !== undefined && containerdConfigDrifted(news, olds.hostContainerdConfigSha256));
    // A worker moved to a new host (same node id): installed and healthy there first, the old
    // host torn down after; only a new node id goes the other way round.
    return { changes: changed.length > 0 || drifted, replaces: [...replaces], deleteBeforeReplace: replaces.includes("nodeId") };
  },

  async create(inputs: HostStateInputs) {
    // On a moved worker's new host the gate has taken a slot, as for an update.
    const outs = await finishingRollout(inputs, () => waitRegistered(inputs));
    return { id: `${inputs.nodeId}@${inputs.host}`, outs };
  },

  async read(id: string, props: HostStateOutputs) {
    try {
      const o = await withSsh({ ...props, connectRetries: 2 }, (run) => observe(props, run));
      return { id, props: outputs(props, o) };
    } catch (err) {
      if (err instanceof UnreachableHostError) {
        return { id, props: { ...props, agentActive: false, registered: false, k3sActive: false, health: "host unreachable" } };
      }
      throw err;
    }
  },

  async update(_id: string, olds: HostStateOutputs, news: HostStateInputs) {
    // The worker's rolled steps (k3s, bundle, Node, config) ran after its RolloutGate took a slot.
    return { outs: await finishingRollout(news, () => repairAndWait(olds, news)) };
  },

  async delete(_id: string, props: HostStateOutputs) {
    return teardown(props);
  },
};

/**
 * Wait for the worker (`healthy`), then give its rollout slot back; if it does not come back,
 * stop the rollout, so the workers still waiting for a slot are left untouched.
 */
export async function finishingRollout(p: HostStateInputs, healthy: () => Promise<HostStateOutputs>): Promise<HostStateOutputs> {
  try {
    const outs = await healthy();
    releaseSlot(p.rolloutFleet, p.nodeId, p.maxUnavailable);
    return outs;
  } catch (err) {
    if (holdsSlot(p.rolloutFleet, p.nodeId)) failRollout(p.rolloutFleet, p.nodeId, err instanceof Error ? err.message : String(err));
    throw err;
  }
}

async function repairAndWait(olds: HostStateOutputs, news: HostStateInputs): Promise<HostStateOutputs> {
    // A new bundle or config: the agent-service command has restarted the agent already. Drift
    // seen by refresh (the agent stopped on the host): start it again. Then wait for it.
    // A bundle changed on the host by hand: put ours back.
    await withSsh(news, async (run) => {
      const seen = await observe(news, run);
      let restart = olds.agentActive === false || !seen.agentActive;
      if (seen.hostBundleSha256 !== news.bundleSha256) {
        const bundle = require("node:fs").readFileSync(news.bundlePath, "utf8") as string;
        const put = await run(`cat > ${AGENT_DIR}/agent.js.new && mv -f ${AGENT_DIR}/agent.js.new ${AGENT_DIR}/agent.js`, bundle);
        if (put.code !== 0) throw new Error(`restoring the agent bundle on ${news.nodeId} failed: ${put.stderr}`);
        restart = true;
      }
      if (restart) await run("systemctl restart k3s-daas-agent.service");
      // containerd's config.toml changed by hand: ours back (containerd restarted on it).
      if (containerdConfigDrifted(news, seen.hostContainerdConfigSha256)) await putBackContainerdConfig(news, run);
    });
    return waitRegistered(news);
}

async function teardown(props: HostStateOutputs): Promise<void> {
    try {
      const r = await withSsh(props, (run) => run(teardownScript(props)));
      if (r.stdout.includes("left behind:")) {
        throw new Error(`teardown of ${props.nodeId} left files behind:\n${r.stdout}`);
      }
    } catch (err) {
      if (err instanceof UnreachableHostError && props.allowUnreachableHost) {
        // The stake must not be trapped by a dead host: skip, say what was skipped, go on.
        process.stderr.write(
          `warning: skipped the host teardown of ${props.nodeId} (${props.host}): unreachable; ` +
            `k3s, containerd and the agent may still be installed there. Its seal token is revoked and its stake withdrawn next.\n`,
        );
        return;
      }
      if (err instanceof UnreachableHostError) {
        throw new Error(`${err.message}. Set allowUnreachableHost: true to skip the host steps and still revoke and withdraw.`);
      }
      throw err;
    }
}
