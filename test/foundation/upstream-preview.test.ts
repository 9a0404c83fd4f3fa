// What every user with internet runs is upstream @pulumi/command 1.2.1, whose CopyToRemote check
// refuses a `source` not known at preview (pulumi/pulumi-command#754): `pulumi preview`, and
// `pulumi up` (which previews first), fail on a fresh stack. toolchain's provider fails the same
// way, so these tests catch it: a fixture program with a computed source fails exactly as
// upstream does, and the real program, on a fresh stack with no earlier state, previews cleanly.
// (Run with PULUMI_HOME pointing at an upstream build of the provider, the same tests pass.)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { startSshd, type Sshd } from "../support/sshd";
import { createTestStack } from "../support/engine";

const root = resolve(__dirname, "../..");
let sshd: Sshd;
let workDir: string;

before(async () => {
  sshd = await startSshd();
  workDir = mkdtempSync(join(tmpdir(), "k3s-daas-unknown-asset-"));
});

after(async () => {
  await sshd?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** Upstream's failure, as the engine prints it, for a CopyToRemote named `name`. */
const upstreamFailure = (name: string) =>
  `command:remote:CopyToRemote resource '${name}': property asset value {<nil>} has a problem: either asset or archive must be set`;

test("a fresh stack's preview fails exactly as upstream fails for a source unknown at preview", async () => {
  const ts = await createTestStack(resolve(__dirname, "../fixtures/unknown-asset-program"), {
    workDir: { value: workDir },
    sshHost: { value: sshd.host },
    sshPort: { value: String(sshd.port) },
    sshUser: { value: sshd.user },
    sshPrivateKey: { value: sshd.privateKey, secret: true },
  });
  try {
    const err = await ts.stack.preview().then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(err, "preview must fail");
    assert.ok(err.message.includes(upstreamFailure("computed-upload")), err.message);
    assert.deepEqual(readdir(workDir), [], "nothing reached the host");
    // (`pulumi up` previews first and stops there the same way; the Automation API's up skips
    // that preview, so it is not what a user at a terminal sees and is not asserted here.)
  } finally {
    await ts.dispose();
  }
});

test("the real program on a fresh stack previews every worker without that failure", async () => {
  const keyDir = mkdtempSync(join(tmpdir(), "k3s-daas-preview-"));
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "preview", "-f", join(keyDir, "id")]);
  const json = (v: unknown) => ({ value: JSON.stringify(v) });
  const ts = await createTestStack(
    root,
    {
      network: json({ rpcUrl: "http://127.0.0.1:9", packageId: "0x1", poolId: "0x2", registryId: "0x3" }),
      walletKey: { value: Ed25519Keypair.generate().getSecretKey(), secret: true },
      sshPrivateKey: { value: readFileSync(join(keyDir, "id"), "utf8"), secret: true },
      stakePerNodeSui: { value: "2" },
      k3s: json({ serverUrl: "https://127.0.0.1:6443", binUrl: "http://127.0.0.1/k3s" }),
      k3sToken: { value: "K10preview::server:previewtoken", secret: true },
      // Preview connects to no host: TEST-NET addresses, a root and a sudo user.
      hosts: json([
        { name: "w1", address: "192.0.2.10" },
        { name: "w2", address: "192.0.2.11", user: "ubuntu" },
      ]),
    },
    "upstreampreview",
    resolve(root, "stacks/Pulumi.upstreampreview.yaml"),
  );
  try {
    const preview = await ts.stack.preview();
    const out = preview.stdout + preview.stderr;
    assert.ok(!out.includes("either asset or archive must be set"), out);
    assert.ok((preview.changeSummary.create ?? 0) >= 30, JSON.stringify(preview.changeSummary));
    // Trust on first use is visible: each host's key is a resource to be created.
    assert.equal((out.match(/k3s-daas:HostKey/g) ?? []).length >= 2 || /HostKey/.test(out), true, out);
  } finally {
    await ts.dispose();
    rmSync(keyDir, { recursive: true, force: true });
  }
});

function readdir(dir: string): string[] {
  return require("node:fs").readdirSync(dir) as string[];
}
