package agent

import (
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func testAgentConfig(t *testing.T) *agentConfig {
	d := t.TempDir()
	return &agentConfig{
		NodeName: "worker-1-0a1b2c3d", NodeIPs: []net.IP{net.ParseIP("10.99.0.9")},
		ClusterDomain: "cluster.local", ClusterDNSs: []string{"10.43.0.10"}, ResolvConf: "/etc/resolv.conf",
		RuntimeSocket: "unix:///run/containerd/containerd.sock", ListenAddress: "0.0.0.0",
		ClientCA: d + "/agent/client-ca.crt", ServingKubeletCert: d + "/agent/serving-kubelet.crt", ServingKubeletKey: d + "/agent/serving-kubelet.key",
		KubeConfigKubelet: d + "/agent/kubelet.kubeconfig", PodManifests: d + "/agent/pod-manifests", KubeletConfigDir: d + "/agent/etc/kubelet.conf.d",
		NodeLabels: []string{"k3s-daas.io/stake=0xabc", "a=b"}, NodeTaints: []string{"dedicated=gpu:NoSchedule"},
		ImageCredProvBinDir: d + "/nope", ImageCredProvConfig: d + "/nope.yaml",
		ExtraKubeletArgs: []string{"max-pods=50", "node-labels+=extra=1"},
	}
}

var cgroupsOK = cgroupInfo{controllers: map[string]bool{"cpu": true, "pids": true, "memory": true}}

func TestKubeletArgsV131AreK3sFlags(t *testing.T) {
	captureLog(t)
	cfg := testAgentConfig(t)
	rel, _ := parseRelease("v1.31.4+k3s1")
	args, err := buildKubeletArgs(cfg, rel, cgroupInfo{kubeletRoot: "/k3s", runtimeRoot: "/k3s", controllers: cgroupsOK.controllers})
	if err != nil {
		t.Fatal(err)
	}
	d := filepath.Dir(filepath.Dir(cfg.KubeConfigKubelet))
	want := []string{
		"--address=0.0.0.0",
		"--allowed-unsafe-sysctls=net.ipv4.ip_forward,net.ipv6.conf.all.forwarding",
		"--anonymous-auth=false",
		"--authentication-token-webhook=true",
		"--authorization-mode=Webhook",
		"--cgroup-driver=cgroupfs",
		"--client-ca-file=" + d + "/agent/client-ca.crt",
		"--cloud-provider=external",
		"--cluster-dns=10.43.0.10",
		"--cluster-domain=cluster.local",
		"--container-runtime-endpoint=unix:///run/containerd/containerd.sock",
		"--containerd=unix:///run/containerd/containerd.sock",
		"--eviction-hard=imagefs.available<5%,nodefs.available<5%",
		"--eviction-minimum-reclaim=imagefs.available=10%,nodefs.available=10%",
		"--fail-swap-on=false",
		"--feature-gates=CloudDualStackNodeIPs=true",
		"--healthz-bind-address=127.0.0.1",
		"--hostname-override=worker-1-0a1b2c3d",
		"--kubeconfig=" + d + "/agent/kubelet.kubeconfig",
		"--kubelet-cgroups=/k3s",
		"--max-pods=50",
		"--node-ip=10.99.0.9",
		"--node-labels=k3s-daas.io/stake=0xabc,a=b",
		"--node-labels=extra=1",
		"--pod-manifest-path=" + d + "/agent/pod-manifests",
		"--read-only-port=0",
		"--register-with-taints=dedicated=gpu:NoSchedule",
		"--resolv-conf=/etc/resolv.conf",
		"--runtime-cgroups=/k3s",
		"--serialize-image-pulls=false",
		"--tls-cert-file=" + d + "/agent/serving-kubelet.crt",
		"--tls-private-key-file=" + d + "/agent/serving-kubelet.key",
	}
	if !reflect.DeepEqual(args, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(args, "\n"), strings.Join(want, "\n"))
	}
	if fi, err := os.Stat(cfg.PodManifests); err != nil || !fi.IsDir() {
		t.Errorf("pod-manifests not created")
	}
}

func TestKubeletArgsV132UseAConfigDropIn(t *testing.T) {
	captureLog(t)
	cfg := testAgentConfig(t)
	// a --kubelet-arg=config=... file goes into the drop-in dir, not onto the command line
	userConf := filepath.Join(t.TempDir(), "kubelet.yaml")
	os.WriteFile(userConf, []byte("maxPods: 60\n"), 0o644)
	cfg.ExtraKubeletArgs = append(cfg.ExtraKubeletArgs, "config="+userConf)
	rel, _ := parseRelease("v1.32.1+k3s1")
	args, err := buildKubeletArgs(cfg, rel, cgroupsOK)
	if err != nil {
		t.Fatal(err)
	}
	d := filepath.Dir(filepath.Dir(cfg.KubeConfigKubelet))
	want := []string{
		"--cloud-provider=external",
		"--config-dir=" + d + "/agent/etc/kubelet.conf.d",
		"--containerd=unix:///run/containerd/containerd.sock",
		"--hostname-override=worker-1-0a1b2c3d",
		"--kubeconfig=" + d + "/agent/kubelet.kubeconfig",
		"--max-pods=50",
		"--node-ip=10.99.0.9",
		"--node-labels=k3s-daas.io/stake=0xabc,a=b",
		"--node-labels=extra=1",
	}
	if !reflect.DeepEqual(args, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(args, "\n"), strings.Join(want, "\n"))
	}
	dropIn := filepath.Join(cfg.KubeletConfigDir, "00-k3s-defaults.conf")
	b, err := os.ReadFile(dropIn)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dropIn); fi.Mode().Perm() != 0o600 {
		t.Errorf("drop-in mode %o", fi.Mode().Perm())
	}
	wantYAML := `allowedUnsafeSysctls:
- net.ipv4.ip_forward
- net.ipv6.conf.all.forwarding
apiVersion: kubelet.config.k8s.io/v1beta1
authentication:
  anonymous:
    enabled: false
  webhook:
    cacheTTL: 2m0s
    enabled: true
  x509:
    clientCAFile: ` + d + `/agent/client-ca.crt
authorization:
  mode: Webhook
  webhook:
    cacheAuthorizedTTL: 5m0s
    cacheUnauthorizedTTL: 30s
cgroupDriver: cgroupfs
clusterDNS:
- 10.43.0.10
clusterDomain: cluster.local
containerRuntimeEndpoint: unix:///run/containerd/containerd.sock
cpuManagerReconcilePeriod: 10s
evictionHard:
  imagefs.available: 5%
  nodefs.available: 5%
evictionMinimumReclaim:
  imagefs.available: 10%
  nodefs.available: 10%
evictionPressureTransitionPeriod: 5m0s
failSwapOn: false
fileCheckFrequency: 20s
healthzBindAddress: 127.0.0.1
httpCheckFrequency: 20s
imageMinimumGCAge: 2m0s
kind: KubeletConfiguration
logging:
  flushFrequency: 5s
  format: text
  verbosity: 0
nodeStatusReportFrequency: 5m0s
nodeStatusUpdateFrequency: 10s
registerWithTaints:
- effect: NoSchedule
  key: dedicated
  value: gpu
resolvConf: /etc/resolv.conf
runtimeRequestTimeout: 2m0s
serializeImagePulls: false
staticPodPath: ` + d + `/agent/pod-manifests
streamingConnectionIdleTimeout: 4h0m0s
syncFrequency: 1m0s
tlsCertFile: ` + d + `/agent/serving-kubelet.crt
tlsPrivateKeyFile: ` + d + `/agent/serving-kubelet.key
volumeStatsAggPeriod: 1m0s
address: 0.0.0.0
`
	// sorted keys: "address" sorts first
	wantYAML = "address: 0.0.0.0\n" + strings.TrimSuffix(wantYAML, "address: 0.0.0.0\n")
	if string(b) != wantYAML {
		t.Errorf("drop-in:\n%s\nwant:\n%s", b, wantYAML)
	}
	if c, _ := os.ReadFile(filepath.Join(cfg.KubeletConfigDir, "10-cli-config.conf")); string(c) != "maxPods: 60\n" {
		t.Errorf("the user's --config was not copied into the drop-in dir: %q", c)
	}
}

func TestKubeletArgsWithoutTheCloudProviderOrCgroups(t *testing.T) {
	captureLog(t)
	cfg := testAgentConfig(t)
	cfg.DisableCCM = true
	cfg.ExtraKubeletArgs = nil
	rel, _ := parseRelease("v1.31.4+k3s1")
	args, err := buildKubeletArgs(cfg, rel, cgroupInfo{controllers: map[string]bool{"pids": true}})
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(args, " ")
	for _, absent := range []string{"--cloud-provider", "--feature-gates", "--kubelet-cgroups"} {
		if strings.Contains(joined, absent) {
			t.Errorf("%s passed: %s", absent, joined)
		}
	}
	for _, present := range []string{"--node-ip=10.99.0.9", "--cpu-cfs-quota=false"} {
		if !strings.Contains(joined, present) {
			t.Errorf("%s missing: %s", present, joined)
		}
	}
	if _, err := buildKubeletArgs(cfg, rel, cgroupInfo{controllers: map[string]bool{"cpu": true}}); err == nil || err.Error() != "pids cgroup controller not found" {
		t.Errorf("no pids controller: %v", err)
	}
}

func TestGetArgsMergesKubeletArgsAsK3s(t *testing.T) {
	got := getArgs(map[string]string{"a": "1", "b": "2", "feature-gates": "X=true"},
		[]string{"b=3", "--c", "feature-gates+=Y=true", "d=4", "d=5", "a-=0"})
	want := []string{"--a=0", "--a=1", "--b=3", "--c=true", "--d=4", "--d=5", "--feature-gates=X=true", "--feature-gates=Y=true"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
}

func TestCheckCgroupsReadsK3sSignals(t *testing.T) {
	d := t.TempDir()
	os.MkdirAll(filepath.Join(d, "sys", "cpu", "system.slice", "k3s-agent.service"), 0o755)
	os.WriteFile(filepath.Join(d, "sys", "cpu", "system.slice", "k3s-agent.service", "cpu.cfs_period_us"), []byte("100000"), 0o644)
	os.WriteFile(filepath.Join(d, "self"), []byte("9:name=systemd:/system.slice/k3s-agent.service\n8:pids:/system.slice/k3s-agent.service\n1:cpu,cpuacct:/system.slice/k3s-agent.service\n"), 0o644)
	// pid 1 in a container's cgroup: the kubelet and runtime get /k3s
	os.WriteFile(filepath.Join(d, "init"), []byte("9:name=systemd:/machine.slice/machine-host1.scope\n"), 0o644)
	cg := checkCgroups(cgroupPaths{filepath.Join(d, "sys"), filepath.Join(d, "self"), filepath.Join(d, "init")})
	if !cg.controllers["pids"] || !cg.controllers["cpu"] || cg.kubeletRoot != "/k3s" || cg.runtimeRoot != "/k3s" {
		t.Errorf("%+v", cg)
	}
	os.WriteFile(filepath.Join(d, "init"), []byte("9:name=systemd:/init.scope\n"), 0o644)
	cg = checkCgroups(cgroupPaths{filepath.Join(d, "sys"), filepath.Join(d, "self"), filepath.Join(d, "init")})
	if cg.kubeletRoot != "" || cg.runtimeRoot != "" {
		t.Errorf("on a host (pid 1 at /init.scope) the cgroups are left to the kubelet: %+v", cg)
	}
}
