// The agent trusts only replies signed by the key the NautilusRegistry names: an endpoint that
// answers 200 without that signature (a stale override, a man in the middle) is not a control
// plane, so the node never counts as registered through it.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import type { ControlPlane } from "../../devnet/control-plane";
import { getJson, runAgent, stakeNode, startChain, startCp, waitFor, type Chain, type Node, type Started } from "./helpers";

let chain: Chain, cp: ControlPlane, node: Node, agent: Started, impostor: Server;
let hits = 0;

before(async () => {
  chain = await startChain();
  cp = await startCp(chain); // publishes the genuine key in the registry
  impostor = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { "content-type": "application/json" }).end('{"status":"registered"}');
  });
  await new Promise<void>((r) => impostor.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(impostor.address() as AddressInfo).port}`;
  node = await stakeNode(chain, "worker-impostor");
  node.cfg.controlPlane.endpoint = url;
  agent = await runAgent(node);
});

after(async () => {
  await agent?.stop();
  impostor?.close();
  await cp?.close();
  await chain?.close();
  node?.cleanup();
});

test("unsigned 200 replies do not register the node", async () => {
  const h = await waitFor("failed registrations", async () => {
    const r = await getJson(agent.base + "/health");
    return r.body.consecutive_failures >= 2 ? r.body : undefined;
  });
  assert.ok(hits >= 2, "the impostor was asked");
  assert.equal(h.registered, false);
  assert.match(h.last_heartbeat_error, /not signed by the registered control-plane key/);
});
