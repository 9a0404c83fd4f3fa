// CA certificates (PEM) a private node's certificate is checked against, besides Node's bundled
// public CAs: one validator for the stack config, the providers and the agent.
import { X509Certificate } from "node:crypto";
import { z } from "zod";

const BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** What is wrong with a PEM bundle of certificates; empty when each block is an X.509 certificate. */
export function caCertificateProblems(pem: unknown): string[] {
  if (typeof pem !== "string") return ["must be PEM text (-----BEGIN CERTIFICATE----- ...)"];
  const blocks = pem.match(BLOCK) ?? [];
  if (blocks.length === 0) return ["must hold at least one PEM certificate (-----BEGIN CERTIFICATE----- ...)"];
  if (pem.replace(BLOCK, "").trim() !== "") return ["must hold PEM certificates only (no keys or other text)"];
  const problems: string[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block); // a CA, or a node's own self-signed certificate: both are trust anchors
    } catch {
      problems.push(`certificate ${i + 1} is not a valid X.509 certificate`);
    }
  }
  return problems;
}

/** The zod form, for config schemas. */
export const caCertificatesSchema = z.string().superRefine((pem, ctx) => {
  for (const message of caCertificateProblems(pem)) ctx.addIssue({ code: z.ZodIssueCode.custom, message });
});
