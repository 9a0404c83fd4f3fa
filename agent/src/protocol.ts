// The signed request/reply protocol between agent and control plane (docs/contracts.md).
// Shared by the agent and the control-plane stand-in so both build the same bytes.
import { createHash, createPublicKey, verify, sign, type KeyObject } from "node:crypto";

export const H_NODE_ID = "x-k3s-node-id";
export const H_TIMESTAMP = "x-k3s-timestamp";
export const H_NONCE = "x-k3s-nonce";
export const H_SIGNATURE = "x-k3s-signature";
/** Operator requests to the agent's API: which configured operator key signed. */
export const H_OPERATOR_KEY = "x-k3s-operator-key";
export const H_REPLY_TIMESTAMP = "x-nautilus-timestamp";
export const H_REPLY_SIGNATURE = "x-nautilus-signature";
/**
 * Request header: the reply format the agent wants (a decimal version; agents from reply v2 on
 * send "2"). Absent: v1, the format of agents before it. Not signed: a stripped or lowered
 * header only gets the agent a format it refuses.
 */
export const H_WANT_REPLY_VERSION = "x-k3s-reply-version";
/** Reply header: the format the reply is signed in ("2"); absent on a v1 reply. */
export const H_REPLY_VERSION = "x-nautilus-reply-version";
/** The reply format this agent requires and the control plane answers at most. */
export const REPLY_VERSION = 2;

export const PATH_REGISTER = "/api/v1/register-worker";
export const PATH_HEARTBEAT = "/api/v1/nodes/heartbeat";
export const PATH_DEREGISTER = "/api/v1/nodes/deregister";
export const PATH_WORKERS = "/api/v1/workers";
/** Error code (409) for a request signed by a worker key the node was registered under before a move. */
export const SUPERSEDED = "superseded";

/** How far a request timestamp may be from the receiver's clock. */
export const TIMESTAMP_WINDOW_MS = 60_000;

export function sha256hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export function requestSigningString(method: string, path: string, timestamp: string, nonce: string, body: string): string {
  return `k3s-daas-v1\n${method.toUpperCase()}\n${path}\n${timestamp}\n${nonce}\n${sha256hex(body)}`;
}

/**
 * What an operator signs for a POST to a node agent's API. The node id binds the request to one
 * node (one operator key usually serves a whole fleet); the request target is the path and query
 * exactly as sent; the prefix keeps it apart from the control-plane protocol's strings.
 */
export function operatorSigningString(method: string, target: string, nodeId: string, timestamp: string, nonce: string, body: string): string {
  return `k3s-daas-agent-v1\n${method.toUpperCase()}\n${target}\n${nodeId}\n${timestamp}\n${nonce}\n${sha256hex(body)}`;
}

/**
 * Reply v1 (agents that send no X-K3s-Reply-Version): binds the nonce only, not the status, the
 * request or the node. Kept for a fleet's rolling upgrade; an agent from v2 on refuses it.
 */
export function replySigningString(requestNonce: string, timestamp: string, body: string): string {
  return `k3s-daas-v1-reply\n${requestNonce}\n${timestamp}\n${sha256hex(body)}`;
}

/** What a v2 reply is bound to: the one authenticated request it answers, and its own status. */
export interface ReplyBinding {
  /** The HTTP status code the reply is sent with. */
  status: number;
  /** Of the request, as its signature covers them. */
  method: string;
  path: string;
  nodeId: string;
  nonce: string;
  /** The request's X-K3s-Signature header value, exactly as sent (base64 text). */
  requestSignature: string;
}

/**
 * Reply v2: the signature covers the status code, the request's method, path, node id, a hash of
 * the request's signature (which covers its timestamp, nonce and body) and nonce, then the
 * reply's timestamp and body. A reply counts only for the request it answers, with the status it
 * was sent with.
 */
export function replySigningStringV2(b: ReplyBinding, timestamp: string, body: string): string {
  return [
    "k3s-daas-v2-reply", String(b.status), b.method.toUpperCase(), b.path, b.nodeId,
    sha256hex(b.requestSignature), b.nonce, timestamp, sha256hex(body),
  ].join("\n");
}

export function signString(key: KeyObject, s: string): string {
  return sign(null, Buffer.from(s, "utf8"), key).toString("base64");
}

/** Public key object from the base64 raw 32-byte ed25519 key used on chain. */
export function publicKeyFromBase64(b64: string): KeyObject {
  const raw = Buffer.from(b64, "base64");
  if (raw.length !== 32) throw new Error(`ed25519 public key must be 32 bytes, got ${raw.length}`);
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" });
}

export function publicKeyToBase64(key: KeyObject): string {
  const jwk = key.export({ format: "jwk" });
  if (typeof jwk.x !== "string") throw new Error("not an ed25519 key");
  return Buffer.from(jwk.x, "base64url").toString("base64");
}

export function verifyString(pubkeyB64: string, s: string, signatureB64: string): boolean {
  try {
    const sig = Buffer.from(signatureB64, "base64");
    if (sig.length !== 64) return false;
    return verify(null, Buffer.from(s, "utf8"), publicKeyFromBase64(pubkeyB64), sig);
  } catch {
    return false;
  }
}

// Body shapes. Field names follow the seed (snake_case).
export interface ResourceUsage {
  cpu_percent: number;
  cpu_cores: number;
  load_avg_1m: number;
  memory_total_bytes: number;
  memory_used_bytes: number;
  memory_percent: number;
  disk_total_bytes: number;
  disk_used_bytes: number;
  disk_percent: number;
  network_rx_bytes: number;
  network_tx_bytes: number;
  network_rx_bytes_per_sec: number;
  network_tx_bytes_per_sec: number;
}

export interface RegisterRequest {
  node_id: string;
  seal_token_id: string;
  stake_object_id: string;
  worker_pubkey: string;
  timestamp: number;
  agent_version: string;
}

export interface HeartbeatRequest {
  node_id: string;
  seal_token_id: string;
  stake_object_id: string;
  timestamp: number;
  stake_status: string;
  stake_amount: string; // MIST, decimal string
  running_pods: number;
  resource_usage: ResourceUsage;
  k3s_agent_running: boolean;
}

export interface DeregisterRequest {
  node_id: string;
  seal_token_id: string;
  timestamp: number;
  reason: string;
}
