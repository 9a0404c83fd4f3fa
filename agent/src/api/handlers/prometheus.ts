// GET /metrics: Prometheus text exposition through prom-client (api/metrics-registry.ts).
import type { Route } from "../http";

export const prometheusRoute: Route = {
  method: "GET",
  path: "/metrics",
  signed: false,
  async handle({ metrics }, _req, res) {
    const { contentType, text } = await metrics.scrape();
    res.writeHead(200, { "content-type": contentType, "cache-control": "no-store" });
    res.end(text);
  },
};
