// What the control plane remembers about workers (in memory: a restart forgets them, and the
// agents re-register when told `not_registered`).
import type { KeyObject } from "node:crypto";
import type { StakeReader } from "../../agent/src/chain";
import type { NonceCache } from "./nonce-cache";

export interface WorkerRecord {
  node_id: string;
  stake_object_id: string;
  worker_pubkey: string;
  registered_at: string;
  last_heartbeat_at: string | null;
  last_heartbeat: Record<string, unknown> | null;
  heartbeats: number;
}

export interface CpContext {
  key: KeyObject;
  chain: StakeReader;
  nonces: NonceCache;
  workers: Map<string, WorkerRecord>;
  log: (msg: string, fields?: Record<string, unknown>) => void;
}
