// Field types the settings share: URLs, ports, and secrets that may arrive as Pulumi outputs.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

export const httpUrlSchema = z.string().regex(/^https?:\/\/\S+$/, "must be an http(s) URL");
export const tcpPortSchema = z.number().int().min(1).max(65535);

/**
 * A secret string: checked by `rule` when given as a string (the stack config always is); a
 * `pulumi.Output` (another resource's secret, say) passes as it is and is checked where it is
 * used. Either way the components keep it a secret.
 */
export function secretInput(rule: z.ZodType<string>) {
  return z.custom<pulumi.Input<string>>().superRefine((v, ctx) => {
    if (pulumi.Output.isInstance(v) || v instanceof Promise) return;
    const parsed = rule.safeParse(v);
    if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue(issue as z.IssueData);
  });
}

/** Deep readonly for argument types, leaving outputs, promises and functions alone. */
export type DeepReadonly<T> = T extends pulumi.Output<unknown> | Promise<unknown> | ((...a: never[]) => unknown) | string | number | boolean | bigint | undefined | null
  ? T
  : T extends ReadonlyArray<infer E>
    ? ReadonlyArray<DeepReadonly<E>>
    : { readonly [K in keyof T]: DeepReadonly<T[K]> };
