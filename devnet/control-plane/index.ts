// The control-plane stand-in: a small Nautilus-compatible server for dev and tests. It signs
// the reply to every authenticated worker request with its own ed25519 key, bound to that request
// (reply v2; v1 for agents before it), and publishes that key and its endpoint in the
// NautilusRegistry on chain (admin transaction), which is where agents learn whom to trust.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ChainSession, createSuiClient, keypairFromSecret, type ChainIds } from "../../src/sui";
import type { StakeReader } from "../../agent/src/chain";
import { createSuiStakeReader } from "../../agent/src/chain-sui";
import {
  PATH_DEREGISTER, PATH_HEARTBEAT, PATH_REGISTER, PATH_WORKERS, TIMESTAMP_WINDOW_MS, publicKeyToBase64,
} from "../../agent/src/protocol";
import { deregister } from "./handlers/deregister";
import { heartbeat } from "./handlers/heartbeat";
import { registerWorker } from "./handlers/register-worker";
import { listWorkers } from "./handlers/workers";
import { CpError, sendReply, wantedReplyVersion } from "./http";
import { NonceCache } from "./nonce-cache";
import { startKubernetes, type KubernetesControlPlane, type KubernetesOptions } from "./kubernetes";
import type { CpContext, WorkerRecord } from "./state";

type Handler = (ctx: CpContext, req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => Promise<void>;

const ROUTES: Record<string, { method: string; handler: Handler }> = {
  [PATH_REGISTER]: { method: "POST", handler: registerWorker },
  [PATH_HEARTBEAT]: { method: "POST", handler: heartbeat },
  [PATH_DEREGISTER]: { method: "POST", handler: deregister },
  [PATH_WORKERS]: { method: "GET", handler: listWorkers },
};

export interface ControlPlaneOptions {
  host: string;
  port: number;
  chainUrl: string;
  /** Headers for every chain request (a devnet started with requireHeaders). Default none. */
  chainHeaders?: Readonly<Record<string, string>>;
  ids: ChainIds;
  /** Devnet admin key (suiprivkey...), used only to publish our endpoint and key in the registry. */
  adminSecretKey: string;
  /** PEM (pkcs8) ed25519 key; generated when absent. Pass the same key to keep it across restarts. */
  privateKeyPem?: string;
  /** Endpoint to publish; defaults to http://host:port as bound. */
  publicEndpoint?: string;
  /** Skip the registry transaction (e.g. a second instance behind the same registered endpoint). */
  publishToRegistry?: boolean;
  /** Inject a chain reader (tests); defaults to src/sui on chainUrl. */
  chain?: StakeReader;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /**
   * Nonces remembered at most (default 100,000): never forgotten while their timestamp could
   * still pass, so when full of those, new requests get 503 `busy` (unsigned) until some expire.
   */
  maxNonces?: number;
  /**
   * Run real Kubernetes behind the control plane (etcd, kube-apiserver, controller manager,
   * scheduler) with the k3s supervisor agents join through, gated by stake. Without it the
   * control plane is the signed API alone.
   */
  kubernetes?: KubernetesOptions;
}

export interface ControlPlane {
  url: string;
  port: number;
  /** base64 raw ed25519 public key, as published in the registry. */
  publicKey: string;
  privateKeyPem: string;
  workers(): Omit<WorkerRecord, "seal_token_id">[];
  /** Present when started with `kubernetes`. */
  kubernetes?: KubernetesControlPlane;
  close(): Promise<void>;
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const key: KeyObject = opts.privateKeyPem
    ? createPrivateKey(opts.privateKeyPem)
    : generateKeyPairSync("ed25519").privateKey;
  const publicKey = publicKeyToBase64(createPublicKey(key));
  const ctx: CpContext = {
    key,
    // Every object it reads must be of this package (ids.packageId: the original id, which its
    // objects' types name across upgrades).
    chain: opts.chain ?? createSuiStakeReader(opts.chainUrl, { packageId: opts.ids.packageId, clientName: "k3s-daas-control-plane", headers: opts.chainHeaders }),
    // Twice the window: a nonce must be remembered as long as its timestamp could be accepted.
    nonces: new NonceCache(2 * TIMESTAMP_WINDOW_MS, opts.maxNonces),
    workers: new Map(),
    retiredTokens: new Map(),
    log: opts.log ?? (() => {}),
  };
  const server: Server = createServer(async (req, res) => {
    try {
      const path = new URL(req.url ?? "/", "http://cp").pathname;
      const route = ROUTES[path];
      if (!route) throw new CpError(404, "not_found", "not found");
      if (req.method !== route.method) throw new CpError(405, "method_not_allowed", "method not allowed");
      if (wantedReplyVersion(req) === null) throw new CpError(400, "bad_request", "X-K3s-Reply-Version must be a decimal version number");
      await route.handler(ctx, req, res);
    } catch (err) {
      const e = err instanceof CpError ? err : new CpError(502, "chain_error", `cannot check the chain: ${(err as Error).message}`);
      if (!(err instanceof CpError)) ctx.log("request failed", { err: (err as Error).message });
      // Signed only if the request was authenticated before it failed (http.ts sendReply).
      if (!res.headersSent) sendReply(key, req, res, e.status, { error: e.message, code: e.code });
      if (e.status === 413) res.once("finish", () => req.socket.destroy());
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const hostForUrl = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  const url = opts.publicEndpoint ?? `http://${hostForUrl}:${addr.port}`;
  const closeServer = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  let kubernetes: KubernetesControlPlane | undefined;
  try {
    // Kubernetes first: the registry names us only once agents can also join the cluster.
    if (opts.kubernetes) kubernetes = await startKubernetes(ctx, opts.kubernetes);
    if (opts.publishToRegistry !== false) {
      const session = new ChainSession(createSuiClient(opts.chainUrl, { headers: opts.chainHeaders }), keypairFromSecret(opts.adminSecretKey), opts.ids);
      await session.setRegistry({ endpoint: url, enclavePubkey: publicKey });
    }
  } catch (err) {
    await kubernetes?.close();
    await closeServer();
    throw err;
  }
  ctx.log("control plane listening", { url, publicKey });
  return {
    url,
    port: addr.port,
    publicKey,
    privateKeyPem: key.export({ format: "pem", type: "pkcs8" }) as string,
    workers: () => [...ctx.workers.values()].map(({ seal_token_id: _omit, ...w }) => w),
    kubernetes,
    close: async () => {
      await closeServer();
      await kubernetes?.close();
    },
  };
}
