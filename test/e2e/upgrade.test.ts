// End to end: a running fleet provisioned by an earlier release of this project, upgraded by
// `pulumi up` with this one, as an operator upgrades. The earlier release is main as the issue-23
// review found it (68a4e6a): its agents ask for v1 replies (not bound to the request), it has no
// managed containerd config and no wait for the Kubernetes Node, and it never heard of the pinned
// control-plane key. Its program is taken from git history (`git archive`), never from a copy in
// the repository, and run by the real engine against the same hosts, chain and control plane;
// then this checkout's program takes over the same stack (same state backend). Shown: the up
// succeeds, every worker keeps its stake record and seal token (nothing is replaced, nothing is
// withdrawn), the agents run this release's bundle and speak reply v2, every Node is Ready, and
// destroy afterwards gives every stake back.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { LocalWorkspace, PulumiCommand, type ConfigMap, type EngineEvent, type Stack } from "@pulumi/pulumi/automation";
import { startFleetEnv, type FleetEnv } from "../../devnet/local-stack/fleet-env";
import { createSuiClient, readSealToken, readStakeRecord } from "../../src/sui";
import { createTestStack, type TestStack } from "../support/engine";
import { kubectl, readyCondition } from "../support/kubectl";

const root = resolve(__dirname, "../..");
/** The earlier release: main at the adversarial review of issue 23. */
const OLD_REV = "68a4e6a";
const STACK = "upgrade";
let env: FleetEnv;
let oldDir = "";
let oldStack: TestStack;
let newStack: Stack | undefined;
type WorkerOut = { endpoint: string; stakeId: string; stakeStatus: string; sealTokenId: string; sealStatus: string };
let before1: Record<string, WorkerOut> = {};

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** The stack config the earlier release understands: the keys it had (k3s.images and the pinned key came later). */
function oldConfig(full: ConfigMap): ConfigMap {
  const { controlPlanePublicKey: _pin, ...rest } = full;
  const { images: _images, ...k3s } = JSON.parse(rest.k3s!.value) as Record<string, unknown>;
  return { ...rest, k3s: { value: JSON.stringify(k3s) } };
}

async function health(w: WorkerOut): Promise<{ status: number; body: Record<string, any> }> {
  const r = await fetch(`${w.endpoint}/health`);
  return { status: r.status, body: (await r.json()) as Record<string, any> };
}

before(async () => {
  env = await startFleetEnv({ count: 2, namePrefix: "upg", subnet: "10.95.0.0/24", lockEpochs: 1 });
  // The earlier release's sources, from history (the clone CI runs on has it), beside this one's
  // node_modules (its package-lock is the same).
  oldDir = mkdtempSync(join(tmpdir(), "k3s-daas-old-release-"));
  execFileSync("sh", ["-c", `git -C '${root}' archive ${OLD_REV} | tar -x -C '${oldDir}'`]);
  // The same dependencies (the project's own version may differ): one node_modules serves both.
  const deps = (text: string) => {
    const lock = JSON.parse(text) as { version?: string; packages: Record<string, { version?: string }> };
    return Object.fromEntries(Object.entries(lock.packages).filter(([path]) => path !== ""));
  };
  const oldLock = execFileSync("git", ["-C", root, "show", `${OLD_REV}:package-lock.json`], { encoding: "utf8", maxBuffer: 64 << 20 });
  assert.deepEqual(deps(oldLock), deps(readFileSync(join(root, "package-lock.json"), "utf8")), "the earlier release's dependencies are this one's");
  symlinkSync(join(root, "node_modules"), join(oldDir, "node_modules"));
  oldStack = await createTestStack(oldDir, oldConfig(env.stackConfig()), STACK);
});

after(async () => {
  try {
    // One stack, two workspaces: whichever removes it first, the other finds it gone.
    if (newStack) await newStack.workspace.removeStack(STACK, { force: true });
    await oldStack?.dispose().catch((err: Error) => {
      if (!(newStack && /no stack named/.test(String(err)))) throw err;
    });
  } finally {
    rmSync(join(root, "stacks", `Pulumi.${STACK}.yaml`), { force: true });
    if (oldDir) rmSync(oldDir, { recursive: true, force: true });
    await env?.stop();
  }
});

test(`the earlier release (${OLD_REV}) provisions the fleet: its agents heartbeat with v1 replies`, async () => {
  const up = await oldStack.stack.up({ onOutput: (s) => process.env.E2E_VERBOSE && process.stdout.write(s) });
  assert.equal(up.summary.result, "succeeded");
  before1 = up.outputs.workers!.value as Record<string, WorkerOut>;
  assert.deepEqual(Object.keys(before1).sort(), ["upg-1", "upg-2"]);
  const oldBundle = sha256(join(oldDir, "dist", "agent", "agent.js"));
  for (const [name, w] of Object.entries(before1)) {
    const h = await health(w);
    assert.equal(h.status, 200, `${name} healthy on the earlier release`);
    assert.equal(h.body.bundle_sha256, oldBundle, `${name} runs the earlier release's agent`);
    assert.equal(h.body.node, undefined, "that agent knew nothing of the Kubernetes Node");
  }
  const cpWorkers = env.controlPlane.workers();
  for (const name of Object.keys(before1)) assert.equal(cpWorkers.find((w) => w.node_id === name)?.reply_version, 1, `${name} asks for v1 replies`);
});

test("pulumi up with this release upgrades the running fleet in place: same stakes and tokens, new agents on reply v2, every Node Ready", async () => {
  // This checkout's program takes over the stack: the same backend, and the stack's settings file
  // (with its encryption salt) as the earlier checkout left it, then this release's config.
  copyFileSync(join(oldDir, "stacks", `Pulumi.${STACK}.yaml`), join(root, "stacks", `Pulumi.${STACK}.yaml`));
  const pulumiCommand = await PulumiCommand.get({ root: resolve(process.env.K3S_DAAS_PULUMI_BIN!, "..") });
  newStack = await LocalWorkspace.selectStack({ stackName: STACK, workDir: root }, {
    pulumiCommand,
    envVars: {
      PULUMI_BACKEND_URL: `file://${oldStack.backendDir}`, PULUMI_CONFIG_PASSPHRASE: "test-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    },
  });
  await newStack.setAllConfig(env.stackConfig());
  const replaced: string[] = [];
  const up = await newStack.up({
    onOutput: (s) => process.env.E2E_VERBOSE && process.stdout.write(s),
    onEvent: (e: EngineEvent) => {
      const m = e.resOutputsEvent?.metadata;
      if (m && (m.op === "replace" || m.op === "create-replacement")) replaced.push(`${m.type} ${m.urn.split("::").pop()}`);
    },
  });
  assert.equal(up.summary.result, "succeeded");
  // Only uploads are replaced (a CopyToRemote replaces its file when the source changes: the new
  // agent bundle and installer); no stake, token, host or step of the chain is.
  assert.deepEqual(replaced.filter((r) => !r.startsWith("command:remote:CopyToRemote ")), [], `replaced: ${replaced.join(", ")}`);

  const now = up.outputs.workers!.value as Record<string, WorkerOut>;
  const newBundle = sha256(join(root, "dist", "agent", "agent.js"));
  const client = createSuiClient(env.devnet.url);
  for (const [name, w] of Object.entries(now)) {
    assert.equal(w.stakeId, before1[name]!.stakeId, `${name} keeps its stake record`);
    assert.equal(w.sealTokenId, before1[name]!.sealTokenId, `${name} keeps its seal token`);
    const rec = (await readStakeRecord(client, w.stakeId, env.devnet.ids.packageId))!;
    assert.deepEqual([rec.status, rec.amountMist], ["active", 2_000_000_000n], `${name}'s stake is untouched`);
    const h = await health(w);
    assert.equal(h.status, 200, `${name} healthy`);
    assert.equal(h.body.bundle_sha256, newBundle, `${name} runs this release's agent`);
    assert.equal(h.body.node?.ready, true, `${name}'s Node is Ready: ${JSON.stringify(h.body.node)}`);
  }
  const cpWorkers = env.controlPlane.workers();
  for (const name of Object.keys(now)) {
    const w = cpWorkers.find((x) => x.node_id === name)!;
    assert.equal(w.reply_version, 2, `${name} now asks for replies bound to its requests`);
    assert.ok(w.heartbeats > 0);
  }
  const nodes = await kubectl(env.hosts.setup.k3sBinary, env.kubernetes.adminKubeconfig).json<{ items: { metadata: { name: string } }[] }>(["get", "nodes"]);
  for (const name of Object.keys(now)) {
    const n = nodes.items.find((i) => i.metadata.name === name);
    assert.equal(n && readyCondition(n as never)?.status, "True", `Node ${name} Ready`);
  }
});

test("destroy after the upgrade gives every stake back and revokes every token", async () => {
  env.devnet.advanceEpoch(2);
  await newStack!.destroy();
  const client = createSuiClient(env.devnet.url);
  for (const w of Object.values(before1)) {
    assert.equal((await readStakeRecord(client, w.stakeId, env.devnet.ids.packageId))?.status, "withdrawn");
    assert.equal(await readSealToken(client, w.sealTokenId, env.devnet.ids.packageId), null);
  }
});
