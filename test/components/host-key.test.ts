// Host keys pinned: the HostKey provider's logic and the node-ssh connection helper against a
// real OpenSSH server on loopback. First use records the key the server presents; a configured
// key must be the one presented; a server whose key changed is refused with the host's name and
// both fingerprints, by the HostKey diff (every preview/up) and by every node-ssh connection.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { startSshd, type Sshd } from "../support/sshd";
import { hostKeyProvider, type HostKeyOutputs } from "../../src/components/runtime/host-key";
import { fingerprint, hostKeySchema, HostKeyMismatchError, scanHostKey, withSsh } from "../../src/components/runtime/ssh";

let sshd: Sshd;
let original: string;

const pubOf = (file: string) => readFileSync(file, "utf8").trim().split(" ").slice(0, 2).join(" ");

before(async () => {
  sshd = await startSshd();
  original = pubOf(join(sshd.dir, "host_ed25519.pub"));
});

after(async () => {
  await sshd?.stop();
});

/** Gives the running server a new host key (sshd re-reads its keys on SIGHUP). */
async function replaceHostKey(): Promise<string> {
  const key = join(sshd.dir, "host_ed25519");
  rmSync(key, { force: true });
  rmSync(`${key}.pub`, { force: true });
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
  process.kill(Number(readFileSync(join(sshd.dir, "sshd.pid"), "utf8")), "SIGHUP");
  const fresh = pubOf(`${key}.pub`);
  for (let i = 0; i < 50; i++) {
    if ((await scanHostKey(sshd.host, sshd.port).catch(() => "")) === fresh) return fresh;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("sshd did not take the new host key");
}

test("fingerprints are OpenSSH's (ssh-keygen -l)", () => {
  const printed = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", join(sshd.dir, "host_ed25519.pub")], { encoding: "utf8" }).split(" ")[1];
  assert.equal(fingerprint(original), printed);
});

test("host keys in config: ssh-keyscan's form is accepted (comment dropped), anything else refused", () => {
  assert.equal(hostKeySchema.parse(`${original} root@host`), original);
  for (const bad of ["", "ssh-ed25519", "ssh-ed25519 !!!", `ssh-rsa ${original.split(" ")[1]}`, "ssh-dss AAAAB3NzaC1kc3MAAACBAP"]) {
    assert.equal(hostKeySchema.safeParse(bad).success, false, bad);
  }
});

test("first use records the key the server presents; preview/up diffs pass while it is unchanged", async () => {
  const res = await hostKeyProvider.create({ nodeId: "w1", host: sshd.host, port: sshd.port });
  assert.equal(res.outs.hostKey, original);
  assert.equal(res.outs.fingerprint, fingerprint(original));
  assert.equal(res.outs.trust, "first-use");
  assert.deepEqual(await hostKeyProvider.diff(res.id, res.outs, { nodeId: "w1", host: sshd.host, port: sshd.port }), { changes: false });
});

test("a configured key must be the one the server presents", async () => {
  const other = pubOf(join(sshd.dir, "client_ed25519.pub")); // a valid key that is not the host's
  await assert.rejects(hostKeyProvider.create({ nodeId: "w1", host: sshd.host, port: sshd.port, expectedHostKey: other }), (err: Error) => {
    assert.ok(err instanceof HostKeyMismatchError);
    assert.ok(err.message.includes("w1") && err.message.includes(`${sshd.host}:${sshd.port}`), err.message);
    assert.ok(err.message.includes(fingerprint(other)) && err.message.includes(fingerprint(original)), err.message);
    return true;
  });
  const ok = await hostKeyProvider.create({ nodeId: "w1", host: sshd.host, port: sshd.port, expectedHostKey: original });
  assert.equal(ok.outs.trust, "config");
});

test("node-ssh connections accept the pinned key only, and run commands", async () => {
  const target = { nodeId: "w1", host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.privateKey, hostKey: original };
  assert.equal((await withSsh(target, 1, (run) => run("echo pinned"))).stdout, "pinned");
  const wrong = pubOf(join(sshd.dir, "client_ed25519.pub"));
  const started = Date.now();
  await assert.rejects(withSsh({ ...target, hostKey: wrong }, 5, (run) => run("true")), (err: Error) => {
    assert.ok(err instanceof HostKeyMismatchError, String(err));
    assert.ok(err.message.includes(fingerprint(wrong)) && err.message.includes(fingerprint(original)));
    return true;
  });
  assert.ok(Date.now() - started < 4000, "a key mismatch is not retried");
});

test("a replaced host key: the next preview/up diff and every node-ssh connection refuse, naming the host and both fingerprints", async () => {
  const recorded: HostKeyOutputs = { nodeId: "w1", host: sshd.host, port: sshd.port, hostKey: original, fingerprint: fingerprint(original), trust: "first-use" };
  const fresh = await replaceHostKey();
  const check = (err: Error) => {
    assert.ok(err instanceof HostKeyMismatchError, String(err));
    assert.match(err.message, /^host w1 \(127\.0\.0\.1:\d+\) presented SSH host key SHA256:/);
    assert.ok(err.message.includes(fingerprint(fresh)) && err.message.includes(fingerprint(original)), err.message);
    return true;
  };
  await assert.rejects(hostKeyProvider.diff("id", recorded, { nodeId: "w1", host: sshd.host, port: sshd.port }), check);
  await assert.rejects(withSsh({ nodeId: "w1", host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.privateKey, hostKey: original }, 2, (run) => run("true")), check);
  // The operator accepts the new key by configuring it: the record is updated.
  const d = await hostKeyProvider.diff("id", recorded, { nodeId: "w1", host: sshd.host, port: sshd.port, expectedHostKey: fresh });
  assert.equal(d.changes, true);
  const up = await hostKeyProvider.update("id", recorded, { nodeId: "w1", host: sshd.host, port: sshd.port, expectedHostKey: fresh });
  assert.equal(up.outs.hostKey, fresh);
  original = fresh;
});

test("an unreachable host does not fail the diff (the steps that need it decide)", async () => {
  const recorded: HostKeyOutputs = { nodeId: "w1", host: "127.0.0.1", port: 9, hostKey: original, fingerprint: fingerprint(original), trust: "first-use" };
  assert.deepEqual(await hostKeyProvider.diff("id", recorded, { nodeId: "w1", host: "127.0.0.1", port: 9 }), { changes: false });
});
