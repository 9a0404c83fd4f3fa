// The whole local world for an end-to-end run: real nspawn hosts on a private bridge, the devnet
// chain and the control-plane stand-in listening on that bridge, and a wallet funded from the
// faucet. Used by the end-to-end test and the `npm run dev` local stack alike. Stand-ins all:
// nothing under src/ or agent/ imports this.
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeCertificates } from "../chain/certificates";
import { startHosts, type Hosts } from "../hosts";
import { STANDIN_VERSIONS } from "../hosts/setup";
import { startDevnet, type Devnet } from "../chain";
import { startControlPlane, type ControlPlane } from "../control-plane";
import type { KubernetesControlPlane } from "../control-plane/kubernetes";
import { ensureImages, type BuiltImage, type ImageName } from "../images";

export interface FleetEnv {
  hosts: Hosts;
  devnet: Devnet;
  controlPlane: ControlPlane;
  /** The real Kubernetes behind the control plane: supervisor URL, join token, admin kubeconfig. */
  kubernetes: KubernetesControlPlane;
  /** Images built here (no registry is reachable), as tarballs the stack uploads and imports. */
  images: Record<ImageName, BuiltImage>;
  wallet: Ed25519Keypair;
  /** The headers the devnet requires of the stack (FleetEnvOptions.rpcApiKey), for the test's own clients. */
  rpcHeaders: Record<string, string>;
  /** The provider rotates the stack's key: the old one is refused from now on (rpcHeaders follows). */
  rotateRpcApiKey(key: string): void;
  /** Stack config for the project, as Automation API ConfigMap entries. */
  stackConfig(opts?: {
    hostNames?: string[];
    allowUnreachableHost?: boolean;
    heartbeatIntervalMs?: number;
    /** Image tarballs for k3s.images. Default: the pause image only (what every pod needs). */
    images?: ImageName[];
  }): Record<string, { value: string; secret?: boolean }>;
  stop(): Promise<void>;
}

export interface FleetEnvOptions {
  count: number;
  namePrefix: string;
  subnet: string;
  lockEpochs?: number;
  /** Epochs between a withdrawal request and its claim on the devnet. Default 0. */
  withdrawalCooldownEpochs?: number;
  /** Ports on the bridge address; 0 (default) picks free ones. */
  devnetPort?: number;
  controlPlanePort?: number;
  /** The k3s supervisor's port on the bridge address (the agents' K3S_URL). Default k3s's 6443. */
  supervisorPort?: number;
  log?: (msg: string) => void;
  /** Hosts that log in as a sudo user with root login disabled (see devnet/hosts). */
  sudoUsers?: Record<string, string>;
  /**
   * The devnet takes this API key in an `x-api-key` header on every RPC (a provider's gateway),
   * and the stack config sets it as the secret rpcHeaders. Default: no key required.
   */
  rpcApiKey?: string;
  /**
   * The stack reaches the devnet over https, through its TLS front, whose certificate a private
   * CA made here signed; the stack config gives that CA as rpcCaCertificates. Default: plain http.
   */
  tls?: boolean;
}

export async function startFleetEnv(opts: FleetEnvOptions): Promise<FleetEnv> {
  const hosts = await startHosts({ count: opts.count, namePrefix: opts.namePrefix, subnet: opts.subnet, log: opts.log, sudoUsers: opts.sudoUsers });
  let devnet: Devnet | undefined;
  let controlPlane: ControlPlane | undefined;
  let certDir: string | undefined;
  const removeCerts = () => certDir && rmSync(certDir, { recursive: true, force: true });
  try {
    // The stack's key, and the control plane's own (a client of the same provider).
    const rpcHeaders: Record<string, string> = opts.rpcApiKey ? { "x-api-key": opts.rpcApiKey } : {};
    const cpHeaders: Record<string, string> = opts.rpcApiKey ? { "x-api-key": `control-plane-${randomBytes(12).toString("hex")}` } : {};
    certDir = opts.tls ? mkdtempSync(join(tmpdir(), "k3s-daas-devnet-ca-")) : undefined;
    const certs = certDir ? makeCertificates(certDir, hosts.bridgeIp) : undefined;
    const caPem = certs ? readFileSync(certs.ca, "utf8") : undefined;
    devnet = await startDevnet({
      host: hosts.bridgeIp, port: opts.devnetPort ?? 0, lockEpochs: opts.lockEpochs ?? 1, withdrawalCooldownEpochs: opts.withdrawalCooldownEpochs ?? 0, requireHeaders: [rpcHeaders, cpHeaders],
      ...(certs ? { tls: { key: certs.key, cert: certs.cert } } : {}),
    });
    const images = await ensureImages();
    controlPlane = await startControlPlane({
      host: hosts.bridgeIp,
      port: opts.controlPlanePort ?? 0,
      chainUrl: devnet.url,
      chainHeaders: cpHeaders,
      ids: devnet.ids,
      adminSecretKey: devnet.adminSecretKey,
      log: () => {},
      // Removed with the hosts' run directory on stop (after the control plane has stopped).
      kubernetes: {
        binary: hosts.setup.k3sBinary,
        supervisorHost: hosts.bridgeIp,
        supervisorPort: opts.supervisorPort ?? 6443,
        dataDir: join(hosts.runDir, "control-plane"),
      },
    });
    const kubernetes = controlPlane.kubernetes!;
    const wallet = Ed25519Keypair.generate();
    await devnet.faucet(wallet.toSuiAddress(), 1000n * 1_000_000_000n);
    const d = devnet;
    const cp = controlPlane;
    return {
      hosts,
      devnet: d,
      controlPlane: cp,
      kubernetes,
      images,
      wallet,
      rpcHeaders,
      rotateRpcApiKey(key) {
        rpcHeaders["x-api-key"] = key;
        d.setRequiredHeaders([rpcHeaders, cpHeaders]);
      },
      stackConfig(o = {}) {
        const names = o.hostNames ?? hosts.hosts.map((h) => h.name);
        const json = (v: unknown) => ({ value: JSON.stringify(v) });
        return {
          network: json({ rpcUrl: d.tlsUrl ?? d.url, packageId: d.ids.packageId, poolId: d.ids.poolId, registryId: d.ids.registryId }),
          ...(caPem ? { rpcCaCertificates: { value: caPem } } : {}),
          walletKey: { value: wallet.getSecretKey(), secret: true },
          ...(opts.rpcApiKey ? { rpcHeaders: { value: JSON.stringify(rpcHeaders), secret: true } } : {}),
          sshPrivateKey: { value: hosts.hosts[0]!.privateKey, secret: true },
          stakePerNodeSui: { value: "2" },
          k3s: json({
            serverUrl: kubernetes.supervisorUrl,
            binUrl: hosts.k3sBinaryUrl,
            // An http mirror must name the binary's sha256 (the host checks it).
            binSha256: hosts.k3sSha256For(STANDIN_VERSIONS[0]),
            images: (o.images ?? ["pause"]).map((i) => images[i].tarball),
          }),
          k3sToken: { value: kubernetes.k3sToken, secret: true },
          // Pinned in every agent: the stand-in's key, as an operator pins their control plane's.
          controlPlanePublicKey: { value: cp.publicKey },
          aptSource: { value: hosts.aptSourcesLine },
          heartbeatIntervalMs: json(o.heartbeatIntervalMs ?? 3000),
          allowUnreachableHost: json(o.allowUnreachableHost ?? false),
          healthTimeoutSeconds: json(120),
          hosts: json(hosts.hosts.filter((h) => names.includes(h.name)).map((h) => ({ name: h.name, address: h.ip, ...(h.user !== "root" ? { user: h.user } : {}) }))),
        };
      },
      async stop() {
        await cp.close().catch(() => {});
        await d.close().catch(() => {});
        await hosts.stop();
        removeCerts();
      },
    };
  } catch (err) {
    await controlPlane?.close().catch(() => {});
    await devnet?.close().catch(() => {});
    await hosts.stop();
    removeCerts();
    throw err;
  }
}
