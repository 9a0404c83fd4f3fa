// Extra request headers for an RPC provider that takes its API key in a header (`x-api-key`,
// `authorization`, ...). One validator for the stack config, the components, the providers and
// the agent, so a bad header is named the same way everywhere. Values are secrets: nothing here
// ever puts one in a message.
import { z } from "zod";

/** At most this many headers, of at most this many characters each. */
export const MAX_RPC_HEADERS = 16;
export const MAX_RPC_HEADER_VALUE = 4096;

// The transports set these themselves (framing, content negotiation, gRPC control), or they
// name a hop rather than the request; a configured one would break or be overridden.
const RESERVED = new Set([
  "accept", "accept-encoding", "connection", "content-encoding", "content-length", "content-type", "host", "keep-alive",
  "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "x-grpc-web", "x-user-agent",
  // The agents name themselves with it (the devnet counts requests by it).
  "x-k3s-daas-client",
]);

// gRPC metadata keys: lower-case ASCII; "-bin" keys carry binary values, which a config cannot.
const NAME = /^[a-z0-9][a-z0-9._-]*$/;
// Printable ASCII (gRPC ASCII metadata values); no CR/LF, so no header injection.
const VALUE = /^[\x20-\x7e]+$/;

/** One thing wrong with a header set: the header it is about (if one), and what; never a value. */
export interface RpcHeaderIssue {
  header?: string;
  message: string;
}

/** What is wrong with `headers` (an object of header name -> value). Empty when it is fine. */
export function rpcHeaderIssues(headers: unknown): RpcHeaderIssue[] {
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) return [{ message: "must be an object of header name -> value" }];
  const entries = Object.entries(headers);
  const issues: RpcHeaderIssue[] = [];
  if (entries.length > MAX_RPC_HEADERS) issues.push({ message: `has ${entries.length} headers, at most ${MAX_RPC_HEADERS} are allowed` });
  for (const [header, value] of entries) {
    const say = (message: string) => issues.push({ header, message });
    if (!NAME.test(header)) say("a header name must be lower-case letters, digits, '-', '_' and '.'");
    else if (header.startsWith("grpc-") || header.endsWith("-bin")) say("grpc-* and *-bin headers belong to the gRPC protocol");
    else if (RESERVED.has(header)) say("the client sets this header itself");
    if (typeof value !== "string") say("must be a string");
    else if (value.length > MAX_RPC_HEADER_VALUE) say(`is longer than ${MAX_RPC_HEADER_VALUE} characters`);
    else if (!VALUE.test(value)) say("must be non-empty printable ASCII (no line breaks)");
  }
  return issues;
}

/** The issues as messages starting with `field` and the header's name, e.g. `rpcHeaders["X-Key"]: ...`. */
export function rpcHeaderProblems(headers: unknown, field = "rpcHeaders"): string[] {
  return rpcHeaderIssues(headers).map((i) => (i.header === undefined ? `${field} ${i.message}` : `${field}[${JSON.stringify(i.header)}]: ${i.message}`));
}

/** A stable spelling of a header set (sorted by name), for cache keys and change detection. */
export function rpcHeadersKey(headers: Readonly<Record<string, string>> | undefined): string {
  if (!headers) return "";
  return JSON.stringify(Object.keys(headers).sort().map((k) => [k, headers[k]]));
}

/**
 * Whether headers meant for `from` may be sent to `to`: only to the same origin (scheme, host
 * and port), so a key for one provider never reaches another endpoint by default.
 */
/** A URL's origin (scheme, host, port); the text itself when it is not a URL (validation names it). */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

export function sameOrigin(from: string, to: string): boolean {
  try {
    return new URL(from).origin === new URL(to).origin;
  } catch {
    return false;
  }
}

/** The zod schema of a header set, its issues at the header's path (`rpcHeaders.x-api-key`). */
export const rpcHeadersSchema = z
  .record(z.unknown())
  .superRefine((h, ctx) => {
    for (const i of rpcHeaderIssues(h)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: i.message, path: i.header === undefined ? [] : [i.header] });
  })
  .transform((h) => h as Record<string, string>);

/**
 * What is wrong with an RPC base URL that carries credentials: a `user:password@` part or a query
 * string (where providers put API keys). Such a URL is not a secret anywhere it goes (the agents'
 * config file and API, the Pulumi state, error messages), so it is refused; the key belongs in a
 * header (`headersKey`, a secret). Undefined when the URL carries none (or does not parse: the
 * URL check names that). Never quotes the URL or any part of it.
 */
export function rpcUrlCredentialProblem(url: string, headersKey = "rpcHeaders"): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const parts = [
    ...(u.username || u.password || /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url) ? ["a user:password@ part"] : []),
    ...(u.search || url.includes("?") ? ["a query string"] : []),
  ];
  if (parts.length === 0) return undefined;
  return `must not carry credentials (it has ${parts.join(" and ")}): a URL is kept in plain text in the agents' config and API, ` +
    `the Pulumi state and error messages. Give the provider's API key as a header instead: ` +
    `pulumi config set --secret --path '${headersKey}.x-api-key' < provider.key`;
}
