// What the install writes into the host's containerd for k3s (src/components/containerd-config.ts)
// and the commands that run configure-containerd.sh (remote-scripts.ts): pure, no host. The
// script itself runs on a real host in test/hosts/containerd-config.test.ts.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
// js-yaml comes with @pulumi/pulumi (which reads Pulumi.yaml with it); it has no types of its own.
const { load: loadYaml } = require("js-yaml") as { load(text: string): unknown };
import * as ctrd from "../../src/components/containerd-config";
import * as S from "../../src/components/remote-scripts";

describe("k3sCniBinDir: the CNI bin dir k3s lays out for a release (data/cni since k3s PR #10868)", () => {
  const cases: Array<[string | undefined, string]> = [
    ["v1.27.16+k3s1", ctrd.K3S_CNI_BIN_DIR_CURRENT],
    ["v1.28.14+k3s1", ctrd.K3S_CNI_BIN_DIR_CURRENT],
    ["v1.28.15+k3s1", ctrd.K3S_CNI_BIN_DIR_STATIC],
    ["v1.29.9+k3s1", ctrd.K3S_CNI_BIN_DIR_CURRENT],
    ["v1.29.10+k3s1", ctrd.K3S_CNI_BIN_DIR_STATIC],
    ["v1.30.5+k3s1", ctrd.K3S_CNI_BIN_DIR_CURRENT],
    ["v1.30.6+k3s1", ctrd.K3S_CNI_BIN_DIR_STATIC],
    ["v1.31.1+k3s1", ctrd.K3S_CNI_BIN_DIR_CURRENT],
    ["v1.31.2+k3s1", ctrd.K3S_CNI_BIN_DIR_STATIC],
    ["v1.31.4+k3s1", ctrd.K3S_CNI_BIN_DIR_STATIC],
    ["v1.32.0+k3s1", ctrd.K3S_CNI_BIN_DIR_STATIC],
    ["v1.32.1+k3s1", ctrd.K3S_CNI_BIN_DIR_STATIC],
    ["v1.35.4+k3s1", ctrd.K3S_CNI_BIN_DIR_STATIC],
    [undefined, ctrd.K3S_CNI_BIN_DIR_STATIC],
  ];
  for (const [version, dir] of cases) test(`${version ?? "no release named"} -> ${dir}`, () => assert.equal(ctrd.k3sCniBinDir(version), dir));
});

describe("normalizeImageRef: the name containerd's CRI resolves", () => {
  test("references, normalized as docker does", () => {
    const cases: Array<[string, string]> = [
      ["docker.io/rancher/mirrored-pause:3.6", "docker.io/rancher/mirrored-pause:3.6"],
      ["rancher/mirrored-pause:3.6", "docker.io/rancher/mirrored-pause:3.6"],
      ["pause:3.9", "docker.io/library/pause:3.9"],
      ["busybox", "docker.io/library/busybox:latest"],
      ["index.docker.io/library/busybox:1", "docker.io/library/busybox:1"],
      ["registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10"],
      ["localhost/pause:1", "localhost/pause:1"],
      ["10.99.0.1:5000/k3s-daas/pause:3.6", "10.99.0.1:5000/k3s-daas/pause:3.6"],
      [`registry.local/pause@sha256:${"a".repeat(64)}`, `registry.local/pause@sha256:${"a".repeat(64)}`],
      [`registry.local/pause:3.6@sha256:${"b".repeat(64)}`, `registry.local/pause:3.6@sha256:${"b".repeat(64)}`],
    ];
    for (const [ref, want] of cases) assert.equal(ctrd.normalizeImageRef(ref), want, ref);
  });
  test("not references", () => {
    for (const bad of ["", "http://registry/pause:3.6", "Pause:3.6", "pause:", "pause::3", "a b", "pause:3.6'", `x@sha256:${"a".repeat(10)}`, "/pause", "pause/", "x".repeat(256)]) {
      assert.equal(ctrd.normalizeImageRef(bad), undefined, bad);
    }
  });
});

describe("renderContainerdConfig", () => {
  test("version 2; CRI CNI dirs, sandbox image, runc with cgroupfs; config_path only with registry hosts", () => {
    const t = ctrd.renderContainerdConfig({ pauseImage: ctrd.DEFAULT_PAUSE_IMAGE, cniBinDir: ctrd.K3S_CNI_BIN_DIR_STATIC, registryHosts: false });
    assert.ok(t.startsWith(ctrd.MANAGED_HEADER), "the script only ever replaces a file with this header");
    const lines = t.split("\n").filter((l) => l && !l.startsWith("#"));
    assert.deepEqual(lines, [
      "version = 2",
      '[plugins."io.containerd.grpc.v1.cri"]',
      '  sandbox_image = "docker.io/rancher/mirrored-pause:3.6"',
      '  restrict_oom_score_adj = true',
      '[plugins."io.containerd.grpc.v1.cri".cni]',
      '  bin_dir = "/var/lib/rancher/k3s/data/cni"',
      '  conf_dir = "/var/lib/rancher/k3s/agent/etc/cni/net.d"',
      '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
      '  runtime_type = "io.containerd.runc.v2"',
      '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
      "  SystemdCgroup = false",
      '[plugins."io.containerd.internal.v1.opt"]',
      '  path = "/var/lib/containerd/opt"',
    ]);
    const withHosts = ctrd.renderContainerdConfig({ pauseImage: "registry.local/pause:3.9", cniBinDir: ctrd.K3S_CNI_BIN_DIR_CURRENT, registryHosts: true });
    assert.match(withHosts, /\[plugins\."io\.containerd\.grpc\.v1\.cri"\.registry\]\n {2}config_path = "\/etc\/containerd\/certs\.d"\n/);
    assert.match(withHosts, /bin_dir = "\/var\/lib\/rancher\/k3s\/data\/current\/bin"/);
  });
});

describe("registries: k3s's registries.yaml as containerd hosts.toml files", () => {
  const registries: ctrd.Registries = {
    mirrors: {
      "docker.io": { endpoint: ["http://10.99.0.1:5000", "https://mirror.example.com/v2/proxy", "http://10.99.0.1:5000/"], rewrite: { "^rancher/(.*)": "mirrored/$1" } },
      "registry.k8s.io": { endpoint: ["https://mirror.example.com"] },
      "*": { endpoint: ["https://all.example.com:8443"] },
    },
    configs: {
      "mirror.example.com": { tls: { ca_file: "/etc/ssl/mirror-ca.pem", cert_file: "/etc/ssl/c.pem", key_file: "/etc/ssl/k.pem" } },
      "10.99.0.1:5000": { tls: { insecure_skip_verify: true } },
      "localhost:5000": { tls: { ca_file: "/etc/ssl/local.pem" } },
      "quay.io": {},
      "ghcr.io": { tls: {} },
    },
  };
  const hosts = ctrd.renderRegistryHosts(registries);

  test("one directory per mirrored registry or registry with TLS settings; * is _default", () => {
    assert.deepEqual(Object.keys(hosts).sort(), ["10.99.0.1:5000", "_default", "docker.io", "localhost:5000", "mirror.example.com", "registry.k8s.io"]);
    assert.deepEqual(ctrd.renderRegistryHosts(undefined), {});
    assert.deepEqual(ctrd.renderRegistryHosts({ configs: { "quay.io": {} } }), {}, "a host without settings needs no file");
  });

  test("docker.io: its own server, each endpoint once (/v2 unless it has its own path), TLS of the endpoint's host, rewrites", () => {
    assert.equal(
      hosts["docker.io"],
      [
        "# Managed by k3s-daas from k3s.registries (k3s's registries.yaml). DO NOT EDIT.",
        'server = "https://registry-1.docker.io/v2"',
        "",
        '[host."http://10.99.0.1:5000/v2"]',
        '  capabilities = ["pull", "resolve"]',
        "  skip_verify = true",
        '  [host."http://10.99.0.1:5000/v2".rewrite]',
        '    "^rancher/(.*)" = "mirrored/$1"',
        "",
        '[host."https://mirror.example.com/v2/proxy"]',
        '  capabilities = ["pull", "resolve"]',
        "  override_path = true",
        '  ca = ["/etc/ssl/mirror-ca.pem"]',
        '  client = [["/etc/ssl/c.pem", "/etc/ssl/k.pem"]]',
        '  [host."https://mirror.example.com/v2/proxy".rewrite]',
        '    "^rancher/(.*)" = "mirrored/$1"',
        "",
      ].join("\n"),
    );
  });

  test("the wildcard has no server; a host with TLS only gets its server and TLS; localhost on a port is http", () => {
    assert.equal(hosts["_default"], ["# Managed by k3s-daas from k3s.registries (k3s's registries.yaml). DO NOT EDIT.", "", '[host."https://all.example.com:8443/v2"]', '  capabilities = ["pull", "resolve"]', ""].join("\n"));
    assert.equal(hosts["mirror.example.com"], ["# Managed by k3s-daas from k3s.registries (k3s's registries.yaml). DO NOT EDIT.", 'server = "https://mirror.example.com/v2"', 'ca = ["/etc/ssl/mirror-ca.pem"]', 'client = [["/etc/ssl/c.pem", "/etc/ssl/k.pem"]]', ""].join("\n"));
    assert.match(hosts["localhost:5000"]!, /^server = "http:\/\/localhost:5000\/v2"\nca = \["\/etc\/ssl\/local\.pem"\]\n$/m);
    assert.match(hosts["registry.k8s.io"]!, /server = "https:\/\/registry\.k8s\.io\/v2"\n\n\[host\."https:\/\/mirror\.example\.com\/v2"\]\n {2}capabilities = \["pull", "resolve"\]\n {2}ca = \["\/etc\/ssl\/mirror-ca\.pem"\]/);
  });

  test("registries.yaml holds the same settings, as k3s reads it", () => {
    const yaml = ctrd.renderRegistriesYaml(registries);
    assert.ok(yaml.startsWith(ctrd.MANAGED_HEADER));
    assert.deepEqual(loadYaml(yaml), registries);
  });

  test("the schema takes k3s's shape and names what it refuses", () => {
    assert.equal(ctrd.registriesSchema.safeParse(registries).success, true);
    const bad = ctrd.registriesSchema.safeParse({ mirrors: { "docker.io": { endpoint: ["docker.io"], rewrites: {} } }, configs: { m: { auth: { password: "SECRET" } } } });
    assert.equal(bad.success, false);
    const issues = bad.error!.issues.map((i) => `${i.path.join(".")}: ${i.code === "unrecognized_keys" ? `unknown ${i.keys.join(",")}` : i.message}`).sort();
    assert.deepEqual(issues, ["configs.m: unknown auth", "mirrors.docker.io.endpoint.0: must be an http(s) URL (http://host:port or https://host/path)", "mirrors.docker.io: unknown rewrites"]);
    assert.equal(JSON.stringify(bad.error!.issues).includes("SECRET"), false);
  });
});

describe("configure-containerd.sh's input and commands", () => {
  test("the manifest: config, hosts, registries, images, one a line, contents in base64", () => {
    const m = ctrd.runtimeSetupManifest({
      runtime: "containerd",
      containerdConfig: "# Managed by k3s-daas\nversion = 2\n",
      registryHosts: { "docker.io": "# Managed by k3s-daas\n" },
      registriesYaml: "# Managed by k3s-daas\nmirrors: {}\n",
      images: [{ file: "pause.tar", sha256: "a".repeat(64) }],
    });
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    assert.equal(m, [`config ${b64("# Managed by k3s-daas\nversion = 2\n")}`, `hosts docker.io ${b64("# Managed by k3s-daas\n")}`, `registries ${b64("# Managed by k3s-daas\nmirrors: {}\n")}`, `image ${"a".repeat(64)} pause.tar`, ""].join("\n"));
    assert.equal(ctrd.runtimeSetupManifest({ runtime: "docker", registryHosts: {}, images: [] }), "\n");
  });

  test("commands: run with the runtime and the script's version; repair; restore only if the script is there", () => {
    assert.equal(S.configureContainerRuntime("containerd", "f".repeat(64)), `K3S_DAAS_RUNTIME=containerd sh ${S.RUNTIME_CONFIGURER} # script=${"f".repeat(16)}`);
    assert.equal(S.configureContainerRuntime("docker", "0".repeat(64)), `K3S_DAAS_RUNTIME=docker sh ${S.RUNTIME_CONFIGURER} # script=${"0".repeat(16)}`);
    assert.equal(S.repairContainerdConfig(), `K3S_DAAS_RUNTIME=containerd sh ${S.RUNTIME_CONFIGURER} --config-only`);
    assert.equal(S.restoreContainerRuntime("containerd"), `if [ -f ${S.RUNTIME_CONFIGURER} ]; then K3S_DAAS_RUNTIME=containerd sh ${S.RUNTIME_CONFIGURER} --restore; fi`);
    assert.equal(S.RUNTIME_CONFIGURER, "/opt/k3s-daas/configure-containerd.sh");
    assert.equal(S.AIRGAP_IMAGES_DIR, "/var/lib/rancher/k3s/agent/images");
  });

  test("the probe makes k3s's airgap dir only when images are uploaded", () => {
    assert.ok(!S.probeHost("root").includes("/var/lib/rancher"));
    assert.ok(S.probeHost("root", { airgapImages: true }).includes("mkdir -p /var/lib/rancher/k3s/agent/images"));
    assert.match(S.probeHost("ubuntu", { airgapImages: true }), /^sudo -n true .*sudo -n sh -c '.*mkdir -p \/var\/lib\/rancher\/k3s\/agent\/images/);
  });

  test("k3s gets --pause-image with docker (cri-dockerd reads it), never with containerd (its config has it)", () => {
    const o = { serverUrl: "https://10.0.0.1:6443", nodeId: "w1", binUrl: "http://m/k3s", extraArgs: [] as string[], pauseImage: "docker.io/rancher/mirrored-pause:3.6" };
    assert.match(S.installK3sAgent({ ...o, runtime: "docker" }), /INSTALL_K3S_EXEC='agent --node-name w1 --docker --pause-image docker\.io\/rancher\/mirrored-pause:3\.6'/);
    assert.match(S.installK3sAgent({ ...o, runtime: "containerd" }), /INSTALL_K3S_EXEC='agent --node-name w1 --container-runtime-endpoint unix:\/\/\/run\/containerd\/containerd\.sock'/);
  });
});
