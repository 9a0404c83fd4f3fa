// A minimal Kubernetes API client over node:https (no new dependency): the control plane's own
// calls to its apiserver on loopback, as system:admin (client CA, O system:masters), verifying
// the apiserver's certificate against the server CA.
import { Agent, request } from "node:https";
import { readFileSync } from "node:fs";
import type { CertFiles } from "./pki";

export interface KubeResponse {
  status: number;
  body: any;
  text: string;
}

export class KubeApi {
  private readonly agent: Agent;

  constructor(readonly baseUrl: string, caFile: string, cert: CertFiles) {
    this.agent = new Agent({
      ca: readFileSync(caFile),
      cert: readFileSync(cert.cert),
      key: readFileSync(cert.key),
      keepAlive: true,
      maxSockets: 8,
    });
  }

  request(method: string, path: string, body?: unknown, contentType = "application/json", timeoutMs = 10_000): Promise<KubeResponse> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.baseUrl), {
        method,
        agent: this.agent,
        headers: {
          accept: "application/json",
          ...(payload ? { "content-type": contentType, "content-length": String(payload.length) } : {}),
        },
        timeout: timeoutMs,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = undefined;
          try {
            parsed = JSON.parse(text);
          } catch { /* not JSON (e.g. /readyz) */ }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)));
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** The request, failing unless the status is one of `ok`. */
  async expect(method: string, path: string, ok: number[], body?: unknown, contentType?: string): Promise<KubeResponse> {
    const r = await this.request(method, path, body, contentType);
    if (!ok.includes(r.status)) {
      const msg = typeof r.body?.message === "string" ? r.body.message : r.text.slice(0, 200);
      throw new Error(`${method} ${path}: HTTP ${r.status}: ${msg}`);
    }
    return r;
  }

  close(): void {
    this.agent.destroy();
  }
}
