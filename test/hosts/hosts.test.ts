// Real test hosts (systemd-nspawn) end to end: boot, SSH, containerd from the local package
// source, the k3s agent installer with the stand-in, uninstall, hard kill, and full cleanup.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import type { NodeSSH } from "node-ssh";
import { readState, startHosts, type Hosts } from "../../devnet/hosts";
import { connect, leftovers, ok, sh } from "./helpers";

const PREFIX = "th";
const TOKEN = "K10e2b8a1c0ffee::server:9f1d5c3a7b2e4d6f8a0c1e3b5d7f9a1c";

describe("test hosts", { timeout: 600_000 }, () => {
  let hs: Hosts;
  const ssh: NodeSSH[] = [];
  let recordedPids: number[] = [];

  before(async () => {
    hs = await startHosts({ count: 2, namePrefix: PREFIX, subnet: "10.99.10.0/24", log: (m) => console.log(`# ${m}`) });
    const st = readState(PREFIX)!;
    recordedPids = [...st.hosts.map((h) => h.pid!), st.serverPid!];
    console.log(`# timings ${JSON.stringify(hs.timings)} boot per host ${hs.hosts.map((h) => h.bootMs).join(", ")} ms`);
    for (const h of hs.hosts) ssh.push(await connect(h));
  });

  after(async () => {
    for (const s of ssh) s.dispose();
    await hs?.stop();
  });

  test("API shape", () => {
    assert.equal(hs.hosts.length, 2);
    assert.equal(hs.bridgeIp, "10.99.10.1");
    for (const [i, h] of hs.hosts.entries()) {
      assert.equal(h.name, `${PREFIX}-${i + 1}`);
      assert.equal(h.ip, `10.99.10.${i + 2}`);
      assert.equal(h.port, 22);
      assert.equal(h.user, "root");
      // The key text is the key file's, and it is a valid ed25519 key (its public half derives).
      assert.equal(readFileSync(h.privateKeyPath, "utf8"), h.privateKey);
      assert.match(execFileSync("ssh-keygen", ["-y", "-f", h.privateKeyPath], { encoding: "utf8" }), /^ssh-ed25519 /);
    }
    assert.match(hs.packageRepoUrl, /^http:\/\/10\.99\.10\.1:\d+\/apt$/);
    assert.equal(hs.aptSourcesLine, `deb [trusted=yes] ${hs.packageRepoUrl} ./`);
    assert.match(hs.k3sBinaryUrl, /^http:\/\/10\.99\.10\.1:\d+\/k3s\/k3s$/);
  });

  test("each host runs systemd as PID 1 and sshd", async () => {
    for (const [i, s] of ssh.entries()) {
      assert.equal((await ok(s, "ps -p 1 -o comm=")).trim(), "systemd");
      assert.equal((await ok(s, "systemctl is-active ssh")).trim(), "active");
      assert.equal((await ok(s, "hostname")).trim(), hs.hosts[i]!.name);
      // each host has its own machine id
      assert.match((await ok(s, "cat /etc/machine-id")).trim(), /^[0-9a-f]{32}$/);
    }
    const ids = await Promise.all(ssh.map((s) => ok(s, "cat /etc/machine-id")));
    assert.notEqual(ids[0], ids[1]);
  });

  test("containerd installs from the local package source and answers", async () => {
    const s = ssh[0]!;
    await ok(s, `cat > /etc/apt/sources.list.d/k3s-daas-local.list`, hs.aptSourcesLine + "\n");
    await ok(s, "apt-get update -q");
    await ok(s, "DEBIAN_FRONTEND=noninteractive apt-get install -y -q containerd");
    assert.equal((await ok(s, "systemctl is-active containerd")).trim(), "active");
    const v = await ok(s, "ctr version");
    assert.match(v, /Server:\s*\n\s*Version:\s*1\./);
    // containerd state lives on the bind-mounted machine directory (overlay-on-overlay fails)
    assert.match(await ok(s, "findmnt -n -o TARGET /var/lib/containerd"), /\/var\/lib\/containerd/);
  });

  test("k3s agent installer with the stand-in: service active, status reports args, token hidden", async () => {
    const s = ssh[0]!;
    // the token reaches the host on stdin, into a 0600 file
    await ok(s, "umask 077; mkdir -p /etc/k3s-daas; cat > /etc/k3s-daas/k3s-token", TOKEN);
    await ok(s, `curl -fsS -o /root/install-k3s-agent.sh ${hs.installerUrl}`);
    const env =
      `K3S_URL=https://10.99.10.1:6443 K3S_TOKEN_FILE=/etc/k3s-daas/k3s-token INSTALL_K3S_BIN_URL=${hs.k3sBinaryUrl} ` +
      `INSTALL_K3S_EXEC='agent --node-name worker-1 --with-node-id --node-label k3s-daas.io/stake=0xabc ` +
      `--container-runtime-endpoint unix:///run/containerd/containerd.sock --kubelet-arg=max-pods=50'`;
    const out = await ok(s, `${env} sh /root/install-k3s-agent.sh`);
    assert.match(out, /Starting k3s-agent/);
    assert.equal((await ok(s, "systemctl is-active k3s-agent")).trim(), "active");
    assert.match(await ok(s, "k3s --version"), /^k3s version v1\.\d+/);
    assert.equal((await ok(s, "stat -c %a /etc/systemd/system/k3s-agent.service.env")).trim(), "600");

    const raw = await ok(s, "cat /var/lib/rancher/k3s/standin-status.json");
    assert.ok(!raw.includes(TOKEN) && !raw.includes("9f1d5c3a"), "no token in the status file");
    const st = JSON.parse(raw);
    assert.equal(st.state, "running");
    assert.equal(st.server, "https://10.99.10.1:6443");
    assert.deepEqual(st.token, { given: true, source: "env:K3S_TOKEN", length: TOKEN.length });
    assert.match(st.nodeName, /^worker-1-[0-9a-f]{8}$/);
    assert.deepEqual(st.nodeLabels, ["k3s-daas.io/stake=0xabc"]);
    assert.deepEqual(st.kubeletArgs, ["max-pods=50"]);
    assert.equal(st.containerRuntimeReachable, true);
    assert.deepEqual(st.args.slice(0, 3), ["agent", "--node-name", "worker-1"]);

    const ps = await ok(s, "ps -eo args");
    assert.match(ps, /\/usr\/local\/bin\/k3s agent --node-name worker-1/);
    assert.ok(!ps.includes(TOKEN) && !ps.includes("9f1d5c3a"), "no token in ps output");
    const unit = await ok(s, "cat /etc/systemd/system/k3s-agent.service");
    assert.ok(!unit.includes(TOKEN));

    // idempotent: a second run changes nothing and keeps the same process
    const out2 = await ok(s, `${env} sh /root/install-k3s-agent.sh`);
    assert.match(out2, /unchanged and active/);
    assert.equal(JSON.parse(await ok(s, "cat /var/lib/rancher/k3s/standin-status.json")).pid, st.pid);

    // the installer refuses a readable token file and a token on the command line
    await ok(s, "install -m 0644 /etc/k3s-daas/k3s-token /root/open-token");
    const bad = await sh(s, `K3S_URL=https://10.99.10.1:6443 K3S_TOKEN_FILE=/root/open-token INSTALL_K3S_SKIP_DOWNLOAD=true sh /root/install-k3s-agent.sh`);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /must be mode 0600/);
    const bad2 = await sh(s, `K3S_URL=https://10.99.10.1:6443 K3S_TOKEN_FILE=/etc/k3s-daas/k3s-token INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_EXEC='agent --token x' sh /root/install-k3s-agent.sh`);
    assert.notEqual(bad2.code, 0);
    assert.match(bad2.stderr, /never on the command line/);
    await ok(s, "rm -f /root/open-token");

    // a mirror serving another release than the one asked for: refused before anything changes
    const sum = () => ok(s, "sha256sum /usr/local/bin/k3s").then((o) => o.split(" ")[0]);
    const binBefore = await sum();
    const wrong = await sh(s, `${env} INSTALL_K3S_SKIP_START=true INSTALL_K3S_VERSION=v1.32.1+k3s1 sh /root/install-k3s-agent.sh`);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /reports 'k3s version v1\.31\.4\+k3s1 \(k3s-daas-standin\)', expected version v1\.32\.1\+k3s1/);
    assert.equal(await sum(), binBefore, "the binary in place is untouched");
    assert.equal(JSON.parse(await ok(s, "cat /var/lib/rancher/k3s/standin-status.json")).pid, st.pid, "k3s kept running");

    // an upgrade with SKIP_START (as the fleet installs): the running agent is restarted on the new binary
    const up = await ok(s, `${env.replace(hs.k3sBinaryUrl, hs.k3sBinaryUrlFor("v1.32.1+k3s1"))} INSTALL_K3S_SKIP_START=true INSTALL_K3S_VERSION=v1.32.1+k3s1 sh /root/install-k3s-agent.sh`);
    assert.match(up, /Restarting k3s-agent \(upgraded\)/);
    assert.match(await ok(s, "k3s --version"), /^k3s version v1\.32\.1\+k3s1 /);
    const upgraded = JSON.parse(await ok(s, "cat /var/lib/rancher/k3s/standin-status.json"));
    assert.notEqual(upgraded.pid, st.pid);
    assert.equal(upgraded.version, "v1.32.1+k3s1", "the running k3s reports the new release");

    // SIGTERM from systemd: the stand-in records a clean stop
    await ok(s, "systemctl stop k3s-agent");
    assert.equal(JSON.parse(await ok(s, "cat /var/lib/rancher/k3s/standin-status.json")).state, "stopped");
    await ok(s, "systemctl start k3s-agent");
    assert.equal((await ok(s, "systemctl is-active k3s-agent")).trim(), "active");
  });

  test("a release download (k3s's GitHub layout) is checked against the release's sha256sum-amd64.txt, as get.k3s.io does", async () => {
    const s = ssh[0]!;
    const v = "v1.32.1+k3s1";
    const env = (release: string, extra = "") =>
      `K3S_URL=https://10.99.10.1:6443 K3S_TOKEN_FILE=/etc/k3s-daas/k3s-token INSTALL_K3S_RELEASE_URL=${release} ` +
      `INSTALL_K3S_EXEC='agent --node-name worker-1' INSTALL_K3S_SKIP_START=true INSTALL_K3S_VERSION=${v} ${extra}`;
    const sum = () => ok(s, "sha256sum /usr/local/bin/k3s").then((o) => o.split(" ")[0]);
    // The release as published: hash file and binary agree.
    const out = await ok(s, `${env(hs.k3sReleaseUrlFor(v))} sh /root/install-k3s-agent.sh`);
    assert.match(out, /Downloading the release's hashes from http:\/\/10\.99\.10\.1:\d+\/k3s\/[^/]+\/sha256sum-amd64\.txt/);
    assert.equal(await sum(), hs.k3sSha256For(v));

    // A tampered mirror of the release (another binary than the published hash), and one whose hash
    // file names no k3s: refused, the binary in place untouched.
    const binary = Buffer.from(await (await fetch(hs.k3sBinaryUrlFor("v1.31.4+k3s1"))).arrayBuffer());
    const files: Record<string, Buffer | string> = {
      "/tampered/k3s": binary, "/tampered/sha256sum-amd64.txt": `${hs.k3sSha256For(v)}  k3s\n`,
      "/nohash/k3s": binary, "/nohash/sha256sum-amd64.txt": `${hs.k3sSha256For(v)}  k3s-airgap-images-amd64.tar\n`,
    };
    const server = createServer((req, res) => {
      const body = files[req.url ?? ""];
      res.writeHead(body === undefined ? 404 : 200);
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, hs.bridgeIp, () => r()));
    const base = `http://${hs.bridgeIp}:${(server.address() as AddressInfo).port}`;
    try {
      const before = await sum();
      const tampered = await sh(s, `${env(base + "/tampered")} sh /root/install-k3s-agent.sh`);
      assert.notEqual(tampered.code, 0);
      assert.match(tampered.stderr, new RegExp(`sha256 mismatch for k3s from ${base}/tampered/k3s: expected ${hs.k3sSha256For(v)} \\(the release's sha256sum-amd64\\.txt\\), got ${hs.k3sSha256For("v1.31.4+k3s1")}; nothing was changed`));
      const nohash = await sh(s, `${env(base + "/nohash")} sh /root/install-k3s-agent.sh`);
      assert.notEqual(nohash.code, 0);
      assert.match(nohash.stderr, /sha256sum-amd64\.txt names no sha256 for k3s: the binary cannot be checked, nothing was changed/);
      const disagree = await sh(s, `${env(hs.k3sReleaseUrlFor(v), `INSTALL_K3S_BIN_SHA256=${"0".repeat(64)}`)} sh /root/install-k3s-agent.sh`);
      assert.notEqual(disagree.code, 0);
      assert.match(disagree.stderr, /the release publishes sha256 [0-9a-f]{64} for k3s, but k3s\.binSha256 is 0{64}: nothing was changed/);
      assert.equal(await sum(), before, "the binary in place is untouched");
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  test("k3s-agent-uninstall.sh leaves no files", async () => {
    const s = ssh[0]!;
    await ok(s, "/usr/local/bin/k3s-agent-uninstall.sh >/dev/null 2>&1");
    const paths = [
      "/usr/local/bin/k3s", "/usr/local/bin/k3s-agent-uninstall.sh", "/etc/systemd/system/k3s-agent.service",
      "/etc/systemd/system/k3s-agent.service.env", "/var/lib/rancher", "/etc/rancher", "/run/k3s",
      "/etc/systemd/system/multi-user.target.wants/k3s-agent.service",
    ];
    const left = await ok(s, `for p in ${paths.join(" ")}; do [ -e "$p" ] && echo "$p"; done; true`);
    assert.equal(left.trim(), "", `left behind: ${left}`);
    assert.equal((await sh(s, "systemctl is-active k3s-agent")).stdout.trim(), "inactive");
    assert.equal((await sh(s, "pgrep -x k3s")).code, 1);
    // containerd (not the installer's) is untouched
    assert.equal((await ok(s, "systemctl is-active containerd")).trim(), "active");
  });

  test("a hard-killed host is unreachable; the other is not", async () => {
    const victim = hs.hosts[1]!;
    ssh[1]!.dispose();
    await hs.kill(victim.name);
    await assert.rejects(connect(victim, 3000));
    assert.equal((await ok(ssh[0]!, "systemctl is-active ssh")).trim(), "active");
  });

  test("stop() leaves no netns, bridge, mounts, processes or cgroup dirs", async () => {
    for (const s of ssh) s.dispose();
    const runDir = hs.runDir;
    await hs.stop();
    assert.deepEqual(leftovers(PREFIX, runDir, recordedPids), []);
  });
});
