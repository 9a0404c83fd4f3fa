// sui.rpc.v2.SubscriptionService.SubscribeCheckpoints: a server stream of every checkpoint
// from the moment of subscribing, each under the request's read mask, until the client leaves.
// With a filter (DNF of transaction literals: sender, affected address, affected object), only
// matching checkpoints are sent; progress-only frames (cursor, no checkpoint) keep the client
// told that the stream is alive: at most one per PROGRESS_EVERY_MS while nothing matches. The
// chain cuts checkpoints while idle too (state.ts checkpointIntervalMs), as a real network does;
// with that off, the idle timer below still sends progress frames on filtered streams.
import { GrpcTypes } from "@mysten/sui/grpc";
import type { Chain, CheckpointRecord } from "../../state.js";
import { transactionMatcher, type TransactionFilter } from "../filters.js";
import { checkpointProto } from "../convert.js";
import { checkedTree, pathsOrDefault, prune } from "../mask.js";
import type { ServiceImpl } from "../service.js";

const CHECKPOINT_DEFAULT = ["sequence_number", "digest"];
export const PROGRESS_EVERY_MS = 10_000;

function matcher(filter: TransactionFilter | undefined): ((chain: Chain, cp: CheckpointRecord) => boolean) | null {
  const tx = transactionMatcher(filter);
  if (!tx) return null;
  return (chain, cp) => cp.transactions.some((d) => {
    const rec = chain.txs.get(d);
    return !!rec && tx(rec);
  });
}

export const subscriptionService: ServiceImpl = {
  service: GrpcTypes.SubscriptionService,
  stream: {
    SubscribeCheckpoints: (chain, req, send, signal) => {
      const matches = matcher(req.filter as TransactionFilter | undefined);
      const tree = checkedTree(GrpcTypes.Checkpoint, pathsOrDefault(req.readMask, CHECKPOINT_DEFAULT));
      return new Promise<void>((resolve) => {
        let lastFrameAt = Date.now();
        const latest = () => chain.latestCheckpoint().sequenceNumber;
        const stop = chain.onCheckpoint((cp) => {
          if (!matches || matches(chain, cp)) {
            lastFrameAt = Date.now();
            send({ cursor: cp.sequenceNumber, checkpoint: prune(GrpcTypes.Checkpoint, checkpointProto(chain, cp), tree) });
          } else if (Date.now() - lastFrameAt >= PROGRESS_EVERY_MS) {
            lastFrameAt = Date.now();
            send({ cursor: cp.sequenceNumber });
          }
        });
        const idle = setInterval(() => {
          // Unfiltered streams carry a checkpoint in every frame (sui.rpc.v2), so no progress frames.
          if (!matches || Date.now() - lastFrameAt < PROGRESS_EVERY_MS) return;
          lastFrameAt = Date.now();
          send({ cursor: latest() });
        }, PROGRESS_EVERY_MS / 2);
        idle.unref();
        signal.addEventListener("abort", () => { stop(); clearInterval(idle); resolve(); }, { once: true });
      });
    },
  },
};
