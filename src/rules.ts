// The shapes every part of the project checks the same way, defined once: the stack config
// (src/config.ts), the components' argument checks (staked-worker.ts), the dynamic providers'
// input schemas (runtime/chain-inputs.ts) and the agent's config (agent/src/config.ts). Regexes
// for the places that test by hand, zod schemas (with the one message) for the rest.
import { z } from "zod";

/** A Sui object id or address: 0x and up to 64 hex digits (leading zeros may be left out). */
export const OBJECT_ID = /^0x[0-9a-fA-F]{1,64}$/;
/** A node id / Kubernetes node name / host name: DNS-1123, at most 63 characters. */
export const DNS1123 = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
/** A raw 32-byte ed25519 public key in standard base64 (operator keys, the control plane's key). */
export const ED25519_PUBLIC_KEY_B64 = /^[A-Za-z0-9+/]{43}=$/;
/** A sha256 digest as lower-case hex. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;
/** An SSH user name that is safe to put in a command (validation refuses others). */
export const SSH_USER = /^[a-z_][a-z0-9_-]{0,31}$/;
/** A k3s release name, as `k3s --version` prints it. */
export const K3S_VERSION = /^v\d+\.\d+\.\d+\+k3s\d+$/;

export const objectIdSchema = z.string().regex(OBJECT_ID, "must be a 0x-prefixed Sui object id");
export const dnsNameSchema = z.string().min(1).max(63).regex(DNS1123, "must be a DNS-1123 name (lower-case letters, digits, '-' and '.')");
export const ed25519PublicKeySchema = z.string().regex(ED25519_PUBLIC_KEY_B64, "must be a base64 ed25519 public key (32 bytes: 43 characters and '=')");
export const sha256Schema = z.string().regex(SHA256_HEX, "must be 64 lower-case hex characters (a sha256)");
export const k3sVersionSchema = z.string().regex(K3S_VERSION, "must look like v1.31.4+k3s1");
/** Seal tokens live 30 epochs; `up` renews one this many epochs before it expires unless told otherwise. */
export const DEFAULT_RENEW_BEFORE_EPOCHS = 5;
/** The most: a renewal window must leave a token a life. */
export const MAX_RENEW_BEFORE_EPOCHS = 29;
/**
 * Ports of k3s and the kubelet: the agent's API never takes one (the original listened on 10250
 * and collided with the kubelet). The settings and the agent's own config both refuse them.
 */
export const RESERVED_PORTS: ReadonlySet<number> = new Set([2379, 2380, 5001, 6443, 6444, 8472, 9345, 10010, 10248, 10249, 10250, 10251, 10255, 10256, 10257, 10259, 51820, 51821]);
/** The least `healthTimeoutSeconds` anywhere: a worker gets at least this long to come up. */
export const MIN_HEALTH_TIMEOUT_SECONDS = 5;
