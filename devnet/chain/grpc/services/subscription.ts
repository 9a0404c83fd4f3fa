// sui.rpc.v2.SubscriptionService.SubscribeCheckpoints: a server stream of every checkpoint
// from the moment of subscribing, each under the request's read mask, until the client leaves.
import { GrpcTypes } from "@mysten/sui/grpc";
import { checkpointProto } from "../convert.js";
import { maskTree, pathsOrDefault, prune } from "../mask.js";
import { GrpcError, GrpcStatusCode } from "../wire.js";
import type { ServiceImpl } from "../service.js";

const CHECKPOINT_DEFAULT = ["sequence_number", "digest"];

export const subscriptionService: ServiceImpl = {
  service: GrpcTypes.SubscriptionService,
  stream: {
    SubscribeCheckpoints: (chain, req, send, signal) => {
      if (req.filter) throw new GrpcError(GrpcStatusCode.UNIMPLEMENTED, "checkpoint filters are not supported by the devnet");
      const unknown: string[] = [];
      const tree = maskTree(pathsOrDefault(req.readMask, CHECKPOINT_DEFAULT));
      prune(GrpcTypes.Checkpoint, GrpcTypes.Checkpoint.create(), tree, unknown);
      if (unknown.length) throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `invalid read_mask path(s): ${unknown.join(", ")}`);
      return new Promise<void>((resolve) => {
        const stop = chain.onCheckpoint((cp) => {
          send({ cursor: cp.sequenceNumber, checkpoint: prune(GrpcTypes.Checkpoint, checkpointProto(chain, cp), tree) });
        });
        signal.addEventListener("abort", () => { stop(); resolve(); }, { once: true });
      });
    },
  },
};
