// The stand-in k3s checks its command line as `k3s agent` would (run here on the machine).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { ensureSetup } from "../../devnet/hosts/setup";

const TOKEN = "K10standintest::server:0123456789abcdef";

describe("k3s stand-in", () => {
  let bin = "";
  let tmp = "";
  before(async () => {
    bin = (await ensureSetup({ log: () => {} })).k3sBinary;
    tmp = mkdtempSync(path.join(os.tmpdir(), "k3s-standin-"));
    writeFileSync(path.join(tmp, "token"), TOKEN + "\n", { mode: 0o600 });
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const runK3s = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(bin, args, { encoding: "utf8", env: { PATH: process.env.PATH, ...env }, timeout: 10000 });

  test("is a static executable that says what it is", () => {
    const v = runK3s(["--version"]);
    assert.equal(v.status, 0);
    assert.match(v.stdout, /^k3s version v1\.\d+\.\d+\+k3s1 \(k3s-daas-standin\)\ngo version go/);
    const file = spawnSync("file", [bin], { encoding: "utf8" });
    if (file.status === 0) assert.match(file.stdout, /statically linked/);
    assert.equal(runK3s(["check-config"]).status, 0);
    assert.equal(runK3s(["server"]).status, 1);
  });

  test("rejects what k3s agent rejects", () => {
    const dd = path.join(tmp, "d0");
    const cases: [string[], Record<string, string>, RegExp][] = [
      [["agent", "-d", dd], { K3S_TOKEN: TOKEN }, /--server is required/],
      [["agent", "-d", dd, "--server", "http://10.0.0.1:6443"], { K3S_TOKEN: TOKEN }, /must use https/],
      [["agent", "-d", dd, "--server", "https://10.0.0.1"], { K3S_TOKEN: TOKEN }, /must include a port/],
      [["agent", "-d", dd], { K3S_URL: "https://127.0.0.1:1" }, /--token is required/],
      [["agent", "-d", dd, "--token-file", path.join(tmp, "nope")], { K3S_URL: "https://127.0.0.1:1" }, /failed to read token file/],
      [["agent", "-d", dd, "--container-runtime-endpoint", "unix:///nonexistent/containerd.sock"],
        { K3S_URL: "https://127.0.0.1:1", K3S_TOKEN: TOKEN }, /container runtime socket/],
      [["agent", "-d", path.join(tmp, "token", "sub")], { K3S_URL: "https://127.0.0.1:1", K3S_TOKEN: TOKEN }, /data dir/],
      [["agent", "--no-such-flag"], {}, /flag provided but not defined: -no-such-flag/],
      [["agent", "stray"], {}, /unexpected argument/],
    ];
    for (const [args, env, re] of cases) {
      const r = runK3s(args, env);
      assert.equal(r.status, 1, `${args.join(" ")} should fail`);
      assert.match(r.stderr, re, args.join(" "));
      assert.ok(!r.stderr.includes(TOKEN));
    }
  });

  test("runs until SIGTERM and reports what it was given, without the token", async () => {
    const dd = path.join(tmp, "d1");
    const sock = path.join(tmp, "cri.sock");
    const srv = net.createServer((c) => c.destroy()).listen(sock);
    await new Promise((r) => srv.once("listening", r));
    const child = spawn(bin, [
      "agent", "--server=https://127.0.0.1:1", "--token-file", path.join(tmp, "token"), "-d", dd,
      "--node-name", "Worker-7", "--node-label", "a=b", "--node-label", "c=d", "--kubelet-arg", "max-pods=20",
      "--container-runtime-endpoint", `unix://${sock}`, "--node-ip", "10.99.0.9",
    ], { stdio: "ignore" });
    const statusFile = path.join(dd, "standin-status.json");
    for (let i = 0; i < 100 && !existsSync(statusFile); i++) await new Promise((r) => setTimeout(r, 50));
    const raw = readFileSync(statusFile, "utf8");
    assert.ok(!raw.includes(TOKEN));
    const st = JSON.parse(raw);
    assert.equal(st.state, "running");
    assert.equal(st.pid, child.pid);
    assert.equal(st.nodeName, "worker-7");
    assert.deepEqual(st.token, { given: true, source: `file:${path.join(tmp, "token")}`, length: TOKEN.length });
    assert.deepEqual(st.nodeLabels, ["a=b", "c=d"]);
    assert.deepEqual(st.kubeletArgs, ["max-pods=20"]);
    assert.deepEqual(st.nodeIps, ["10.99.0.9"]);
    assert.equal(st.containerRuntimeReachable, true);
    const exited = new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    assert.equal(JSON.parse(readFileSync(statusFile, "utf8")).state, "stopped");
    srv.close();
  });

  test("a token given on the command line is accepted but redacted", async () => {
    const dd = path.join(tmp, "d2");
    const child = spawn(bin, ["agent", "-s", "https://127.0.0.1:1", "--token", TOKEN, "-d", dd], { stdio: "ignore" });
    const statusFile = path.join(dd, "standin-status.json");
    for (let i = 0; i < 100 && !existsSync(statusFile); i++) await new Promise((r) => setTimeout(r, 50));
    const raw = readFileSync(statusFile, "utf8");
    child.kill("SIGTERM");
    await new Promise((r) => child.on("exit", r));
    assert.ok(!raw.includes(TOKEN));
    const st = JSON.parse(raw);
    assert.equal(st.token.source, "flag");
    assert.deepEqual(st.args, ["agent", "-s", "https://127.0.0.1:1", "--token", "<redacted>", "-d", dd]);
  });
});
