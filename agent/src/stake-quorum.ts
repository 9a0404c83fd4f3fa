// Whether a stake is really not active, asked of more than one RPC node: the agent's own
// (sui.rpcUrl) and the independent confirm sources (sui.confirmSources). k3s stops only when a
// quorum of them read the stake as slashed or withdrawn, so one lying or hijacked node can neither
// stop a worker (it alone says "slashed") nor keep it running after a real slash (it alone says
// "active": the confirm sources' cross-check finds that).
import type { StakeReader, StakeView } from "./chain";
import { withTimeout } from "./chain-watch";
import type { Logger } from "./log";

export interface ConfirmSource {
  /** The node's origin, for logs (never a key: URLs carry none). */
  name: string;
  reader: StakeReader;
}

/** What each source said when a stake read as not active. */
export interface StakeTally {
  inactive: number;
  sources: number;
  quorum: number;
  /** Per source: the status it read, or why it could not. */
  answers: Record<string, string>;
}

export interface StakeQuorumOptions {
  /** The agent's own node (sui.rpcUrl), counted once. */
  main: StakeReader;
  confirm: readonly ConfirmSource[];
  stakeId: string;
  nodeId: string;
  /** sui.confirmQuorum; default a majority of the sources. */
  quorum?: number;
  timeoutMs: number;
  log: Logger;
}

export class StakeQuorum {
  /** Times the sources disagreed (some read the stake not active, too few to stop). */
  disagreements = 0;
  /** The last tally of a stake that read as not active. */
  lastTally: StakeTally | null = null;

  constructor(private readonly o: StakeQuorumOptions) {}

  get size(): { sources: number; quorum: number } {
    const sources = 1 + this.o.confirm.length;
    return { sources, quorum: this.o.quorum ?? Math.floor(sources / 2) + 1 };
  }

  /**
   * A stake that read as slashed or withdrawn (`first` says how), read again from every source at
   * once: the main node's view (else any source's) when at least `quorum` read it as not active;
   * else null, with the one active view seen (for a single source, whose second read is news).
   * A read that fails, times out, finds no record or names another node does not agree.
   */
  async confirm(first: string): Promise<{ inactive: StakeView | null; active: StakeView | null }> {
    const sources: ConfirmSource[] = [{ name: "rpcUrl", reader: this.o.main }, ...this.o.confirm];
    const reads = await Promise.allSettled(sources.map((s) => withTimeout(s.reader.readStake(this.o.stakeId), this.o.timeoutMs, `confirming stake read (${s.name})`)));
    const { quorum } = this.size;
    const answers: Record<string, string> = {};
    let inactive = 0;
    let mainView: StakeView | null = null;
    let anyInactive: StakeView | null = null;
    let active: StakeView | null = null;
    reads.forEach((r, i) => {
      const name = sources[i]!.name;
      if (r.status === "rejected") {
        answers[name] = `read failed: ${(r.reason as Error)?.message ?? String(r.reason)}`;
        return;
      }
      const v = r.value;
      if (!v) answers[name] = "missing";
      else if (v.nodeId !== this.o.nodeId) answers[name] = `names node ${v.nodeId}`;
      else {
        answers[name] = v.status;
        if (v.status === "active") active ??= v;
        else {
          inactive += 1;
          anyInactive ??= v;
          if (i === 0) mainView = v;
        }
      }
    });
    this.lastTally = { inactive, sources: sources.length, quorum, answers };
    if (inactive >= quorum) {
      if (sources.length > 1) this.o.log.warn(`${first}; ${inactive} of ${sources.length} sources agree (quorum ${quorum})`, { answers });
      return { inactive: mainView ?? anyInactive, active: null };
    }
    this.disagreements += 1;
    this.o.log.warn(`${first}, but only ${inactive} of ${sources.length} source(s) read it so (quorum ${quorum}); not stopping`, { answers });
    return { inactive: null, active };
  }

  /**
   * The confirm sources' own read of the stake (the cross-check): how the first of them to read
   * it as not active put it, or null when none did (or there are none).
   */
  async crossCheck(): Promise<string | null> {
    const sources = this.o.confirm;
    if (sources.length === 0) return null;
    const reads = await Promise.allSettled(sources.map((s) => withTimeout(s.reader.readStake(this.o.stakeId), this.o.timeoutMs, `cross-check stake read (${s.name})`)));
    const saw = reads.findIndex((r) => r.status === "fulfilled" && r.value !== null && r.value.nodeId === this.o.nodeId && r.value.status !== "active");
    if (saw < 0) return null;
    return `confirm source ${sources[saw]!.name} read the stake as ${(reads[saw] as PromiseFulfilledResult<StakeView>).value.status}`;
  }
}
