// k3s: the cluster the workers join, the release they run and the container runtime under it.
import { existsSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { z } from "zod";
import { DEFAULT_PAUSE_IMAGE, imageRefSchema, registriesSchema } from "../components/containerd-config";
import { k3sVersionSchema, sha256Schema } from "../rules";
import { secretInput } from "./fields";

export const DEFAULT_K3S_VERSION = "v1.31.4+k3s1";

/** Image tarballs on this machine: existing .tar files, resolved against the working directory. */
const imagesSchema = z
  .array(
    z
      .string()
      .min(1)
      .transform((p) => resolve(p))
      .refine((p) => existsSync(p) && statSync(p).isFile(), "must be an image tarball on this machine (the file does not exist)")
      .refine((p) => /^[A-Za-z0-9][A-Za-z0-9._-]*\.tar$/.test(basename(p)), "must be a .tar file (docker save or an OCI archive) named with letters, digits, . _ -"),
  )
  .superRefine((paths, ctx) => {
    const seen = new Map<string, number>();
    paths.forEach((p, i) => {
      const prev = seen.get(basename(p));
      if (prev !== undefined) ctx.addIssue({ code: "custom", path: [i], message: `has the same file name as k3s.images[${prev}] (both would land in the same place on the host)` });
      seen.set(basename(p), i);
    });
  });

/** A k3s agent flag: one shell word, never a token (the join token travels on stdin only). */
const extraArgSchema = z
  .string()
  .refine((a) => !/['"\s\\`$]/.test(a), "must not contain quotes, spaces, backslashes, backticks or $")
  .refine((a) => !/^(--token|-t|--token-file|--agent-token|--agent-token-file)(=|$)/.test(a), "must not pass a token: the join token goes through k3sToken only");

export const k3sSchema = z
  .object({
    /** The k3s server the agents join (https://host:port). */
    serverUrl: z.string().regex(/^https:\/\/[A-Za-z0-9.:\[\]-]+:\d+\/?$/, "must be https://host:port"),
    /**
     * The k3s release (`k3s --version`), checked on the host at install and by every health check.
     * A new version reinstalls, worker by worker. @default "v1.31.4+k3s1"
     */
    version: k3sVersionSchema.default(DEFAULT_K3S_VERSION),
    /**
     * A mirror of the k3s binary (air-gapped hosts; http needs `binSha256`).
     * @default the release's binary on GitHub, checked on the host against its sha256sum-<arch>.txt
     */
    binUrl: z
      .string()
      .regex(/^(https?|file):\/\/[A-Za-z0-9._~:/?#\[\]@!$&()*+,;=%-]+$/, "must be an http(s) or file URL without quotes or spaces")
      .refine((u) => !u.includes("'"), "must be an http(s) or file URL without quotes or spaces")
      .optional(),
    /** The binary's sha256 (`sha256sum k3s`), checked on the host. @default none */
    binSha256: sha256Schema.optional(),
    /** Extra `k3s agent` flags. @default [] */
    extraArgs: z.array(extraArgSchema).default([]),
    /** The sandbox image every pod runs with. @default "docker.io/rancher/mirrored-pause:3.6" (k3s's for these releases) */
    pauseImage: imageRefSchema.default(DEFAULT_PAUSE_IMAGE),
    /**
     * Image tarballs on this machine (`docker save` output or OCI archives) for hosts that reach
     * no registry: uploaded to k3s's airgap dir and imported, again only when one changes. @default []
     */
    images: imagesSchema.default([]),
    /** k3s's registries.yaml (mirrors, configs.<host>.tls), applied as containerd hosts.toml. containerd only. @default none */
    registries: registriesSchema.optional(),
    /**
     * Whether the install writes containerd's config.toml for k3s (CNI dirs, sandbox image,
     * cgroupfs, mirrors) and puts it back when it drifts. false leaves it to the operator, who must
     * then give k3s's CNI dirs or every node stays NotReady. @default true
     */
    manageContainerdConfig: z.boolean().default(true),
  })
  .strict();

export const k3sShape = {
  k3s: k3sSchema,
  /** The cluster's join token. Kept a secret; reaches the hosts on stdin only. */
  k3sToken: secretInput(z.string().min(1, "must be the cluster's join token (set it with --secret)")),
  /** "containerd", or "docker" (k3s's --docker, cri-dockerd). @default "containerd" */
  containerRuntime: z.enum(["containerd", "docker"]).default("containerd"),
  /** A local apt source line for the runtime package (`deb [trusted=yes] http://mirror/ ./`). @default the hosts' own sources */
  aptSource: z.string().regex(/^deb (\[[^\]]*\] )?\S+ \S+/, "must be an apt source line: deb [options] URI suite").optional(),
};

/** Where the hosts fetch k3s: the mirror, else the release's directory on GitHub. */
export function k3sDownloadUrl(k3s: { readonly binUrl?: string; readonly version: string }): string {
  return k3s.binUrl ?? `https://github.com/k3s-io/k3s/releases/download/${encodeURIComponent(k3s.version)}/k3s`;
}
