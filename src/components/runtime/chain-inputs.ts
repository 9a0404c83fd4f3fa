// What every chain-backed resource needs to reach the network: endpoint, package/object ids and
// the operator's wallet key (a Pulumi secret). Validated once here, used by stake and seal token.
import { z } from "zod";
import { rpcHeadersKey, rpcHeadersSchema } from "../../sui/headers";
import { caCertificatesSchema } from "../../sui/ca";
import { dnsNameSchema, objectIdSchema } from "../../rules";

export { objectIdSchema };
export const nodeIdSchema = dnsNameSchema;

export const chainInputsShape = {
  /** Sui RPC endpoint the operator's machine uses. */
  rpcUrl: z.string().url("must be an http(s) URL"),
  /** Client transport: "grpc" (default; Sui gRPC, what public full nodes serve) or "jsonrpc" (private nodes that still serve it). */
  transport: z.enum(["grpc", "jsonrpc"]).default("grpc"),
  // An RPC provider's API key header(s); values are secrets, messages name headers only.
  rpcHeaders: rpcHeadersSchema.optional(),
  /** PEM CA certificates `rpcUrl`'s certificate is checked against besides the public CAs (a node with a private CA). Default: none. */
  rpcCaCertificates: caCertificatesSchema.optional(),
  packageId: objectIdSchema,
  poolId: objectIdSchema,
  adminCapId: objectIdSchema.optional(),
  registryId: objectIdSchema,
  /** The operator's wallet key (`suiprivkey1...`); must be a secret. Never echoed in an error: the message names the field only. */
  walletKey: z.string().startsWith("suiprivkey1", "must be a 'suiprivkey1...' key (sui keytool export)"),
};

export interface ChainInputs {
  rpcUrl: string;
  transport: "grpc" | "jsonrpc";
  rpcHeaders?: Record<string, string>;
  rpcCaCertificates?: string;
  packageId: string;
  poolId: string;
  adminCapId?: string;
  registryId: string;
  walletKey: string;
}

/** Whether two header sets differ (a changed API key is an in-place update of a chain resource). */
export function headersChanged(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  return rpcHeadersKey(a) !== rpcHeadersKey(b);
}

export interface CheckFailure {
  property: string;
  reason: string;
}

/** zod issues as Pulumi check failures, naming the field and never quoting its value. */
export function checkFailures(error: z.ZodError): CheckFailure[] {
  return error.issues.map((i) => ({
    property: i.path.join(".") || "(inputs)",
    reason: i.code === "invalid_type" && i.received === "undefined" ? `${i.path.join(".")} is required` : i.message,
  }));
}

/** The engine adds `__provider` (the serialized provider) to every input bag; validate the rest. */
export function userInputs(news: unknown): Record<string, unknown> {
  const bag = (typeof news === "object" && news !== null ? news : {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(bag).filter(([k]) => !k.startsWith("__")));
}

/** The value the engine passes for an input not known yet (during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * A provider's check: validates the user's inputs with `schema`, leaving out those not known
 * yet (preview) and the engine's own `__` keys. Returns Pulumi's { inputs, failures } shape.
 */
export function checkInputs<T extends z.ZodRawShape>(schema: z.ZodObject<T>, news: unknown): { inputs: Record<string, unknown>; failures?: CheckFailure[] } {
  const bag = userInputs(news);
  const unknownKeys = Object.keys(bag).filter((k) => bag[k] === UNKNOWN && k in schema.shape);
  const known = Object.fromEntries(Object.entries(bag).filter(([k]) => !unknownKeys.includes(k)));
  const loose = schema as unknown as z.AnyZodObject;
  const effective = unknownKeys.length ? loose.partial(Object.fromEntries(unknownKeys.map((k) => [k, true])) as Record<string, true>) : loose;
  const parsed = effective.safeParse(known);
  if (!parsed.success) return { inputs: news as Record<string, unknown>, failures: checkFailures(parsed.error) };
  return { inputs: { ...(parsed.data as Record<string, unknown>), ...Object.fromEntries(unknownKeys.map((k) => [k, UNKNOWN])) } };
}
