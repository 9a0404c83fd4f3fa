// Shared HTTP plumbing for the agent API: JSON replies, bounded body reading, typed errors.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Agent } from "../agent";
import type { AgentConfig } from "../config";
import type { Logger } from "../log";
import type { Telemetry } from "../telemetry";
import type { AgentMetrics } from "./metrics-registry";
import type { OperatorAuth } from "./operator-auth";

export const MAX_BODY_BYTES = 64 * 1024;

export { HttpError } from "./http-error";
import { HttpError } from "./http-error";

export interface ApiContext {
  agent: Agent;
  cfg: AgentConfig;
  log: Logger;
  telemetry: Telemetry;
  operatorAuth: OperatorAuth;
  metrics: AgentMetrics;
}

export interface Route {
  method: "GET" | "POST";
  path: string;
  /** Mutating routes need an operator-signed request (operator-auth.ts). */
  signed: boolean;
  handle(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void>;
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  let text: string;
  try {
    text = JSON.stringify(value); // V8's fast path: no replacer call per value on every request
  } catch {
    text = JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v)); // a bigint slipped in
  }
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(text);
}

/** Read at most MAX_BODY_BYTES, as text (signatures cover the exact bytes). */
export async function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, "request body too large");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Parse a JSON object body; an empty body is `{}`. */
export function parseJsonObject(raw: string): Record<string, unknown> {
  const text = raw.trim();
  if (text === "") return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new HttpError(400, "request body is not valid JSON");
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new HttpError(400, "request body must be a JSON object");
  return v as Record<string, unknown>;
}

export const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
