// The agent trusts only replies signed by the key the NautilusRegistry names: an endpoint that
// answers 200 without that signature (a stale override, a man in the middle) is not a control
// plane, so the node never counts as registered through it.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import type { ControlPlane } from "../../devnet/control-plane";
import { getJson, startStakedAgent, stopStakedAgent, waitFor, type Chain, type Node, type Started } from "./helpers";

let chain: Chain, cp: ControlPlane, node: Node, agent: Started, impostor: Server;
let hits = 0;

before(async () => {
  impostor = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { "content-type": "application/json" }).end('{"status":"registered"}');
  });
  await new Promise<void>((r) => impostor.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(impostor.address() as AddressInfo).port}`;
  // The genuine control plane still runs and publishes its key in the registry.
  ({ chain, cp, node, agent } = await startStakedAgent("worker-impostor", {
    prepare: (s) => void (s.node.cfg.controlPlane.endpoint = url),
  }));
});

after(async () => {
  await stopStakedAgent({ agent, cp, chain, node });
  impostor?.close();
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
