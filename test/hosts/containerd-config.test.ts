// configure-containerd.sh on a real host (systemd-nspawn, Debian's containerd from the local
// package source), run with exactly what StakedWorker sends (remote-scripts.ts, containerd-config.ts):
// stock containerd -> containerd's own view (`containerd config dump`) has k3s's CNI dirs, the
// sandbox image and cgroupfs; a rerun restarts nothing and imports nothing; an image tarball
// (devnet/images' pause image) is imported into k8s.io; a hand edit is seen by HostState's read
// and diff and put back by its repair; a config containerd cannot start on is rolled back; the
// uninstall restores Debian's file.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { NodeSSH } from "node-ssh";
import { startHosts, type Hosts } from "../../devnet/hosts";
import { ensureImages, type BuiltImage } from "../../devnet/images";
import * as ctrd from "../../src/components/containerd-config";
import * as S from "../../src/components/remote-scripts";
import { hostStateProvider, putBackContainerdConfig, type HostStateInputs, type HostStateOutputs } from "../../src/components/runtime/host-state";
import { scanHostKey, withSsh } from "../../src/components/runtime/ssh";
import { connect, ok, sh } from "./helpers";

const PREFIX = "ctd";
const ROOT = join(__dirname, "..", "..");
const SCRIPT = join(ROOT, "src", "components", "scripts", "configure-containerd.sh");
const SCRIPT_SHA = createHash("sha256").update(readFileSync(SCRIPT)).digest("hex");
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

describe("configure-containerd.sh on a real host", { timeout: 900_000 }, () => {
  let hs: Hosts;
  let ssh: NodeSSH;
  let pause: BuiltImage;
  let stockSha = "";
  const registries: ctrd.Registries = { mirrors: { "docker.io": { endpoint: ["http://10.99.47.1:5000"] } }, configs: { "10.99.47.1:5000": { tls: { insecure_skip_verify: true } } } };
  const hosts = ctrd.renderRegistryHosts(registries);
  const config = ctrd.renderContainerdConfig({ pauseImage: ctrd.DEFAULT_PAUSE_IMAGE, cniBinDir: ctrd.k3sCniBinDir("v1.31.4+k3s1"), registryHosts: true });
  let manifest = "";

  /** What StakedWorker's runtime-config step runs, with its stdin. */
  const apply = (stdin = manifest) => sh(ssh, S.configureContainerRuntime("containerd", SCRIPT_SHA), stdin);
  const mainPid = async () => (await ok(ssh, "systemctl show -p MainPID --value containerd")).trim();
  const dump = () => ok(ssh, "containerd config dump");

  before(async () => {
    pause = (await ensureImages()).pause;
    hs = await startHosts({ count: 1, namePrefix: PREFIX, subnet: "10.99.47.0/24", log: (m) => console.log(`# ${m}`) });
    ssh = await connect(hs.hosts[0]!);
    // As the container-runtime step does: Debian's containerd from the local package source.
    await ok(ssh, S.installContainerRuntime("containerd", hs.aptSourcesLine));
    await ok(ssh, S.probeHost("root", { airgapImages: true }));
    await ok(ssh, `cat > ${S.RUNTIME_CONFIGURER}`, readFileSync(SCRIPT, "utf8"));
    await ssh.putFile(pause.tarball, `${S.AIRGAP_IMAGES_DIR}/pause.tar`);
    manifest = ctrd.runtimeSetupManifest({
      runtime: "containerd",
      containerdConfig: config,
      registryHosts: hosts,
      registriesYaml: ctrd.renderRegistriesYaml(registries),
      images: [{ file: "pause.tar", sha256: createHash("sha256").update(readFileSync(pause.tarball)).digest("hex") }],
    });
  });

  after(async () => {
    ssh?.dispose();
    await hs?.stop();
  });

  test("stock Debian containerd: its own CNI dirs and sandbox image, no image in k8s.io", async () => {
    const d = await dump();
    assert.match(d, /bin_dir = "\/usr\/lib\/cni"/);
    assert.match(d, /conf_dir = "\/etc\/cni\/net\.d"/);
    assert.match(d, /sandbox_image = "registry\.k8s\.io\/pause:3\.6"/);
    assert.equal((await ok(ssh, "ctr -n k8s.io images ls -q")).trim(), "");
    stockSha = (await ok(ssh, "sha256sum /etc/containerd/config.toml")).split(" ")[0]!;
  });

  test("after the script: containerd (restarted) has k3s's CNI dirs, the pause image and cgroupfs; mirrors and the image are in place", async () => {
    const before = await mainPid();
    const r = await apply();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /containerd: kept the original as \/etc\/containerd\/config\.toml\.k3s-daas-orig/);
    assert.match(r.stdout, /containerd: restarted/);
    assert.match(r.stdout, /image pause\.tar: imported docker\.io\/rancher\/mirrored-pause:3\.6/);
    assert.equal(r.stdout.trim().split("\n").pop(), `containerd-config-sha256 ${sha256(config)}`, "the sha HostState compares");
    assert.notEqual(await mainPid(), before, "restarted on the new file");
    // containerd's own reading of the file, not ours.
    const d = await dump();
    assert.match(d, /bin_dir = "\/var\/lib\/rancher\/k3s\/data\/cni"/);
    assert.match(d, /conf_dir = "\/var\/lib\/rancher\/k3s\/agent\/etc\/cni\/net\.d"/);
    assert.match(d, /sandbox_image = "docker\.io\/rancher\/mirrored-pause:3\.6"/);
    assert.match(d, /SystemdCgroup = false/);
    assert.match(d, /config_path = "\/etc\/containerd\/certs\.d"/);
    assert.match(d, /\[plugins\."io\.containerd\.internal\.v1\.opt"\]\n\s+path = "\/var\/lib\/containerd\/opt"/, "Debian's state dir kept");
    assert.match(await ok(ssh, "ctr plugins ls"), /io\.containerd\.grpc\.v1\s+cri\s+\S+\s+ok/, "the CRI plugin loaded the config");
    assert.equal((await ok(ssh, "sha256sum /etc/containerd/config.toml.k3s-daas-orig")).split(" ")[0], stockSha, "Debian's file kept as it was");
    assert.equal(await ok(ssh, "cat /etc/containerd/certs.d/docker.io/hosts.toml"), hosts["docker.io"]!.trimEnd());
    assert.match(await ok(ssh, "cat /etc/rancher/k3s/registries.yaml"), /mirrors:\n {2}"docker\.io":\n {4}endpoint:\n {6}- "http:\/\/10\.99\.47\.1:5000"/);
    // Imported into the namespace the kubelet's CRI uses, unpacked for its snapshotter.
    assert.match(await ok(ssh, "ctr -n k8s.io images ls"), /^docker\.io\/rancher\/mirrored-pause:3\.6\s/m);
    assert.match(await ok(ssh, "ctr -n k8s.io images check"), /docker\.io\/rancher\/mirrored-pause:3\.6.*complete/);
  });

  test("a second run restarts nothing and imports nothing", async () => {
    const pid = await mainPid();
    const since = await ok(ssh, "systemctl show -p ActiveEnterTimestamp --value containerd");
    const r = await apply();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /containerd: unchanged/);
    assert.match(r.stdout, /image pause\.tar: unchanged \(docker\.io\/rancher\/mirrored-pause:3\.6\)/);
    assert.ok(!/restarted|imported|wrote/.test(r.stdout), r.stdout);
    assert.equal(await mainPid(), pid);
    assert.equal(await ok(ssh, "systemctl show -p ActiveEnterTimestamp --value containerd"), since);
    // An image removed behind our back is imported again, though the tarball did not change.
    await ok(ssh, "ctr -n k8s.io images rm docker.io/rancher/mirrored-pause:3.6");
    const again = await apply();
    assert.match(again.stdout, /image pause\.tar: imported docker\.io\/rancher\/mirrored-pause:3\.6/);
    assert.match(again.stdout, /containerd: unchanged/);
  });

  test("a hand edit: HostState's read reports it, its diff wants an update, its repair puts the file back", async () => {
    const h = hs.hosts[0]!;
    const inputs: HostStateInputs = {
      host: h.ip, port: h.port, user: h.user, privateKey: h.privateKey, hostKey: await scanHostKey(h.ip, h.port, "ssh-ed25519"),
      allowUnreachableHost: false, connectRetries: 2, nodeId: "ctd-worker", agentPort: 9443,
      bundleSha256: "0".repeat(64), bundlePath: "/nonexistent/agent.js", configSha256: "0".repeat(64), removeContainerd: false,
      containerPackage: "containerd", containerdConfig: config, healthTimeoutSeconds: 5, k3sVersion: "", nodeVersion: "",
      rolloutFleet: "ctd", maxUnavailable: 1, rolloutDigest: "0".repeat(64),
    };
    // The host has no agent: count it active, so the diff answers for the config alone.
    const readBack = async () => ({ ...((await hostStateProvider.read("ctd-worker@host", inputs as HostStateOutputs)).props as HostStateOutputs), agentActive: true });
    const clean = await readBack();
    assert.equal(clean.hostContainerdConfigSha256, sha256(config));
    assert.equal((await hostStateProvider.diff("id", clean, inputs)).changes, false, "no drift: no update");

    await ok(ssh, `sed -i 's#docker.io/rancher/mirrored-pause:3.6#registry.k8s.io/pause:3.9#' /etc/containerd/config.toml && systemctl restart containerd`);
    const edited = await readBack();
    assert.notEqual(edited.hostContainerdConfigSha256, sha256(config), "refresh sees the edit");
    assert.equal((await hostStateProvider.diff("id", edited, inputs)).changes, true, "the next up updates the host state");

    const pid = await mainPid();
    await withSsh(inputs, 2, (run) => putBackContainerdConfig(inputs, run));
    assert.equal((await ok(ssh, "sha256sum /etc/containerd/config.toml")).split(" ")[0], sha256(config));
    assert.match(await dump(), /sandbox_image = "docker\.io\/rancher\/mirrored-pause:3\.6"/);
    assert.notEqual(await mainPid(), pid, "containerd restarted on the file put back");
    assert.equal((await hostStateProvider.diff("id", await readBack(), inputs)).changes, false);
    assert.equal((await ok(ssh, "sha256sum /etc/containerd/config.toml.k3s-daas-orig")).split(" ")[0], stockSha, "the original kept is still Debian's");
  });

  test("a config containerd cannot start on: the previous one back, containerd running, the failure names its log", async () => {
    const broken = `${ctrd.MANAGED_HEADER}\nversion = 2\n[plugins."io.containerd.grpc.v1.cri"\n`;
    const r = await sh(ssh, S.repairContainerdConfig(), `config ${Buffer.from(broken).toString("base64")}\n`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /containerd did not start with the new \/etc\/containerd\/config\.toml \(the previous one is back\)/);
    assert.match(r.stderr, /failed to load TOML/, "containerd's own words");
    assert.equal((await ok(ssh, "sha256sum /etc/containerd/config.toml")).split(" ")[0], sha256(config));
    assert.equal((await ok(ssh, "systemctl is-active containerd")).trim(), "active");
    // A file without our header is never written.
    const foreign = await sh(ssh, S.repairContainerdConfig(), `config ${Buffer.from("version = 2\n").toString("base64")}\n`);
    assert.match(foreign.stderr, /not a k3s-daas managed file/);
  });

  test("a tarball no longer listed: its file goes, its image stays until uninstall; the uninstall restores Debian's containerd", async () => {
    const r = await apply(ctrd.runtimeSetupManifest({ runtime: "containerd", containerdConfig: config, registryHosts: {}, images: [] }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /image pause\.tar: no longer listed, tarball removed/);
    assert.match(r.stdout, /registry docker\.io: hosts\.toml removed/);
    assert.equal((await sh(ssh, `test -e ${S.AIRGAP_IMAGES_DIR}/pause.tar`)).code, 1);
    assert.equal((await sh(ssh, "test -e /etc/rancher/k3s/registries.yaml")).code, 1);
    assert.match(await ok(ssh, "ctr -n k8s.io images ls -q"), /docker\.io\/rancher\/mirrored-pause:3\.6/);

    const restore = await sh(ssh, S.restoreContainerRuntime("containerd"));
    assert.equal(restore.code, 0, restore.stderr);
    assert.equal((await ok(ssh, "sha256sum /etc/containerd/config.toml")).split(" ")[0], stockSha);
    const left = await ok(ssh, "for f in /etc/containerd/config.toml.k3s-daas-orig /etc/containerd/certs.d /var/lib/k3s-daas/runtime-images; do [ -e $f ] && echo $f; done; true");
    assert.equal(left.trim(), "");
    assert.equal((await ok(ssh, "ctr -n k8s.io images ls -q")).trim(), "", "the images we imported are gone");
    assert.match(await dump(), /bin_dir = "\/usr\/lib\/cni"/, "containerd restarted on Debian's file");
  });
});
