// What a worker is to run, worked out before any resource exists: the files and their digests,
// the container runtime's set-up, the k3s install command and the agent's config around the ids
// the chain steps give. The rollout gate is keyed by these; the steps put them on the host.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { k3sDownloadUrl } from "../../settings";
import { sameOrigin } from "../../sui/headers";
import * as ctrd from "../containerd-config";
import * as scripts from "../remote-scripts";
import { sha256, type Worker } from "./context";

export interface ImageUpload {
  readonly path: string;
  readonly file: string;
  readonly sha256: string;
}

export interface Desired {
  readonly images: readonly ImageUpload[];
  readonly nodeVersion: string;
  readonly bundleSha: string;
  readonly unitSha: string;
  readonly installerSha: string;
  readonly configurerSha: string;
  /** containerd's config.toml when the install manages it, else "". */
  readonly containerdConfig: string;
  /** configure-containerd.sh's stdin. */
  readonly runtimeSetup: string;
  readonly k3sBinUrl: string;
  readonly k3sInstall: string;
  /** The headers the agents send to their RPC node, if any. */
  readonly agentHeaders: Readonly<Record<string, string>> | undefined;
  /** The agent's config before and after the chain ids. */
  readonly configHead: Record<string, unknown>;
  readonly configTail: Record<string, unknown>;
}

/** The headers the agents send: given, or the controller's when the agents use the same endpoint. */
export function agentRpcHeaders(s: {
  readonly network: { readonly rpcUrl: string; readonly agentRpcUrl?: string };
  readonly rpcHeaders?: Readonly<Record<string, string>>;
  readonly agentRpcHeaders?: Readonly<Record<string, string>>;
}): Readonly<Record<string, string>> | undefined {
  const n = s.network;
  const h = s.agentRpcHeaders ?? (n.agentRpcUrl === undefined || sameOrigin(n.rpcUrl, n.agentRpcUrl) ? s.rpcHeaders : undefined);
  return h && Object.keys(h).length > 0 ? h : undefined;
}

export function desiredState(w: Worker): Desired {
  const { s, assets, runtime } = w;
  const k3sBinUrl = k3sDownloadUrl(s.k3s);
  // What the container runtime needs before k3s starts (containerd-config.ts says why): for
  // containerd a managed config.toml (CNI dirs as k3s lays them out for the release, the pause
  // image, cgroupfs) and the registry mirrors; for docker (k3s's --docker runs cri-dockerd on
  // docker) no containerd config at all, k3s gets --pause-image instead. Either way the image
  // tarballs are imported.
  const images = s.k3s.images.map((p) => ({ path: p, file: basename(p), sha256: sha256(readFileSync(p)) }));
  const pauseImage = ctrd.normalizeImageRef(s.k3s.pauseImage)!;
  const registryHosts = runtime === "containerd" ? ctrd.renderRegistryHosts(s.k3s.registries) : {};
  const managed = runtime === "containerd" && s.k3s.manageContainerdConfig;
  const containerdConfig =
    managed ? ctrd.renderContainerdConfig({ pauseImage, cniBinDir: ctrd.k3sCniBinDir(s.k3s.version), registryHosts: Object.keys(registryHosts).length > 0 }) : "";
  const runtimeSetup = ctrd.runtimeSetupManifest({
    runtime,
    ...(managed ? { containerdConfig } : {}),
    registryHosts,
    ...(runtime === "containerd" && s.k3s.registries ? { registriesYaml: ctrd.renderRegistriesYaml(s.k3s.registries) } : {}),
    images,
  });
  const k3sInstall = scripts.installK3sAgent({
    serverUrl: s.k3s.serverUrl,
    nodeId: w.nodeId,
    binUrl: k3sBinUrl,
    binSha256: s.k3s.binSha256,
    version: s.k3s.version,
    runtime,
    pauseImage: runtime === "docker" ? pauseImage : undefined,
    extraArgs: s.k3s.extraArgs,
  });
  // The agents' RPC headers (an API key) live in their own root-only file on the host, named by
  // the config: the config stays free of secrets, so its digest can show in preview.
  const agentHeaders = agentRpcHeaders(s);
  const n = s.network;
  const configHead = {
    nodeId: w.nodeId,
    sui: {
      rpcUrl: n.agentRpcUrl ?? n.rpcUrl, transport: n.transport,
      packageId: n.packageId, poolId: n.poolId, registryId: n.registryId,
      ...(agentHeaders ? { headersFile: scripts.AGENT_RPC_HEADERS } : {}),
      ...(s.rpcCaCertificates ? { caCertificates: s.rpcCaCertificates } : {}),
      ...(n.confirmRpcUrls.length ? { confirmSources: n.confirmRpcUrls.map((rpcUrl) => ({ rpcUrl })) } : {}),
      ...(n.confirmQuorum !== undefined ? { confirmQuorum: n.confirmQuorum } : {}),
    },
  };
  const configTail = {
    ...(s.controlPlaneEndpoint || s.controlPlanePublicKey
      ? { controlPlane: { ...(s.controlPlaneEndpoint ? { endpoint: s.controlPlaneEndpoint } : {}), ...(s.controlPlanePublicKey ? { publicKey: s.controlPlanePublicKey } : {}) } }
      : {}),
    k3s: { manager: "systemd", unit: "k3s-agent.service" },
    containerRuntime: { type: runtime, ...(runtime === "containerd" ? { socket: scripts.CONTAINERD_SOCKET } : {}) },
    heartbeat: { intervalMs: s.heartbeatIntervalMs },
    api: { host: "0.0.0.0", port: s.agentPort, ...(s.operatorKeys.length ? { operatorKeys: [...s.operatorKeys] } : {}) },
  };
  return {
    images,
    nodeVersion: s.nodeVersion ?? assets.pinnedNodeVersion,
    bundleSha: sha256(readFileSync(assets.agentBundle)),
    unitSha: sha256(readFileSync(assets.agentUnit)),
    installerSha: sha256(readFileSync(assets.k3sInstaller)),
    configurerSha: sha256(readFileSync(assets.runtimeConfigurer)),
    containerdConfig,
    runtimeSetup,
    k3sBinUrl,
    k3sInstall,
    agentHeaders,
    configHead,
    configTail,
  };
}
