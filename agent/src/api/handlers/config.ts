// GET /api/v1/config: the effective config, with the seal token id and secret paths redacted.
import { redactConfig } from "../../config";
import type { Route } from "../http";
import { sendJson } from "../http";

export const configRoute: Route = {
  method: "GET",
  path: "/api/v1/config",
  signed: false,
  async handle({ cfg }, _req, res) {
    sendJson(res, 200, redactConfig(cfg));
  },
};
