// The k3s agent stand-in's own Go tests (devnet/hosts/k3s-standin/agent): token parsing and the
// CA-hash check, the join against a TLS server speaking k3s's protocol (refusals retried and
// logged), files and modes, kubelet arguments per release, CNI layout, the load balancer.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { STANDIN_DIR, ensureSetup } from "../../devnet/hosts/setup";

test("go test ./agent/ passes", async () => {
  const setup = await ensureSetup({ log: () => {} });
  // The package embeds the CNI plugins tarball the build provides (never committed).
  const embedded = path.join(STANDIN_DIR, "agent", "cni-plugins.tar");
  if (!existsSync(embedded)) copyFileSync(path.join(setup.cacheDir, "cni-plugins-debian", "cni-plugins.tar"), embedded);
  const r = spawnSync(existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : "go", ["test", "-count=1", "./agent/"], {
    cwd: STANDIN_DIR,
    encoding: "utf8",
    env: { ...process.env, GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local", CGO_ENABLED: "0" },
    timeout: 600_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^ok\s+k3s-daas\/devnet\/hosts\/k3s-standin\/agent/m);
});
