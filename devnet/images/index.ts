// Container images for the local world, built here because no registry is reachable: the pod
// sandbox image (a stand-in for k3s's default `rancher/mirrored-pause:3.6`) and a small workload
// the end-to-end tests run as Pods. Each is a static Go binary in a one-layer image, packed as an
// OCI image layout archive that `ctr -n k8s.io images import` takes (the name comes from the
// `io.containerd.image.name` annotation), which is what an operator's air-gap tarball is too.
// Cached outside the repository by a hash of the sources, like the other devnet builds.
import { createHash } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { run } from "../hosts/exec";

const SOURCE_DIR = __dirname;

export interface ImageSpec {
  /** Directory under devnet/images holding the program's main package. */
  readonly dir: string;
  /** Full image reference the archive is imported as. */
  readonly ref: string;
  readonly entrypoint: readonly string[];
}

/** k3s's default sandbox image for the releases the devnet serves (pkg/version, `PauseImage`). */
export const PAUSE_IMAGE = "docker.io/rancher/mirrored-pause:3.6";
/** The workload image the tests run (imagePullPolicy Never: it exists only where imported). */
export const HELLO_IMAGE = "docker.io/k3s-daas/hello:1";

export const IMAGES = {
  pause: { dir: "pause", ref: PAUSE_IMAGE, entrypoint: ["/pause"] },
  hello: { dir: "hello", ref: HELLO_IMAGE, entrypoint: ["/hello"] },
} as const satisfies Record<string, ImageSpec>;

export type ImageName = keyof typeof IMAGES;
export interface BuiltImage {
  ref: string;
  /** OCI image layout archive (tar). */
  tarball: string;
}

function cacheRoot(): string {
  return path.join(process.env.K3S_DAAS_CACHE ?? path.join(os.homedir(), ".cache", "k3s-daas"), "images");
}

async function sourceHash(): Promise<string> {
  const h = createHash("sha256");
  const files = ["go.mod", "index.ts", ...Object.values(IMAGES).map((i) => `${i.dir}/main.go`)].sort();
  for (const f of files) h.update(f).update(await fs.readFile(path.join(SOURCE_DIR, f)));
  return h.digest("hex").slice(0, 16);
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

async function writeBlob(blobs: string, data: Buffer): Promise<{ digest: string; size: number }> {
  const hex = sha256(data);
  await fs.writeFile(path.join(blobs, hex), data);
  return { digest: `sha256:${hex}`, size: data.length };
}

/** Builds one image archive into `out` (a deterministic tar: fixed mtimes, owners and order). */
async function buildImage(spec: ImageSpec, work: string, out: string): Promise<void> {
  const rootfs = path.join(work, "rootfs");
  const layout = path.join(work, "layout");
  const blobs = path.join(layout, "blobs", "sha256");
  await fs.mkdir(rootfs, { recursive: true });
  await fs.mkdir(blobs, { recursive: true });
  const bin = path.join(rootfs, spec.entrypoint[0]!.replace(/^\//, ""));
  await run("go", ["build", "-trimpath", "-ldflags", "-s -w", "-o", bin, `./${spec.dir}`], {
    cwd: SOURCE_DIR,
    env: { ...process.env, CGO_ENABLED: "0", GOOS: "linux", GOARCH: "amd64", GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local" },
  });
  const layerTar = path.join(work, "layer.tar");
  await run("tar", ["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-C", rootfs, "-cf", layerTar, "."]);
  const diffId = `sha256:${sha256(await fs.readFile(layerTar))}`;
  await run("gzip", ["-n", "-9", layerTar]);
  const layer = await writeBlob(blobs, await fs.readFile(`${layerTar}.gz`));
  const config = await writeBlob(blobs, Buffer.from(JSON.stringify({
    architecture: "amd64",
    os: "linux",
    config: { Entrypoint: spec.entrypoint, Env: ["PATH=/"], WorkingDir: "/" },
    rootfs: { type: "layers", diff_ids: [diffId] },
    history: [{ created_by: "k3s-daas devnet/images (built locally; no registry is reachable)" }],
  })));
  const manifest = await writeBlob(blobs, Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
  })));
  const tag = spec.ref.slice(spec.ref.lastIndexOf(":") + 1);
  await fs.writeFile(path.join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await fs.writeFile(path.join(layout, "index.json"), JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [{
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      ...manifest,
      platform: { architecture: "amd64", os: "linux" },
      annotations: { "io.containerd.image.name": spec.ref, "org.opencontainers.image.ref.name": tag },
    }],
  }));
  await run("tar", ["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-C", layout, "-cf", out, "."]);
}

/** Every image, built once per source state; fast when cached. */
export async function ensureImages(): Promise<Record<ImageName, BuiltImage>> {
  const dir = path.join(cacheRoot(), await sourceHash());
  const result = {} as Record<ImageName, BuiltImage>;
  for (const [name, spec] of Object.entries(IMAGES) as [ImageName, ImageSpec][]) {
    const tarball = path.join(dir, `${name}.tar`);
    if (!existsSync(tarball)) {
      const work = await fs.mkdtemp(path.join(os.tmpdir(), `k3s-daas-image-${name}-`));
      try {
        await fs.mkdir(dir, { recursive: true });
        await buildImage(spec, work, `${tarball}.tmp-${process.pid}`);
        await fs.rename(`${tarball}.tmp-${process.pid}`, tarball);
      } finally {
        await fs.rm(work, { recursive: true, force: true });
      }
    }
    result[name] = { ref: spec.ref, tarball };
  }
  return result;
}
