// Pushed chain changes: a checkpoint subscription (SubscriptionService.SubscribeCheckpoints)
// filtered to the transactions that touch given objects, read mask limited to the ids of the
// objects each transaction changed. One stream, no polling; reconnecting is the caller's policy.
import { isSuiGrpcClient, RpcError, type SuiGrpcClient } from "@mysten/sui/grpc";
import type { ClientWithCoreApi } from "@mysten/sui/client";
import { normalizeSuiAddress } from "@mysten/sui/utils";

export interface ObjectChangeHandlers {
  /** The stream is open (the server accepted the subscription). */
  onOpen(): void;
  /** A checkpoint changed one or more of the watched objects. */
  onChange(changed: string[], checkpoint: bigint): void;
  /** Any frame arrived (a change or a progress-only frame): the stream is alive. */
  onFrame?(cursor: bigint): void;
  /** The stream ended or failed; it will not deliver anything more. */
  onClose(err: Error | null): void;
}

/** Whether this client can push changes (gRPC); a JSON-RPC client can only be polled. */
export function canWatch(client: ClientWithCoreApi): boolean {
  return isSuiGrpcClient(client);
}

/** Clients whose node refused a filtered subscription: they get unfiltered ones from then on. */
const noServerFilter = new WeakSet<object>();

/**
 * Watch `objectIds`. Returns the function that closes the stream. Throws if the client is not
 * a gRPC client (see canWatch). A node that does not support subscription filters (it answers
 * UNIMPLEMENTED or INVALID_ARGUMENT before any frame) is asked again without one, and the
 * checkpoints are filtered here; the read mask keeps that stream to object ids.
 */
export function watchObjects(client: ClientWithCoreApi, objectIds: string[], h: ObjectChangeHandlers): () => void {
  if (!isSuiGrpcClient(client)) throw new Error("watching objects needs a gRPC client (network.transport: grpc)");
  const grpc = client as SuiGrpcClient;
  const watched = new Set(objectIds.map((id) => normalizeSuiAddress(id)));
  const abort = new AbortController();
  let closed = false;
  const close = (err: Error | null) => {
    if (closed) return;
    closed = true;
    h.onClose(err);
  };
  const subscribe = (filtered: boolean) => grpc.subscriptionService.subscribeCheckpoints(
    {
      readMask: { paths: ["sequence_number", "transactions.effects.changed_objects.object_id"] },
      // DNF: one term per object, so a checkpoint matches when any transaction touches any.
      filter: filtered
        ? { terms: [...watched].map((objectId) => ({ literals: [{ negated: false, predicate: { oneofKind: "affectedObject" as const, affectedObject: { objectId } } }] })) }
        : undefined,
    },
    { abort: abort.signal },
  );
  const run = async (filtered: boolean): Promise<void> => {
    let frames = 0;
    try {
      const call = subscribe(filtered);
      void call.headers.then(() => { if (!closed) h.onOpen(); }, () => undefined);
      for await (const frame of call.responses) {
        frames += 1;
        const cursor = frame.cursor ?? 0n;
        h.onFrame?.(cursor);
        const cp = frame.checkpoint;
        if (!cp) continue;
        const changed = new Set<string>();
        for (const tx of cp.transactions) {
          for (const c of tx.effects?.changedObjects ?? []) {
            const id = c.objectId ? normalizeSuiAddress(c.objectId) : "";
            if (watched.has(id)) changed.add(id);
          }
        }
        if (changed.size) h.onChange([...changed], cp.sequenceNumber ?? cursor);
      }
      close(abort.signal.aborted ? null : new Error("checkpoint stream ended"));
    } catch (e) {
      const refusedFilter = filtered && frames === 0 && e instanceof RpcError && (e.code === "UNIMPLEMENTED" || e.code === "INVALID_ARGUMENT");
      if (refusedFilter && !abort.signal.aborted) {
        noServerFilter.add(client);
        return run(false);
      }
      close(abort.signal.aborted ? null : (e as Error));
    }
  };
  void run(!noServerFilter.has(client));
  return () => {
    abort.abort();
    close(null);
  };
}
