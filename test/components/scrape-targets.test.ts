// The file_sd form of the fleet's scrape targets (stack output prometheusTargets).
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileSdTargets, scrapeTarget } from "../../src/components/scrape-targets";

test("an agent endpoint becomes host:port", () => {
  const cases: [string, string][] = [
    ["http://10.0.0.5:9443", "10.0.0.5:9443"],
    ["http://worker-1.example.com:9443/", "worker-1.example.com:9443"],
    ["https://worker-1.example.com", "worker-1.example.com:443"],
    ["http://[fd00::5]:9443", "[fd00::5]:9443"],
  ];
  for (const [endpoint, target] of cases) assert.equal(scrapeTarget(endpoint), target, endpoint);
  assert.throws(() => scrapeTarget("ftp://10.0.0.5:21"), /not http/);
});

test("one group per worker, labelled node_id, in node id order", () => {
  assert.deepEqual(fileSdTargets([
    { name: "w2", endpoint: "http://10.0.0.6:9443" },
    { name: "w1", endpoint: "http://10.0.0.5:9443" },
  ]), [
    { targets: ["10.0.0.5:9443"], labels: { node_id: "w1" } },
    { targets: ["10.0.0.6:9443"], labels: { node_id: "w2" } },
  ]);
  assert.deepEqual(fileSdTargets([]), []);
});
