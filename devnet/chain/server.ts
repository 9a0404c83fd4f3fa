// HTTP front of the devnet: Sui gRPC (sui.rpc.v2 as grpc-web, grpc/) on POST /<service>/<method>,
// the legacy JSON-RPC on POST /, the faucet on POST /v2/gas (the shape
// @mysten/sui/faucet's requestSuiFromFaucetV2 speaks), and a devnet-only POST
// /devnet/advance-epoch. Loopback by default; nothing here is meant for a public interface.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { timingSafeEqual } from "node:crypto";
import { mkdir, writeFile, chmod } from "node:fs/promises";
import { join } from "node:path";
import { normalizeSuiAddress, isValidSuiAddress } from "@mysten/sui/utils";
import { Chain, type ChainOptions } from "./state.js";
import { METHODS, RpcError } from "./rpc.js";
import { grpcMethodOf, handleGrpcWeb, isGrpcWebRequest } from "./grpc/index.js";

/** Header a client may send to be counted under its own name (see Devnet.requestCounts). */
export const CLIENT_NAME_HEADER = "x-k3s-daas-client";

export interface DevnetIds {
  packageId: string;
  poolId: string;
  adminCapId: string;
  registryId: string;
}

/** One set of headers a request must carry, or several sets of which it must carry one. */
export type HeaderSets = Readonly<Record<string, string>> | ReadonlyArray<Readonly<Record<string, string>>>;

const headerSets = (h: HeaderSets | undefined): Array<Array<[string, string]>> =>
  (h === undefined ? [] : Array.isArray(h) ? (h as ReadonlyArray<Readonly<Record<string, string>>>) : [h as Readonly<Record<string, string>>])
    .map((set) => Object.entries(set))
    .filter((e) => e.length > 0);

export interface StartDevnetOptions {
  host?: string;
  /** 0 picks a random free port. */
  port?: number;
  lockEpochs?: bigint | number;
  /** Epochs between a withdrawal request and its claim. Default 0 (see ChainOptions). */
  withdrawalCooldownEpochs?: bigint | number;
  minStakeMist?: bigint;
  faucetAmountMist?: bigint;
  /**
   * Cut an (empty) checkpoint every this many ms while no transaction runs, as a real network
   * does. Default 250; 0 disables (checkpoints only after transactions and epoch changes).
   */
  checkpointIntervalMs?: number;
  /**
   * Checkpoints kept, as a pruning full node keeps the recent ones (see ChainOptions): older ones
   * answer NOT_FOUND and GetServiceInfo's lowest_available_checkpoint advances. Default 100,000
   * (~7 h at 250 ms); 0 or Infinity keeps all.
   */
  checkpointRetention?: number;
  /** If set, devnet.json is written here (0600). */
  stateDir?: string;
  /**
   * Delay every JSON-RPC and gRPC reply by this many ms, to stand in for a real network's round
   * trip (benchmarks; a loopback devnet otherwise has none). Default 0.
   */
  rpcLatencyMs?: number;
  /**
   * Refuse filtered checkpoint subscriptions with UNIMPLEMENTED, as a node without subscription
   * filters does (tests of the client's fallback). Default false.
   */
  noSubscriptionFilters?: boolean;
  /**
   * Stand-in for an RPC provider that takes an API key in a header: every gRPC and JSON-RPC
   * request must carry these headers with these values (or one of several such sets: a key per
   * client), else gRPC UNAUTHENTICATED (HTTP 401 for JSON-RPC). The faucet and the devnet's own
   * endpoints are not gated. Default: none.
   */
  requireHeaders?: HeaderSets;
  /**
   * Also serve everything over TLS with this key and certificate (devnet/chain/certificates.ts
   * makes a private CA's), on `port` (0: a free one), as real full nodes serve https. Default: none.
   */
  tls?: { key: string; cert: string; port?: number };
}

export interface Devnet {
  url: string;
  /** The https:// address of the TLS front (StartDevnetOptions.tls), if started with one. */
  tlsUrl?: string;
  ids: DevnetIds;
  /** suiprivkey1... of the throwaway admin account that holds the AdminCap (funded at genesis). */
  adminSecretKey: string;
  adminAddress: string;
  /** Send `mist` from the faucet to `address`; resolves once executed. */
  faucet(address: string, mist?: bigint): Promise<{ coinId: string; digest: string }>;
  advanceEpoch(n?: number): bigint;
  /** The in-process ledger, for tests that need to look under the hood. */
  chain: Chain;
  /**
   * Requests served since start (or the last reset), per client and per method
   * (`sui.rpc.v2.LedgerService/GetObject`, `jsonrpc:sui_getObject`, `faucet`; a call refused for
   * want of the required headers as `refused:<method>`). A client is named
   * by the x-k3s-daas-client header when it sends one, else by its remote address. A server
   * stream counts once, when it opens.
   */
  requestCounts(): Record<string, Record<string, number>>;
  /**
   * Require other headers from now on ({} for none), as a provider that rotated a key: open
   * connections are cut (streams included), so every client authenticates again.
   */
  setRequiredHeaders(headers: HeaderSets): void;
  resetRequestCounts(): void;
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 8 * 1024 * 1024) throw new RpcError(-32600, "request too large");
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8") || "null");
  } catch {
    throw new RpcError(-32700, "Parse error");
  }
}

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function rpcOne(chain: Chain, msg: unknown): Promise<unknown> {
  const m = (msg ?? {}) as { id?: unknown; method?: unknown; params?: unknown };
  const id = m.id ?? null;
  try {
    const handler = typeof m.method === "string" ? METHODS[m.method.replace(".", "_")] : undefined;
    if (!handler) throw new RpcError(-32601, `Method not found: ${String(m.method)}`);
    const result = await handler(chain, Array.isArray(m.params) ? m.params : []);
    return { jsonrpc: "2.0", id, result };
  } catch (e) {
    const err = e instanceof RpcError ? e : new RpcError(-32603, (e as Error).message);
    return { jsonrpc: "2.0", id, error: { code: err.code, message: err.message, ...(err.data === undefined ? {} : { data: err.data }) } };
  }
}

export async function startDevnet(opts: StartDevnetOptions = {}): Promise<Devnet> {
  const chainOpts: ChainOptions = {
    lockEpochs: opts.lockEpochs === undefined ? undefined : BigInt(opts.lockEpochs),
    withdrawalCooldownEpochs: opts.withdrawalCooldownEpochs === undefined ? undefined : BigInt(opts.withdrawalCooldownEpochs),
    minStakeMist: opts.minStakeMist,
    faucetAmountMist: opts.faucetAmountMist,
    checkpointIntervalMs: opts.checkpointIntervalMs,
    checkpointRetention: opts.checkpointRetention,
  };
  const chain = new Chain(chainOpts);

  let counts = new Map<string, Map<string, number>>();
  const count = (req: IncomingMessage, method: string) => {
    const named = req.headers[CLIENT_NAME_HEADER];
    const client = typeof named === "string" && named ? named : req.socket.remoteAddress ?? "unknown";
    const m = counts.get(client) ?? new Map<string, number>();
    m.set(method, (m.get(method) ?? 0) + 1);
    counts.set(client, m);
  };

  let required = headerSets(opts.requireHeaders);
  // Constant-time per header, as a provider's gateway would compare a key.
  const carries = (req: IncomingMessage, set: Array<[string, string]>) => set.every(([name, value]) => {
    const got = req.headers[name];
    return typeof got === "string" && got.length === value.length && timingSafeEqual(Buffer.from(got), Buffer.from(value));
  });
  const authorized = (req: IncomingMessage) => required.length === 0 || required.some((set) => carries(req, set));
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (isGrpcWebRequest(req)) {
      const ok = authorized(req);
      count(req, `${ok ? "" : "refused:"}${grpcMethodOf(req.url)}`);
      void handleGrpcWeb(chain, req, res, {
        latencyMs: opts.rpcLatencyMs ?? 0, noSubscriptionFilters: opts.noSubscriptionFilters ?? false, unauthenticated: !ok,
      });
      return;
    }
    void (async () => {
      try {
        if (req.method !== "POST") return send(res, 405, { error: "POST only" });
        const body = await readJson(req);
        if (req.url === "/" || req.url === "") {
          if (!authorized(req)) {
            count(req, "refused:jsonrpc");
            return send(res, 401, { error: "missing or invalid API key" });
          }
          for (const b of Array.isArray(body) ? body : [body]) count(req, `jsonrpc:${String((b as { method?: unknown })?.method)}`);
          if (opts.rpcLatencyMs) await new Promise((r) => setTimeout(r, opts.rpcLatencyMs));
          const out = Array.isArray(body) ? await Promise.all(body.map((b) => rpcOne(chain, b))) : await rpcOne(chain, body);
          return send(res, 200, out);
        }
        if (req.url === "/v2/gas" || req.url === "/gas") {
          count(req, "faucet");
          const b = body as { FixedAmountRequest?: { recipient?: string } };
          const recipient = b?.FixedAmountRequest?.recipient;
          if (!recipient || !isValidSuiAddress(normalizeSuiAddress(recipient))) {
            return send(res, 400, { status: { Failure: { internal: "invalid recipient" } }, coins_sent: null });
          }
          const r = await chain.faucet(recipient);
          return send(res, 200, { status: "Success", coins_sent: [{ amount: Number(r.amount), id: r.coinId, transferTxDigest: r.digest }] });
        }
        if (req.url === "/devnet/advance-epoch") {
          const n = Number((body as { epochs?: unknown })?.epochs ?? 1);
          if (!Number.isInteger(n) || n < 1 || n > 10_000) return send(res, 400, { error: "epochs must be an integer 1..10000" });
          return send(res, 200, { epoch: String(chain.advanceEpoch(n)) });
        }
        return send(res, 404, { error: "not found" });
      } catch (e) {
        const err = e instanceof RpcError ? e : new RpcError(-32603, (e as Error).message);
        send(res, 200, { jsonrpc: "2.0", id: null, error: { code: err.code, message: err.message } });
      }
    })();
  };
  const server = createServer(handle);
  const tlsServer = opts.tls ? createTlsServer({ key: opts.tls.key, cert: opts.tls.cert }, handle) : undefined;

  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 9000, host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port ?? 9000;
  const hostPart = host.includes(":") ? `[${host}]` : host;
  const url = `http://${hostPart}:${port}`;
  let tlsUrl: string | undefined;
  if (tlsServer) {
    await new Promise<void>((resolve, reject) => {
      tlsServer.once("error", reject);
      tlsServer.listen(opts.tls!.port ?? 0, host, () => resolve());
    });
    tlsUrl = `https://${hostPart}:${(tlsServer.address() as { port: number }).port}`;
  }
  const ids: DevnetIds = { packageId: chain.packageId, poolId: chain.poolId, adminCapId: chain.adminCapId, registryId: chain.registryId };
  const adminSecretKey = chain.admin.getSecretKey();

  if (opts.stateDir) {
    await mkdir(opts.stateDir, { recursive: true, mode: 0o700 });
    const file = join(opts.stateDir, "devnet.json");
    await writeFile(file, JSON.stringify({ url, ...ids, adminSecretKey }, null, 2) + "\n", { mode: 0o600 });
    await chmod(file, 0o600); // writeFile's mode only applies when it creates the file
  }

  return {
    url, ...(tlsUrl ? { tlsUrl } : {}), ids, adminSecretKey, adminAddress: chain.admin.toSuiAddress(), chain,
    faucet: async (address, mist) => {
      const r = await chain.faucet(address, mist);
      return { coinId: r.coinId, digest: r.digest };
    },
    advanceEpoch: (n = 1) => chain.advanceEpoch(n),
    requestCounts: () => Object.fromEntries([...counts].map(([c, m]) => [c, Object.fromEntries(m)])),
    resetRequestCounts: () => { counts = new Map(); },
    setRequiredHeaders: (headers) => {
      required = headerSets(headers);
      server.closeAllConnections();
      tlsServer?.closeAllConnections();
    },
    close: async () => {
      chain.stop();
      for (const s of [server, tlsServer]) {
        if (!s) continue;
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
}
