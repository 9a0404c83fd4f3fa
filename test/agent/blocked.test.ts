// Start-up checks are real: a seal token minted for another worker key keeps the node from
// starting k3s or registering; the API still serves and says why.
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { after, before, test } from "node:test";
import type { ControlPlane } from "../../devnet/control-plane";
import type { ProcessK3s } from "../../agent/src/k3s-service";
import { getJson, signedPost, startStakedAgent, stopStakedAgent, waitFor, type Chain, type Node, type Started } from "./helpers";

let chain: Chain, cp: ControlPlane, node: Node, agent: Started;

before(async () => {
  ({ chain, cp, node, agent } = await startStakedAgent("worker-blocked", {
    // The host lost its key (re-imaged): the agent makes a new one, which the token does not carry.
    prepare: (s) => rmSync(s.node.cfg.paths.workerKey),
  }));
});
after(() => stopStakedAgent({ agent, cp, chain, node }));

test("a seal token for another worker key blocks start-up", async () => {
  const h = await waitFor("blocked status", async () => {
    const r = await getJson(agent.base + "/health");
    return r.body.status === "blocked" ? r : undefined;
  });
  assert.equal(h.status, 503);
  assert.match(h.body.reason, /carries worker key .* but this host's key is/);
  assert.equal(h.body.registered, false);
  assert.ok(existsSync(node.cfg.paths.workerKey), "a new key was generated");
  assert.equal((agent.k3s as ProcessK3s).pid, undefined, "k3s not started");
  assert.equal(existsSync(node.k3sState), false);
  assert.equal(cp.workers().length, 0);
  const reg = await signedPost(agent.base, node, "/api/v1/register");
  assert.equal(reg.status, 409);
});
