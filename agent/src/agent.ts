// The node agent's lifecycle: verify stake and seal token on chain, start the k3s agent,
// register with the control plane, heartbeat, watch the stake, and stop the node at once when
// the stake is slashed or withdrawn. The HTTP API reads `status` and calls register/unstake.
import { sealTokenExpired, type StakeReader, type StakeStatus, type StakeView } from "./chain";
import type { AgentConfig } from "./config";
import { ControlPlaneClient, ControlPlaneError, type ControlPlaneTarget } from "./cp-client";
import type { WorkerIdentity } from "./identity";
import type { K3sService } from "./k3s-service";
import type { Logger } from "./log";
import { Loop } from "./loop";
import { ChainWatch, withTimeout, type ChainView } from "./chain-watch";
import { DurationHistogram, ROUND_TRIP_BUCKETS } from "./histogram";
import {
  PATH_DEREGISTER, PATH_HEARTBEAT, PATH_REGISTER, SUPERSEDED,
  type DeregisterRequest, type HeartbeatRequest, type RegisterRequest, type ResourceUsage,
} from "./protocol";
import type { ContainerRuntime } from "./runtime";
import type { Telemetry } from "./telemetry";
import { StakeCheckError, verifyStakeAndToken } from "./verify-stake";
import { AGENT_VERSION } from "./version";
import { StakeQuorum, type ConfirmSource, type StakeTally } from "./stake-quorum";

export type { ConfirmSource, StakeTally } from "./stake-quorum";

export type Phase = "starting" | "blocked" | "running" | "stopped" | "shutting-down";

export interface AgentStatus {
  phase: Phase;
  /** Why the node is blocked or stopped (stake slashed, unstake requested, ...). */
  reason: string | null;
  registered: boolean;
  stake: { status: StakeStatus | "missing" | "unknown"; amountMist: bigint | null; lockedUntilEpoch: bigint | null; checkedAt: number | null };
  /** `checkedAt`: when the chain last said whether the token exists (null: not read yet). */
  sealToken: { present: boolean; expiresAtEpoch: bigint | null; checkedAt: number | null };
  lastHeartbeatAt: number | null;
  lastHeartbeatError: string | null;
  consecutiveFailures: number;
  /** k3s restarts after `heartbeat.restartAfterFailures` failed beats in a row. */
  k3sRestarts: number;
  /** Times a heartbeat found the k3s agent not running and started it again. */
  k3sRecoveries: number;
  /** k3s restarts because the Node was missing from the API server under a running kubelet. */
  nodeMissingRestarts: number;
  lastK3sRestart: { at: number; reason: string } | null;
  containersStopped: number | null;
  startedAt: number;
  /** sha256 of the config file text the agent runs with (null when not started from a file). */
  configSha256: string | null;
  /** sha256 of the bundle file the process started from (null when not known). */
  bundleSha256: string | null;
}

export interface AgentDeps {
  cfg: AgentConfig;
  log: Logger;
  chain: StakeReader;
  identity: WorkerIdentity;
  k3s: K3sService;
  runtime: ContainerRuntime;
  /** Runtime figures sampled on their own loop; heartbeats and the API read its last sample. */
  telemetry: Telemetry;
  /** Whether a SIGTERM is the worker leaving (deregister) or a restart (leaving.ts). */
  stopIsLeaving: () => Promise<boolean>;
  /**
   * Independent RPC nodes (sui.confirmSources) that must agree, with `chain`, before a stake that
   * reads as not active stops k3s (quorum: sui.confirmQuorum). Default none.
   */
  confirmSources?: readonly ConfirmSource[];
}

export class Agent {
  readonly status: AgentStatus = {
    phase: "starting",
    reason: null,
    registered: false,
    stake: { status: "unknown", amountMist: null, lockedUntilEpoch: null, checkedAt: null },
    sealToken: { present: false, expiresAtEpoch: null, checkedAt: null },
    lastHeartbeatAt: null,
    lastHeartbeatError: null,
    consecutiveFailures: 0,
    k3sRestarts: 0,
    k3sRecoveries: 0,
    nodeMissingRestarts: 0,
    lastK3sRestart: null,
    containersStopped: null,
    startedAt: Date.now(),
    configSha256: null,
    bundleSha256: null,
  };
  /** Round trips of every control-plane request, by path and outcome (/metrics). */
  readonly cpRoundTrips = new DurationHistogram(ROUND_TRIP_BUCKETS);
  private readonly cp: ControlPlaneClient;
  private readonly startup: Loop;
  private readonly heartbeat: Loop;
  private readonly crossChecks: Loop;
  private readonly quorum: StakeQuorum;
  readonly chainWatch: ChainWatch;
  private stopping: Promise<void> | undefined;

  constructor(private readonly d: AgentDeps) {
    const hb = d.cfg.heartbeat;
    this.cp = new ControlPlaneClient(d.cfg.nodeId, d.identity, d.cfg.controlPlane.requestTimeoutMs,
      (path, outcome, seconds) => this.cpRoundTrips.observe({ path, outcome }, seconds));
    const onError = (what: string) => (err: unknown) => d.log.error(`${what} failed unexpectedly`, { err });
    this.startup = new Loop({ ...hb, run: () => this.startOnce(), onError: onError("start-up") });
    this.heartbeat = new Loop({ ...hb, run: () => this.beat(), onError: onError("heartbeat") });
    this.quorum = new StakeQuorum({
      main: d.chain, confirm: d.confirmSources ?? [], stakeId: d.cfg.stakeId, nodeId: d.cfg.nodeId,
      quorum: d.cfg.sui.confirmQuorum, timeoutMs: d.cfg.sui.requestTimeoutMs, log: d.log,
    });
    this.crossChecks = new Loop({ ...hb, intervalMs: hb.stakeRereadIntervalMs, run: () => this.crossCheck(), onError: onError("stake cross-check") });
    this.chainWatch = new ChainWatch({
      reader: d.chain,
      ids: { stakeId: d.cfg.stakeId, sealTokenId: d.cfg.sealTokenId, registryId: d.cfg.sui.registryId },
      log: d.log,
      pollIntervalMs: hb.stakeWatchIntervalMs,
      rereadIntervalMs: hb.stakeRereadIntervalMs,
      readTimeoutMs: d.cfg.sui.requestTimeoutMs,
      onView: (v) => this.onChainView(v),
    });
  }

  start(): void {
    this.startup.start();
  }

  private get active(): boolean {
    return this.status.phase === "starting" || this.status.phase === "blocked" || this.status.phase === "running";
  }

  // ---- start-up -------------------------------------------------------------------------

  /** One start-up attempt; the loop retries with backoff until it succeeds or is terminal. */
  private async startOnce(): Promise<boolean> {
    if (!this.active) return true;
    const { cfg, log } = this.d;
    try {
      const { stake, token } = await withTimeout(verifyStakeAndToken(cfg, this.d.chain, this.d.identity.publicKey), cfg.sui.requestTimeoutMs, "start-up chain check");
      this.noteStake(stake.status, stake.amountMist, stake.lockedUntilEpoch);
      this.status.sealToken = { present: true, expiresAtEpoch: token.expiresAtEpoch, checkedAt: Date.now() };
    } catch (err) {
      if (err instanceof StakeCheckError && err.terminal && this.active) {
        // Slashed or withdrawn. k3s outlives an agent restart, so it may be running from before
        // this agent started: stop it and its containers, as the running node's watch would,
        // once a second read agrees. Unconfirmed, this stays a retried start-up.
        log.warn("stake is not active; node will not start", { err });
        const confirmed = await this.confirmInactive(err.message);
        if (confirmed) {
          this.noteStake(confirmed.status, confirmed.amountMist, confirmed.lockedUntilEpoch);
          await this.enforceStop(`stake ${confirmed.status} on chain`);
          return true; // stop retrying (a true result ends the backoff)
        }
      }
      if (!this.active) return true;
      this.status.phase = "blocked";
      this.status.reason = (err as Error).message;
      log.warn("start-up check failed; will retry", { err });
      // Blocked (token revoked or expired, key mismatch, RPC down) with k3s perhaps still running
      // from before a restart: keep watching the stake, so a slash stops k3s at once. A failed
      // read never produces a view, so an outage alone stops nothing.
      this.startWatching();
      return false;
    }
    // Shutdown or unstake may have come while we read the chain: do not start anything then.
    if (!this.active) return true;
    log.info("stake and seal token verified on chain", { stakeStatus: this.status.stake.status });
    await this.startK3s();
    if (!this.active) {
      // Stopped meanwhile (the watch confirmed a slash): the k3s just started must not stay up.
      // Shutdown releases the k3s child once this attempt settles.
      if (this.status.phase === "stopped") await this.stopWorkloads();
      return true;
    }
    this.status.phase = "running";
    this.status.reason = null;
    void this.startup.stop();
    this.startWatching();
    // The first beat registers (and retries registration with backoff while it fails).
    this.heartbeat.start();
    return true;
  }

  /** Start k3s; whether it started. */
  private async startK3s(): Promise<boolean> {
    try {
      await this.d.k3s.start();
      this.d.log.info("k3s agent started", { manager: this.d.k3s.kind });
      void this.d.telemetry.refresh().catch(() => {}); // /readyz sees k3s now, not at the next sample
      return true;
    } catch (err) {
      // Not fatal: supervision in the heartbeat retries, and the API must stay up to say why.
      this.d.log.error("k3s agent failed to start", { err });
      return false;
    }
  }

  // ---- chain --------------------------------------------------------------------------

  private noteStake(status: StakeStatus | "missing", amountMist: bigint | null, lockedUntilEpoch?: bigint): void {
    this.status.stake = { status, amountMist, lockedUntilEpoch: lockedUntilEpoch ?? this.status.stake.lockedUntilEpoch, checkedAt: Date.now() };
  }

  /**
   * A fresh view of stake, token and registry (pushed or re-read). A stake that reads as slashed
   * or withdrawn is read once more before anything stops: a node must not be taken down by one
   * bad answer. A read that fails or times out never reaches here, and a stake record that reads
   * as missing is a wrong answer (the Move package never deletes one), so neither stops k3s.
   */
  private async onChainView(v: ChainView): Promise<void> {
    this.status.sealToken = { present: v.sealToken !== null, expiresAtEpoch: v.sealToken?.expiresAtEpoch ?? null, checkedAt: v.readAt };
    if (v.stake && v.stake.status === "active") {
      this.noteStake("active", v.stake.amountMist, v.stake.lockedUntilEpoch);
      return;
    }
    // Whatever the phase (starting, blocked, running): k3s may be running in any of them.
    if (!this.active) return;
    if (!v.stake) {
      this.d.log.warn("the chain says the stake record does not exist; stake records are never deleted, so this answer is wrong: not stopping");
      return;
    }
    // Blocked on a misconfigured stake id: another node's stake is not ours to act on.
    if (v.stake.nodeId !== this.d.cfg.nodeId) return;
    const confirmed = await this.confirmInactive(`stake read as ${v.stake.status}`);
    if (!confirmed || !this.active) return;
    this.noteStake(confirmed.status, confirmed.amountMist, confirmed.lockedUntilEpoch);
    await this.enforceStop(`stake ${confirmed.status} on chain`);
  }

  /** Sources that must agree before a stake that reads as not active stops k3s, and how many. */
  get stakeQuorum(): { sources: number; quorum: number } {
    return this.quorum.size;
  }

  /** Times the sources disagreed about the stake (some read it not active, too few to stop). */
  get stakeDisagreements(): number {
    return this.quorum.disagreements;
  }

  /** The last tally of a stake that read as not active, for the log and tests. */
  get lastStakeTally(): StakeTally | null {
    return this.quorum.lastTally;
  }

  /**
   * A stake that read as slashed or withdrawn (`first` says how), confirmed by a quorum of the
   * RPC sources (stake-quorum.ts); null when too few agree. With one source, a second read that
   * says active is news, so the stake is noted as active.
   */
  private async confirmInactive(first: string): Promise<StakeView | null> {
    const { inactive, active } = await this.quorum.confirm(first);
    if (!inactive && active && this.quorum.size.sources === 1) this.noteStake("active", active.amountMist, active.lockedUntilEpoch);
    return inactive;
  }

  /**
   * The safety cross-check: every confirm source reads the stake, so a main RPC node that hides a
   * slash (keeps saying active) is found within stakeRereadIntervalMs; any source that reads it
   * as not active starts the quorum read above.
   */
  private async crossCheck(): Promise<boolean> {
    if (!this.active) return true;
    const first = await this.quorum.crossCheck();
    if (!first || !this.active) return true;
    const confirmed = await this.confirmInactive(first);
    if (!confirmed || !this.active) return true;
    this.noteStake(confirmed.status, confirmed.amountMist, confirmed.lockedUntilEpoch);
    await this.enforceStop(`stake ${confirmed.status} on chain`);
    return true;
  }

  /** The stake watch (main RPC node) and the cross-check of the confirm sources. */
  private startWatching(): void {
    this.chainWatch.start();
    this.crossChecks.start(this.d.cfg.heartbeat.stakeRereadIntervalMs);
  }

  private async stopWatching(): Promise<void> {
    await Promise.all([this.chainWatch.stop(), this.crossChecks.stop()]);
  }

  /** The latest chain view, read now if there is none yet. */
  private async chainView(): Promise<ChainView> {
    return this.chainWatch.view ?? (await this.chainWatch.refresh());
  }

  /** A revoked or expired token fails the beat (from the watched view: no chain read per beat). */
  private checkSealToken(v: ChainView): void {
    if (!v.sealToken) throw new Error(`seal token for node ${this.d.cfg.nodeId} no longer exists on chain (revoked?)`);
    if (sealTokenExpired(v.sealToken.expiresAtEpoch, v.epoch)) {
      throw new Error(`seal token for node ${this.d.cfg.nodeId} expired at epoch ${v.sealToken.expiresAtEpoch} (now ${v.epoch}); mint a new one`);
    }
  }

  /**
   * Slashed or withdrawn, in whatever phase (start-up, blocked, running): stop k3s and every
   * container at once (k3s may run from before an agent restart), keep serving the API.
   */
  private async enforceStop(reason: string): Promise<void> {
    if (this.status.phase === "stopped" || this.status.phase === "shutting-down") return;
    this.status.phase = "stopped";
    this.status.reason = reason;
    this.d.log.error("stopping node: " + reason, { nodeId: this.d.cfg.nodeId });
    void this.startup.stop();
    void this.heartbeat.stop();
    void this.stopWatching();
    await this.stopWorkloads();
    void this.deregister(reason);
  }

  /**
   * Another host registered this node id (the node moved): stop k3s and containers here, so one
   * node name never runs on two hosts, and stop beating. No deregistration: the node is not
   * leaving, and the control plane would refuse this key anyway. The API keeps serving.
   */
  private async stepDown(why: string): Promise<void> {
    if (this.status.phase === "stopped" || this.status.phase === "shutting-down") return;
    this.status.phase = "stopped";
    this.status.reason = `superseded: ${why}`;
    this.status.registered = false;
    this.d.log.warn("another host serves this node now: stepping down", { nodeId: this.d.cfg.nodeId, why });
    void this.heartbeat.stop();
    void this.stopWatching();
    await this.stopWorkloads();
  }

  private async stopWorkloads(): Promise<void> {
    const [k3s, containers] = await Promise.allSettled([this.d.k3s.stop(), this.d.runtime.stopAll()]);
    if (k3s.status === "rejected") this.d.log.error("could not stop the k3s agent", { err: k3s.reason });
    else this.d.log.info("k3s agent stopped");
    if (containers.status === "fulfilled") {
      this.status.containersStopped = containers.value;
      this.d.log.info("containers stopped", { count: containers.value });
    } else this.d.log.error("could not stop containers", { err: containers.reason });
    void this.d.telemetry.refresh().catch(() => {}); // the figures show the stop at once
  }

  // ---- control plane ------------------------------------------------------------------

  private async target(): Promise<ControlPlaneTarget> {
    // From the watched view: a registry change (the control plane moved or rotated its key)
    // is pushed like a stake change, so there is no read per request.
    const reg = this.status.phase === "running" ? (await this.chainView()).registry : await this.d.chain.readRegistry(this.d.cfg.sui.registryId);
    const { endpoint: pinnedEndpoint, publicKey: pinnedKey } = this.d.cfg.controlPlane;
    const endpoint = pinnedEndpoint ?? reg.endpoint;
    if (!endpoint) throw new Error("the NautilusRegistry names no control-plane endpoint");
    if (pinnedKey && reg.enclavePubkey !== pinnedKey) {
      // Either the control plane rotated its key (the stack must say so) or the RPC node lies
      // about the registry: talk to no one but the pinned key's holder either way.
      throw new Error(
        `the NautilusRegistry (as the RPC node reads it) names control-plane key ${reg.enclavePubkey || "(none)"}, but this agent is pinned to ${pinnedKey} (controlPlane.publicKey): ` +
          `not talking to it. If the control plane really rotated its key, set controlPlanePublicKey in the stack and run \`pulumi up\``,
      );
    }
    return { endpoint, enclavePubkey: pinnedKey ?? reg.enclavePubkey };
  }

  /** Register (or re-register) with the control plane. Throws on failure. */
  async register(): Promise<void> {
    const cfg = this.d.cfg;
    const body: RegisterRequest = {
      node_id: cfg.nodeId,
      seal_token_id: cfg.sealTokenId,
      stake_object_id: cfg.stakeId,
      worker_pubkey: this.d.identity.publicKey,
      timestamp: Math.floor(Date.now() / 1000),
      agent_version: AGENT_VERSION,
    };
    const t = await this.target();
    await this.cp.post(t, PATH_REGISTER, body);
    if (!this.status.registered) this.d.log.info("registered with the control plane", { endpoint: t.endpoint });
    this.status.registered = true;
  }

  async deregister(reason: string): Promise<boolean> {
    const cfg = this.d.cfg;
    const body: DeregisterRequest = {
      node_id: cfg.nodeId,
      seal_token_id: cfg.sealTokenId,
      timestamp: Math.floor(Date.now() / 1000),
      reason,
    };
    try {
      await this.cp.post(await this.target(), PATH_DEREGISTER, body);
      this.d.log.info("deregistered from the control plane", { reason });
      return true;
    } catch (err) {
      this.d.log.warn("deregistration failed", { err });
      return false;
    } finally {
      this.status.registered = false;
    }
  }

  // ---- heartbeat ----------------------------------------------------------------------

  /** The last runtime sample's figures (waits for the first sample only). */
  async sampleResources(): Promise<ResourceUsage> {
    return (await this.d.telemetry.current()).resources;
  }

  /** Running pod sandboxes at the last sample; null when the runtime could not be queried. */
  async runningPods(): Promise<number | null> {
    return (await this.d.telemetry.current()).runningPods;
  }

  private async beat(): Promise<boolean> {
    if (this.status.phase !== "running") {
      void this.heartbeat.stop();
      return true;
    }
    const { cfg, log } = this.d;
    try {
      const view = await this.chainView();
      if (this.status.stake.status !== "active") return true; // the watch is stopping the node
      this.checkSealToken(view);
      const k3sRunning = await this.d.k3s.isRunning();
      if (!k3sRunning) {
        log.warn("k3s agent is not running; starting it");
        if (await this.startK3s()) this.status.k3sRecoveries += 1;
      }
      if (!this.status.registered) await this.register();
      if (k3sRunning) await this.healMissingNode();
      const [resources, pods] = await Promise.all([this.sampleResources(), this.runningPods()]);
      const body: HeartbeatRequest = {
        node_id: cfg.nodeId,
        seal_token_id: cfg.sealTokenId,
        stake_object_id: cfg.stakeId,
        timestamp: Math.floor(Date.now() / 1000),
        stake_status: this.status.stake.status,
        stake_amount: String(this.status.stake.amountMist ?? 0n),
        running_pods: pods ?? 0,
        resource_usage: resources,
        k3s_agent_running: await this.d.k3s.isRunning(),
      };
      try {
        await this.cp.post(await this.target(), PATH_HEARTBEAT, body);
      } catch (err) {
        // A restarted control plane forgets us: register again and count the beat as sent.
        if (err instanceof ControlPlaneError && err.code === "not_registered") {
          this.status.registered = false;
          await this.register();
          await this.cp.post(await this.target(), PATH_HEARTBEAT, { ...body, timestamp: Math.floor(Date.now() / 1000) });
        } else if (err instanceof ControlPlaneError && err.code === SUPERSEDED) {
          await this.stepDown(err.message);
          return true;
        } else throw err;
      }
      if (this.status.consecutiveFailures > 0) log.info("heartbeat recovered", { after: this.status.consecutiveFailures });
      this.status.consecutiveFailures = 0;
      this.status.lastHeartbeatAt = Date.now();
      this.status.lastHeartbeatError = null;
      log.debug("heartbeat sent", { runningPods: body.running_pods });
      return true;
    } catch (err) {
      // Registering refused as superseded: another host serves this node now (a move is one-way).
      if (err instanceof ControlPlaneError && err.code === SUPERSEDED) {
        await this.stepDown(err.message);
        return true;
      }
      return this.beatFailed(err);
    }
  }

  private nodeMissingSince: number | null = null;
  private restartedForMissingNode = false;

  /**
   * The Node object gone from the API server while its kubelet runs (an admin deleted it, or the
   * control plane did when an agent of an earlier release deregistered as it restarted): the
   * kubelet registers its Node only when it starts, so the worker would stay out of the cluster
   * for good. After `k3s.nodeMissingRestartMs` of that (a kubelet joining for the first time
   * registers well within it), k3s is restarted, once per such spell: the kubelet registers the
   * Node again. Only a registered worker with an active stake gets here (beat).
   */
  private async healMissingNode(): Promise<void> {
    const node = this.d.telemetry.latest?.node;
    if (!node?.missing || node.kubeletHealthy !== true) {
      this.nodeMissingSince = null;
      this.restartedForMissingNode = false;
      return;
    }
    const now = Date.now();
    this.nodeMissingSince ??= now;
    if (this.restartedForMissingNode || now - this.nodeMissingSince < this.d.cfg.k3s.nodeMissingRestartMs) return;
    this.restartedForMissingNode = true;
    const name = this.d.cfg.k3s.nodeName ?? this.d.cfg.nodeId;
    const reason = `Node ${name} missing from the API server for ${Math.round((now - this.nodeMissingSince) / 1000)} s while its kubelet runs`;
    this.d.log.warn("restarting the k3s agent so the kubelet registers its Node again", { reason });
    try {
      await this.d.k3s.restart();
      this.status.nodeMissingRestarts += 1;
      this.status.lastK3sRestart = { at: now, reason };
      void this.d.telemetry.refresh().catch(() => {});
    } catch (e) {
      this.d.log.error("k3s agent restart failed", { err: e });
    }
  }

  private async beatFailed(err: unknown): Promise<boolean> {
    const s = this.status;
    s.consecutiveFailures += 1;
    s.lastHeartbeatError = (err as Error).message;
    const limit = this.d.cfg.heartbeat.restartAfterFailures;
    this.d.log.warn("heartbeat failed", { err, consecutiveFailures: s.consecutiveFailures, limit });
    // Once per failure streak: restarting k3s every few beats while a control plane is down
    // would only churn the node.
    if (s.consecutiveFailures === limit && this.status.phase === "running") {
      const reason = `${limit} heartbeat failures in a row (${s.lastHeartbeatError})`;
      this.d.log.warn("restarting the k3s agent", { reason });
      try {
        await this.d.k3s.restart();
        s.k3sRestarts += 1;
        s.lastK3sRestart = { at: Date.now(), reason };
      } catch (e) {
        this.d.log.error("k3s agent restart failed", { err: e });
      }
    }
    return false;
  }

  // ---- seal token renewal -------------------------------------------------------------

  /**
   * Switch to a renewed seal token without stopping anything: the new token is checked on chain
   * (this node, this stake, this worker key, not expired), then watched instead of the old one,
   * and the agent registers again with it, so the old token can be revoked under a running node.
   * A token that fails the check is refused and the old one stays in use.
   */
  async switchSealToken(next: string): Promise<void> {
    const { cfg, log } = this.d;
    if (!this.active) throw new Error(`the node is ${this.status.phase} (${this.status.reason ?? "no reason"}): not switching seal tokens`);
    const { token } = await withTimeout(
      verifyStakeAndToken({ ...cfg, sealTokenId: next }, this.d.chain, this.d.identity.publicKey),
      cfg.sui.requestTimeoutMs, "renewed seal token check",
    );
    // The config object is the agent's: register, heartbeat and deregister all read the id here.
    cfg.sealTokenId = next;
    this.status.sealToken = { present: true, expiresAtEpoch: token.expiresAtEpoch, checkedAt: Date.now() };
    log.info("switched to a renewed seal token", { expiresAtEpoch: token.expiresAtEpoch.toString() });
    // In every phase: the watch also runs while blocked, and must follow the token it runs on.
    await this.chainWatch.retarget({ stakeId: cfg.stakeId, sealTokenId: next, registryId: cfg.sui.registryId });
    if (this.status.phase !== "running") {
      this.startup.kick(); // blocked on the old token (expired?): try again with the new one
      return;
    }
    if (!this.status.registered) return; // the next beat registers, with the new token
    try {
      await this.register();
    } catch (err) {
      // The control plane still knows the node (by the old token): the next beat registers again.
      this.status.registered = false;
      log.warn("registering with the renewed seal token failed; the next heartbeat retries", { err });
      this.heartbeat.kick();
    }
  }

  // ---- operator actions ---------------------------------------------------------------

  /** Leave the cluster: stop k3s and containers, deregister. The withdraw is pulumi destroy's. */
  async unstake(): Promise<{ deregistered: boolean }> {
    if (this.status.phase === "shutting-down") return { deregistered: false };
    this.status.phase = "stopped";
    this.status.reason = "unstake requested";
    this.d.log.info("unstake requested: leaving the cluster");
    await Promise.all([this.startup.stop(), this.heartbeat.stop(), this.stopWatching()]);
    await this.stopWorkloads();
    return { deregistered: await this.deregister("unstake requested") };
  }

  /**
   * SIGTERM: stop loops, deregister when the worker is leaving (not for a restart: k3s keeps
   * serving the node meanwhile, see leaving.ts), release a child k3s. Idempotent.
   */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      const wasRegistered = this.status.registered;
      this.status.phase = "shutting-down";
      await Promise.all([this.startup.stop(), this.heartbeat.stop(), this.stopWatching()]);
      if (wasRegistered && (await this.d.stopIsLeaving())) await this.deregister("agent shutting down");
      else if (wasRegistered) this.d.log.info("agent stopping without leaving the cluster (its unit stays enabled): k3s keeps serving the node, still registered");
      await this.d.k3s.detach();
    })();
    return this.stopping;
  }
}
