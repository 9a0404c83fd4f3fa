// What the control plane remembers about workers (in memory: a restart forgets them, and the
// agents re-register when told `not_registered`).
import type { KeyObject } from "node:crypto";
import type { StakeReader } from "../../agent/src/chain";
import type { NonceCache } from "./nonce-cache";
import { CpError } from "./http";
import { SUPERSEDED } from "../../agent/src/protocol";

export interface WorkerRecord {
  node_id: string;
  stake_object_id: string;
  worker_pubkey: string;
  /** The token the node registered with last (normalized); not served by GET /workers. */
  seal_token_id: string;
  registered_at: string;
  last_heartbeat_at: string | null;
  last_heartbeat: Record<string, unknown> | null;
  heartbeats: number;
  /** The reply format the worker's last request asked for (1: agents before reply binding). */
  reply_version: number;
}

export interface CpContext {
  key: KeyObject;
  chain: StakeReader;
  nonces: NonceCache;
  workers: Map<string, WorkerRecord>;
  /**
   * Per node id, the seal tokens a move retired: once a new worker key has registered the node,
   * the tokens of the keys it replaced can never register it again, so an old host whose agent
   * restarts mid-move (its token is valid until its teardown revokes it) cannot take the node
   * back and leave the new host superseded. A move back to an old host mints it a new token.
   */
  retiredTokens: Map<string, Set<string>>;
  log: (msg: string, fields?: Record<string, unknown>) => void;
}

/** A node id speaks only through the worker key it registered last (a moved node's new host). */
export function superseded(nodeId: string): CpError {
  return new CpError(409, SUPERSEDED, `node ${nodeId} is registered from another host (another worker key); this key no longer speaks for it`);
}
