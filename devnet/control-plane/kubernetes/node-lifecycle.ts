// What the Nautilus control plane does with the Nodes of staked workers, from the chain's facts:
// - the stake gate: only a worker the control plane registered (after verifying it on chain), and
//   whose stake has not since been seen slashed or withdrawn, gets kubelet certificates, and only
//   its Node's kubelet identity (system:node:<id>) may speak through the supervisor;
// - a lost stake: the Node is cordoned, tainted node.kubernetes.io/out-of-service=nodeshutdown:
//   NoExecute, and its pods are deleted at once (not after the 5-minute eviction timeout);
// - a deregistration: the Node is deleted (and its pods), its node password forgotten;
// - an admitted Node's node.cloudprovider.kubernetes.io/uninitialized taint (the kubelet runs with
//   --cloud-provider=external, as under k3s) is removed, which is what k3s's embedded cloud
//   controller does and which no other component here would do;
// - its addresses: with --cloud-provider=external the kubelet never changes addresses once set
//   (the cloud controller owns them), and k3s's embedded one sets InternalIP from the address the
//   agent reports (its k3s.io/internal-ip annotation). Here the agent's report is the k3s-Node-IP of
//   its serving-certificate request: a worker moved to a new host under the same name is then
//   reached (kubectl logs, exec) at the new host, not the old one.
//
// The chain is polled (StakeReader.readStake, every pollMs, default 1 s) for the registered
// workers, rather than one ChainWatch per worker: ChainWatch watches one worker's stake, seal
// token and registry and needs the seal token id, which the worker record does not keep; one loop
// over a handful of stakes is simpler, works on JSON-RPC (no push) as well, and bounds the delay
// of a slash to about a second. The certificate endpoints re-read the stake on every request.
import type { CpContext } from "../state";
import type { KubeApi } from "./api";
import type { NodePasswords } from "./node-passwords";

export const OUT_OF_SERVICE_TAINT = { key: "node.kubernetes.io/out-of-service", value: "nodeshutdown", effect: "NoExecute" } as const;
export const UNINITIALIZED_TAINT_KEY = "node.cloudprovider.kubernetes.io/uninitialized";
/** Set on a Node we fenced; its value says why and whether the Node was cordoned before. */
export const FENCED_ANNOTATION = "k3s-daas.io/fenced";

export function stakeGateMessage(node: string): string {
  return `node ${node} has no verified stake registration with the control plane`;
}

interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

export class NodeLifecycle {
  /** Registrations seen, to notice new ones (registered_at changes) and deregistrations. */
  private readonly seen = new Map<string, { registeredAt: string; pubkey: string }>();
  /** Node id -> why its stake no longer admits it, and the registration that lost it. */
  private readonly revoked = new Map<string, { reason: string; registeredAt: string }>();
  /** Deregistered node ids whose Node is still to be deleted. */
  private readonly leaving = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  /** Node name -> the IPs its agent last reported (k3s-Node-IP). */
  private readonly nodeIps = new Map<string, readonly string[]>();
  private running = false;
  private current: Promise<void> | null = null;
  private lastError = "";

  constructor(private readonly o: {
    ctx: CpContext;
    api: KubeApi;
    passwords: NodePasswords;
    pollMs: number;
  }) {}

  start(): void {
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.current;
  }

  /** Synchronous gate for proxied kubelet requests: registered, and no lost stake seen since. */
  admitted(node: string): boolean {
    const w = this.o.ctx.workers.get(node);
    return w !== undefined && !this.isRevoked(w);
  }

  /** A lost stake counts against the registration it was seen under, not a newer one. */
  private isRevoked(w: { node_id: string; registered_at: string }): boolean {
    return this.revoked.get(w.node_id)?.registeredAt === w.registered_at;
  }

  /**
   * The certificate endpoints' gate: admitted, and the stake active on chain right now. Null
   * when the node may have certificates, else the refusal. A failed chain read throws.
   */
  noteNodeIps(node: string, ips: readonly string[]): void {
    this.nodeIps.set(node, [...ips]);
  }

  async stakeRefusal(node: string): Promise<string | null> {
    const w = this.o.ctx.workers.get(node);
    if (!w) return stakeGateMessage(node);
    // From the first certificate on, the registration is followed (its deregistration deletes
    // the Node), even if it comes and goes between two passes of the loop.
    this.track(w);
    if (this.isRevoked(w)) return stakeGateMessage(node);
    const stake = await this.o.ctx.chain.readStake(w.stake_object_id);
    const lost = stakeLoss(node, stake);
    if (lost) {
      this.revoke(node, lost, w.registered_at);
      return stakeGateMessage(node);
    }
    return null;
  }

  /** Notes a registration; a new one (registered_at changed) is admitted afresh. */
  private track(w: { node_id: string; registered_at: string; worker_pubkey: string }): void {
    const prev = this.seen.get(w.node_id);
    if (prev && prev.registeredAt === w.registered_at) return;
    // A new registration (the register handler verified an active stake): admitted again. A
    // new worker key means a moved host, whose k3s agent has a new node password.
    if (prev && prev.pubkey !== w.worker_pubkey) this.o.passwords.forget(w.node_id);
    this.revoked.delete(w.node_id);
    this.leaving.delete(w.node_id);
    this.seen.set(w.node_id, { registeredAt: w.registered_at, pubkey: w.worker_pubkey });
  }

  /** One pass of the loop (every pollMs): registrations, stakes, then the cluster. */
  async tick(): Promise<void> {
    const { ctx } = this.o;
    const workers = [...ctx.workers.values()];
    for (const w of workers) this.track(w);
    for (const id of [...this.seen.keys()]) {
      if (ctx.workers.has(id)) continue;
      this.seen.delete(id);
      this.revoked.delete(id);
      this.leaving.add(id);
      this.o.passwords.forget(id);
      ctx.log("worker deregistered: deleting its Node", { node_id: id });
    }
    const reads = await Promise.allSettled(workers.filter((w) => !this.isRevoked(w)).map(async (w) => {
      const lost = stakeLoss(w.node_id, await ctx.chain.readStake(w.stake_object_id));
      if (lost) this.revoke(w.node_id, lost, w.registered_at);
    }));
    for (const r of reads) if (r.status === "rejected") this.noteError(`chain read failed: ${(r.reason as Error).message}`);
    await this.reconcileCluster();
  }

  private revoke(node: string, reason: string, registeredAt: string): void {
    // A read started before a re-registration must not revoke the new one.
    const w = this.o.ctx.workers.get(node);
    if (w?.registered_at !== registeredAt || this.isRevoked(w)) return;
    this.revoked.set(node, { reason, registeredAt });
    this.o.ctx.log("worker stake lost: fencing its Node", { node_id: node, reason });
  }

  private async reconcileCluster(): Promise<void> {
    const { api } = this.o;
    const list = await api.request("GET", "/api/v1/nodes");
    if (list.status !== 200) return this.noteError(`listing nodes: HTTP ${list.status}`);
    const nodes = new Map<string, any>((list.body.items as any[]).map((n) => [n.metadata.name as string, n]));
    for (const id of [...this.leaving]) {
      try {
        if (nodes.has(id)) await api.expect("DELETE", `/api/v1/nodes/${id}`, [200, 202, 404]);
        await this.deletePods(id);
        this.leaving.delete(id);
      } catch (err) {
        this.noteError((err as Error).message);
      }
    }
    for (const [id, { reason }] of this.revoked) {
      try {
        const node = nodes.get(id);
        if (node) await this.fence(node, reason);
        await this.deletePods(id);
      } catch (err) {
        this.noteError((err as Error).message);
      }
    }
    for (const [id, node] of nodes) {
      if (!this.admitted(id)) continue;
      try {
        await this.admit(node);
        await this.setAddresses(node);
      } catch (err) {
        this.noteError((err as Error).message);
      }
    }
  }

  /** Cordon and taint out-of-service (NoExecute), recording that we did. */
  private async fence(node: any, reason: string): Promise<void> {
    const taints: Taint[] = node.spec?.taints ?? [];
    const tainted = taints.some((t) => t.key === OUT_OF_SERVICE_TAINT.key && t.effect === OUT_OF_SERVICE_TAINT.effect);
    if (node.spec?.unschedulable === true && tainted && node.metadata.annotations?.[FENCED_ANNOTATION]) return;
    const wasUnschedulable = node.spec?.unschedulable === true;
    const prior = node.metadata.annotations?.[FENCED_ANNOTATION];
    await this.patchNode(node, {
      metadata: { annotations: { [FENCED_ANNOTATION]: prior ?? JSON.stringify({ reason, wasUnschedulable }) } },
      spec: {
        unschedulable: true,
        taints: [...taints.filter((t) => t.key !== OUT_OF_SERVICE_TAINT.key), { ...OUT_OF_SERVICE_TAINT, timeAdded: new Date().toISOString().replace(/\.\d+Z$/, "Z") }],
      },
    });
    this.o.ctx.log("node cordoned and tainted out-of-service", { node: node.metadata.name, reason });
  }

  /** An admitted Node: undo our fencing (re-registered with a good stake), initialize it. */
  private async admit(node: any): Promise<void> {
    const taints: Taint[] = node.spec?.taints ?? [];
    const fenced = node.metadata.annotations?.[FENCED_ANNOTATION] as string | undefined;
    const uninitialized = taints.some((t) => t.key === UNINITIALIZED_TAINT_KEY);
    if (!fenced && !uninitialized) return;
    let wasUnschedulable = false;
    try {
      wasUnschedulable = fenced ? (JSON.parse(fenced) as { wasUnschedulable?: boolean }).wasUnschedulable === true : false;
    } catch { /* not ours to parse: leave it cordoned */ wasUnschedulable = true; }
    const drop = (t: Taint) => t.key === UNINITIALIZED_TAINT_KEY || (fenced !== undefined && t.key === OUT_OF_SERVICE_TAINT.key);
    await this.patchNode(node, {
      metadata: fenced ? { annotations: { [FENCED_ANNOTATION]: null } } : {},
      spec: {
        taints: taints.filter((t) => !drop(t)),
        ...(fenced ? { unschedulable: wasUnschedulable } : {}),
      },
    });
    this.o.ctx.log(fenced ? "node readmitted (stake verified again)" : "node initialized", { node: node.metadata.name });
  }

  /** InternalIP as the agent last reported it, and the Hostname, as k3s's cloud controller sets them. */
  private async setAddresses(node: any): Promise<void> {
    const ips = this.nodeIps.get(node.metadata.name);
    if (!ips) return;
    const want = [...ips.map((address) => ({ type: "InternalIP", address })), { type: "Hostname", address: node.metadata.name as string }];
    const have = (node.status?.addresses ?? []) as { type: string; address: string }[];
    if (JSON.stringify(have) === JSON.stringify(want)) return;
    // A merge patch replaces the list; the status subresource, as a cloud controller writes it.
    await this.o.api.expect("PATCH", `/api/v1/nodes/${node.metadata.name}/status`, [200], { status: { addresses: want } }, "application/merge-patch+json");
    this.o.ctx.log("node addresses set from its agent's report", { node: node.metadata.name, addresses: ips });
  }

  /** A JSON merge patch guarded by the resourceVersion read: a concurrent change is a conflict. */
  private async patchNode(node: any, patch: { metadata: Record<string, unknown>; spec: Record<string, unknown> }): Promise<void> {
    patch.metadata.resourceVersion = node.metadata.resourceVersion;
    await this.o.api.expect("PATCH", `/api/v1/nodes/${node.metadata.name}`, [200], patch, "application/merge-patch+json");
  }

  /** Force-deletes (grace 0) every pod bound to the node: the node is not to run them any more. */
  private async deletePods(node: string): Promise<void> {
    const { api } = this.o;
    const sel = encodeURIComponent(`spec.nodeName=${node}`);
    const pods = await api.expect("GET", `/api/v1/pods?fieldSelector=${sel}`, [200]);
    for (const p of pods.body.items as any[]) {
      const { namespace, name } = p.metadata as { namespace: string; name: string };
      await api.expect("DELETE", `/api/v1/namespaces/${namespace}/pods/${name}`, [200, 202, 404], { apiVersion: "v1", kind: "DeleteOptions", gracePeriodSeconds: 0 });
      this.o.ctx.log("pod deleted from a node without stake", { node, pod: `${namespace}/${name}` });
    }
  }

  private noteError(msg: string): void {
    // Once per distinct error: the loop retries every second.
    if (msg === this.lastError) return;
    this.lastError = msg;
    this.o.ctx.log("node lifecycle: will retry", { err: msg });
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.current = this.tick().catch((err: unknown) => this.noteError((err as Error).message)).finally(() => {
        this.current = null;
        this.schedule(this.o.pollMs);
      });
    }, ms);
  }
}

/** Why this stake does not admit `node`, or null when it is active and the node's. */
function stakeLoss(node: string, stake: { nodeId: string; status: string } | null): string | null {
  if (!stake) return "stake not found on chain";
  if (stake.nodeId !== node) return "stake names another node";
  return stake.status === "active" ? null : `stake ${stake.status}`;
}
