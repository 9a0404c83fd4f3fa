// The stack configs whose meaning must not change between releases (test/components/
// stack-meaning.test.ts): the dev stack as `npm run dev` completes it, the testnet example as
// shipped and with its commented keys set, and one that sets every key the program knows. Secrets
// are made at run time (makeSecrets) and stand in the records as placeholders; ids are fixed fakes,
// so that the recorded resources are the same on every machine.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { runtimeSshKey } from "./keys";

// js-yaml comes with @pulumi/pulumi (no types of its own here).
const { load } = require("js-yaml") as { load(text: string): unknown };

const P = "k3s-daas-fleet";
const ROOT = join(__dirname, "..", "..");
const id = (c: string) => "0x" + c.repeat(64);
const K3S_TOKEN = "K10stackmeaning::server:stackmeaningtoken";
const CP_KEY = "A".repeat(42) + "E=";
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHN0YWNrLW1lYW5pbmctdGVzdC1ob3N0LWtleS0wMQ==";

/** The stack file's config, as `pulumi config` hands it to the program (objects as JSON). */
export function stackFileConfig(file: string): Record<string, string> {
  const doc = load(readFileSync(join(ROOT, "stacks", file), "utf8")) as { config: Record<string, unknown> };
  return Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

const json = (v: unknown) => JSON.stringify(v);
const key = (k: string) => `${P}:${k}`;
const bag = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [key(k), typeof v === "string" ? v : json(v)]));

/** Image tarballs the configs name, made in `dir` (their contents are fixed, so are their digests). */
export function makeImages(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return ["pause.tar", "workload.tar"].map((f) => {
    writeFileSync(join(dir, f), `stack-meaning image ${f}\n`);
    return join(dir, f);
  });
}

/** The keys the configs use, made now: the records name them by placeholder. */
export interface StackMeaningSecrets {
  readonly walletKey: string;
  readonly sshPrivateKey: string;
}
export function makeSecrets(): StackMeaningSecrets {
  return { walletKey: Ed25519Keypair.generate().getSecretKey(), sshPrivateKey: runtimeSshKey().pem };
}

/** Name -> config bag. `imagesDir` holds the tarballs of makeImages. */
export function stackMeaningConfigs(imagesDir: string, keys: StackMeaningSecrets): Record<string, Record<string, string>> {
  const images = ["pause.tar", "workload.tar"].map((f) => join(imagesDir, f));
  const secrets = bag({ walletKey: keys.walletKey, sshPrivateKey: keys.sshPrivateKey, k3sToken: K3S_TOKEN });

  // What devnet/local-stack/configure.ts adds to stacks/Pulumi.dev.yaml once the local world runs.
  const dev = {
    ...stackFileConfig("Pulumi.dev.yaml"),
    ...bag({
      network: { rpcUrl: "http://10.99.0.1:9000", packageId: id("a"), poolId: id("b"), registryId: id("c") },
      hosts: [1, 2, 3].map((i) => ({ name: `worker-${i}`, address: `10.99.0.${10 + i}` })),
      k3s: { serverUrl: "https://10.99.0.1:6443", binUrl: "http://10.99.0.1:8081/k3s/v1.31.4+k3s1/k3s", binSha256: "e".repeat(64), images },
      aptSource: "deb [trusted=yes] http://10.99.0.1:8081/apt ./",
    }),
    ...secrets,
  };

  // The testnet example with its placeholders filled in.
  const example = stackFileConfig("Pulumi.testnet.example.yaml");
  const network = { ...(JSON.parse(example[key("network")]!) as Record<string, unknown>), packageId: id("1"), poolId: id("2"), registryId: id("3") };
  const testnet = { ...example, ...bag({ network, controlPlanePublicKey: CP_KEY }), ...secrets };
  // ... and with the keys it shows commented out.
  const k3s = JSON.parse(example[key("k3s")]!) as Record<string, unknown>;
  const testnetCommented = {
    ...testnet,
    ...bag({
      network: { ...network, confirmRpcUrls: ["https://fullnode.other.example:443"] },
      k3s: { ...k3s, binUrl: "http://mirror.internal/k3s/v1.31.4+k3s1/k3s", binSha256: "f".repeat(64) },
      aptSource: "deb [trusted=yes] http://mirror.internal/debian ./",
    }),
  };

  // Every key the program reads, each away from its default.
  const everyKey = {
    ...secrets,
    ...bag({
      network: {
        rpcUrl: "https://rpc.example.com", agentRpcUrl: "https://agents-rpc.example.com", transport: "jsonrpc",
        confirmRpcUrls: ["https://confirm-a.example.com", "https://confirm-b.example.com"], confirmQuorum: 2,
        packageId: id("d"), poolId: id("e"), registryId: id("f"),
      },
      rpcHeaders: { "x-api-key": "controller-key" },
      agentRpcHeaders: { "x-api-key": "agent-key" },
      rpcCaCertificates: readFileSync(join(ROOT, "test", "fixtures", "stack-meaning", "test-ca.pem"), "utf8"),
      stakePerNodeSui: "1.25",
      k3s: {
        serverUrl: "https://cp.example.com:6443", version: "v1.30.8+k3s1", binUrl: "https://mirror.example.com/k3s", binSha256: "d".repeat(64),
        extraArgs: ["--node-label=tier=gold", "--kubelet-arg=max-pods=50"], pauseImage: "registry.example.com/pause:3.9", images,
        registries: { mirrors: { "docker.io": { endpoint: ["https://mirror.example.com"] } }, configs: { "mirror.example.com": { tls: { insecure_skip_verify: true } } } },
        manageContainerdConfig: true,
      },
      nodeVersion: "22.20.0",
      containerRuntime: "containerd",
      aptSource: "deb [trusted=yes] http://apt.example.com ./",
      agentPort: 9555,
      controlPlaneEndpoint: "https://cp-agent.example.com:8443",
      controlPlanePublicKey: CP_KEY,
      heartbeatIntervalMs: 15000,
      operatorKeys: ["B".repeat(42) + "E=", "C".repeat(42) + "E="],
      parallelism: 2,
      maxUnavailable: 2,
      rolloutTimeoutSeconds: 900,
      sealTokenRenewEpochs: 7,
      allowWalletMigration: true,
      allowUnreachableHost: true,
      removeContainerRuntime: true,
      healthTimeoutSeconds: 240,
      hosts: [
        { name: "gold-1", address: "192.0.2.1", port: 2201, user: "admin", hostKey: HOST_KEY },
        { name: "gold-2", address: "192.0.2.2" },
        { name: "gold-3", address: "192.0.2.3", user: "ubuntu" },
      ],
    }),
  };
  // Docker instead of containerd (its own rules: no registries, --pause-image), config left to the operator.
  const docker = {
    ...dev,
    ...bag({ containerRuntime: "docker", k3s: { serverUrl: "https://10.99.0.1:6443", binUrl: "https://10.99.0.1:8443/k3s", pauseImage: "docker.io/library/pause:3.10", images, manageContainerdConfig: false } }),
  };
  return { dev, testnet, "testnet-commented": testnetCommented, "every-key": everyKey, docker };
}
