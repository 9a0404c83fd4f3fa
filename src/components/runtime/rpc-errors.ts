// An RPC node that refuses the request for want of a (valid) API key says so in its own words
// ("missing or invalid API key", "Unauthorized"), naming neither the node nor the setting; a
// certificate this side refuses comes as a TLS code. The chain providers' errors of those kinds
// are reworded to name the node, the setting, and what to do.
import type { ChainInputs } from "./chain-inputs";

/** gRPC's refusal codes (protobuf-ts names them; grpc-web maps HTTP 401/403 to them too). */
const REFUSED_CODES = new Set(["UNAUTHENTICATED", "PERMISSION_DENIED"]);

/** Whether `err` is an RPC node refusing the caller (not the request): gRPC code or HTTP status. */
export function isAuthRefusal(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { code?: unknown; status?: unknown };
  return (typeof e.code === "string" && REFUSED_CODES.has(e.code)) || e.status === 401 || e.status === 403;
}

/** The refusal reworded for the operator: which node, which setting. Never a header's value. */
export function explainAuthRefusal(err: unknown, i: Pick<ChainInputs, "rpcUrl" | "rpcHeaders">): Error {
  const e = err as { code?: unknown; status?: unknown; message?: unknown };
  const what = typeof e.code === "string" ? e.code : `HTTP ${String(e.status)}`;
  const said = typeof e.message === "string" ? `: ${e.message}` : "";
  const headers = Object.keys(i.rpcHeaders ?? {});
  const advice = headers.length
    ? `it does not accept the headers in rpcHeaders (${headers.join(", ")}). After a provider rotates a key, set the new one and run \`pulumi up\` first: ` +
      "refresh and destroy use the headers kept in the state until an up records the new ones"
    : "it wants an API key: set it with `pulumi config set --secret --path 'rpcHeaders.<header>'` (x-api-key, authorization, ... as the provider says)";
  return new Error(`the Sui RPC node ${i.rpcUrl} refused the request (${what}${said}); ${advice}`, { cause: err });
}

// Node's codes for a certificate it would not accept.
const TLS_REFUSAL = /\b(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT(?:_LOCALLY)?|CERT_UNTRUSTED|CERT_HAS_EXPIRED|ERR_TLS_CERT_ALTNAME_INVALID)\b/;

/** Whether `err` is the node's TLS certificate refused by this side (the code is in its message: retry-fetch.ts names it). */
export function isTlsRefusal(err: unknown): boolean {
  return err instanceof Error && TLS_REFUSAL.test(err.message);
}

/** The refused certificate reworded: which node, what to do. */
export function explainTlsRefusal(err: unknown, i: Pick<ChainInputs, "rpcUrl" | "rpcCaCertificates">): Error {
  const code = TLS_REFUSAL.exec((err as Error).message)?.[1] ?? "";
  const advice = /EXPIRED|ALTNAME/.test(code)
    ? "the node presents an expired certificate or one for another name: the node's operator must renew it, or use another node"
    : i.rpcCaCertificates
      ? "it is not signed by the CAs in rpcCaCertificates nor a public CA: check that rpcCaCertificates holds the node's CA"
      : "it is not signed by a public CA: if it comes from a private CA, set rpcCaCertificates to that CA's PEM certificate";
  return new Error(`the Sui RPC node ${i.rpcUrl} presented a TLS certificate this machine does not accept (${code}); ${advice}`, { cause: err });
}

/** The chain inputs among a provider method's arguments (news, props, inputs: the last that has them). */
function chainInputsOf(args: unknown[]): Pick<ChainInputs, "rpcUrl" | "rpcHeaders" | "rpcCaCertificates"> | undefined {
  for (const a of [...args].reverse()) {
    if (typeof a === "object" && a !== null && typeof (a as { rpcUrl?: unknown }).rpcUrl === "string") return a as ChainInputs;
  }
  return undefined;
}

/** A chain provider whose methods reword an RPC node's refusal and a refused certificate (see explainAuthRefusal, explainTlsRefusal). */
export function explainingAuthRefusals<T extends object>(provider: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(provider)) {
    if (typeof fn !== "function") {
      wrapped[name] = fn;
      continue;
    }
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>).apply(provider, args);
      } catch (err) {
        const inputs = chainInputsOf(args);
        if (inputs && isAuthRefusal(err)) throw explainAuthRefusal(err, inputs);
        if (inputs && isTlsRefusal(err)) throw explainTlsRefusal(err, inputs);
        throw err;
      }
    };
  }
  return wrapped as T;
}
