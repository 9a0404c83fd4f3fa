package agent

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// v1.32: k3s's kubeletArgsAndConfig (pkg/daemons/agent/agent_linux.go) and defaultKubeletConfig,
// extractConfigArgs, writeKubeletConfig (pkg/daemons/agent/agent.go): the defaults go to a
// KubeletConfiguration drop-in <data-dir>/agent/etc/kubelet.conf.d/00-k3s-defaults.conf (0600),
// the kubelet gets --config-dir plus a few flags. k3s marshals a kubeletconfig/v1beta1 struct
// with sigs.k8s.io/yaml (sorted keys); the stand-in has no k8s packages and writes the same
// fields from a map (fields left at their zero value, which the struct would print as "0s" or
// "{}", are left out: the kubelet's defaults for them are the same).

type kubeletConfig map[string]any

func dur(d time.Duration) string { return d.String() }

func defaultKubeletConfig(cfg *agentConfig) (kubeletConfig, error) {
	c := kubeletConfig{
		"apiVersion":                       "kubelet.config.k8s.io/v1beta1",
		"kind":                             "KubeletConfiguration",
		"cpuManagerReconcilePeriod":        dur(10 * time.Second),
		"cgroupDriver":                     "cgroupfs",
		"clusterDomain":                    cfg.ClusterDomain,
		"evictionPressureTransitionPeriod": dur(5 * time.Minute),
		"failSwapOn":                       false,
		"fileCheckFrequency":               dur(20 * time.Second),
		"httpCheckFrequency":               dur(20 * time.Second),
		"healthzBindAddress":               cfg.healthzBindAddress(),
		"imageMinimumGCAge":                dur(2 * time.Minute),
		"nodeStatusReportFrequency":        dur(5 * time.Minute),
		"nodeStatusUpdateFrequency":        dur(10 * time.Second),
		"runtimeRequestTimeout":            dur(2 * time.Minute),
		"streamingConnectionIdleTimeout":   dur(4 * time.Hour),
		"syncFrequency":                    dur(time.Minute),
		"volumeStatsAggPeriod":             dur(time.Minute),
		"evictionHard":                     kubeletConfig{"imagefs.available": "5%", "nodefs.available": "5%"},
		"evictionMinimumReclaim":           kubeletConfig{"imagefs.available": "10%", "nodefs.available": "10%"},
		"authentication": kubeletConfig{
			"anonymous": kubeletConfig{"enabled": false},
			"webhook":   kubeletConfig{"enabled": true, "cacheTTL": dur(2 * time.Minute)},
		},
		"authorization": kubeletConfig{
			"mode": "Webhook",
			"webhook": kubeletConfig{
				"cacheAuthorizedTTL":   dur(5 * time.Minute),
				"cacheUnauthorizedTTL": dur(30 * time.Second),
			},
		},
		"logging": kubeletConfig{
			"format":         "text",
			"verbosity":      cfg.VLevel,
			"flushFrequency": dur(5 * time.Second),
		},
		// readOnlyPort 0 is omitted by the v1beta1 struct's omitempty (k3s#12164, fixed after
		// v1.32.1 by a --read-only-port=0 flag): v1.32.1 did not pass it
	}
	if cfg.ProtectKernelDefaults {
		c["protectKernelDefaults"] = true
	}
	if cfg.ListenAddress != "" {
		c["address"] = cfg.ListenAddress
	}
	if cfg.ClientCA != "" {
		c["authentication"].(kubeletConfig)["x509"] = kubeletConfig{"clientCAFile": cfg.ClientCA}
	}
	if cfg.ServingKubeletCert != "" && cfg.ServingKubeletKey != "" {
		c["tlsCertFile"] = cfg.ServingKubeletCert
		c["tlsPrivateKeyFile"] = cfg.ServingKubeletKey
	}
	if len(cfg.ClusterDNSs) > 0 {
		c["clusterDNS"] = append([]string{}, cfg.ClusterDNSs...)
	}
	if cfg.ResolvConf != "" {
		c["resolvConf"] = cfg.ResolvConf
	}
	if cfg.PodManifests != "" {
		c["staticPodPath"] = cfg.PodManifests
		if err := os.MkdirAll(cfg.PodManifests, 0o750); err != nil {
			return nil, fmt.Errorf("failed to create static pod manifest dir %s: %w", cfg.PodManifests, err)
		}
	}
	taints, err := parseTaints(cfg.NodeTaints)
	if err != nil {
		return nil, fmt.Errorf("failed to parse node taints: %w", err)
	}
	if len(taints) > 0 {
		c["registerWithTaints"] = taints
	}
	if cfg.VModule != "" {
		c["logging"].(kubeletConfig)["vmodule"] = vmodule(cfg.VModule)
	}
	return c, nil
}

// vmodule is "pattern=N,..." as the logging configuration's list of {filePattern, verbosity}.
func vmodule(s string) []any {
	var out []any
	for _, item := range strings.Split(s, ",") {
		if pat, lvl, ok := strings.Cut(item, "="); ok {
			var n int
			fmt.Sscanf(lvl, "%d", &n)
			out = append(out, kubeletConfig{"filePattern": pat, "verbosity": n})
		}
	}
	return out
}

// parseTaints reads --node-taint values (key=value:Effect or key:Effect), as k8s's taints.ParseTaints.
func parseTaints(specs []string) ([]any, error) {
	var out []any
	for _, spec := range specs {
		kv, effect, ok := strings.Cut(spec, ":")
		if !ok {
			return nil, fmt.Errorf("invalid taint spec: %v", spec)
		}
		switch effect {
		case "NoSchedule", "PreferNoSchedule", "NoExecute":
		default:
			return nil, fmt.Errorf("invalid taint effect: %v, unsupported taint effect", effect)
		}
		key, value, _ := strings.Cut(kv, "=")
		if key == "" {
			return nil, fmt.Errorf("invalid taint spec: %v", spec)
		}
		t := kubeletConfig{"key": key, "effect": effect}
		if value != "" {
			t["value"] = value
		}
		out = append(out, t)
	}
	return out, nil
}

// kubeletArgsAndConfig is v1.32's: a few flags, the rest in the drop-in.
func kubeletArgsAndConfig(cfg *agentConfig, rel release, cg cgroupInfo) (map[string]string, kubeletConfig, error) {
	c, err := defaultKubeletConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	args := map[string]string{
		"config-dir": cfg.KubeletConfigDir,
		"kubeconfig": cfg.KubeConfigKubelet,
	}
	if cfg.RuntimeSocket != "" {
		c["serializeImagePulls"] = false
		if strings.Contains(cfg.RuntimeSocket, "containerd") {
			args["containerd"] = cfg.RuntimeSocket
		}
		c["containerRuntimeEndpoint"] = cfg.runtimeEndpoint()
	}
	if cfg.ImageServiceSocket != "" {
		c["imageServiceEndpoint"] = withSocketPrefix(cfg.ImageServiceSocket)
	}
	if cfg.NodeName != "" {
		args["hostname-override"] = cfg.NodeName
	}
	nodeIPArgs(cfg, rel, args)
	if !cg.controllers["pids"] {
		return nil, nil, errors.New("pids cgroup controller not found")
	}
	if !cg.controllers["cpu"] {
		warnf("Disabling CPU quotas due to missing cpu controller or cpu.cfs_period_us")
		c["cpuCFSQuota"] = false
	}
	if cg.kubeletRoot != "" {
		c["kubeletCgroups"] = cg.kubeletRoot
	}
	if cg.runtimeRoot != "" {
		args["runtime-cgroups"] = cg.runtimeRoot
	}
	args["node-labels"] = strings.Join(cfg.NodeLabels, ",")
	if imageCredProvAvailable(cfg) {
		infof("Kubelet image credential provider bin dir and configuration file found.")
		args["image-credential-provider-bin-dir"] = cfg.ImageCredProvBinDir
		args["image-credential-provider-config"] = cfg.ImageCredProvConfig
	}
	if !cfg.DisableServiceLB {
		c["allowedUnsafeSysctls"] = []string{"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"}
	}
	return args, c, nil
}

// extractConfigArgs takes --config and --config-dir out of the --kubelet-arg values and copies
// what they name into the drop-in dir (10-cli-config.conf, 20-cli-config-dir/), as k3s does.
func extractConfigArgs(dir string, extraArgs []string) ([]string, error) {
	args := make([]string, 0, len(extraArgs))
	stripped := map[string]string{}
	skipVal := false
	for i := range extraArgs {
		if skipVal {
			skipVal = false
			continue
		}
		var val string
		key := strings.TrimPrefix(extraArgs[i], "--")
		if k, v, ok := strings.Cut(key, "="); ok {
			key, val = k, v
		} else if len(extraArgs) > i+1 {
			val = extraArgs[i+1]
			skipVal = true
		}
		switch key {
		case "config", "config-dir":
			if val == "" {
				return nil, fmt.Errorf("value required for kubelet-arg --%s", key)
			}
			stripped[key] = val
		default:
			args = append(args, extraArgs[i])
			skipVal = false
		}
	}
	if src := stripped["config"]; src != "" && !strings.HasPrefix(src, dir) {
		dest := filepath.Join(dir, "10-cli-config.conf")
		if err := copyFile(src, dest); err != nil {
			return nil, fmt.Errorf("copy config %q into managed drop-in dir %q: %w", src, dest, err)
		}
	}
	if src := stripped["config-dir"]; src != "" && !strings.HasPrefix(src, dir) {
		dest := filepath.Join(dir, "20-cli-config-dir")
		if err := copyDir(src, dest); err != nil {
			return nil, fmt.Errorf("copy config-dir %q into managed drop-in dir %q: %w", src, dest, err)
		}
	}
	return args, nil
}

func copyFile(src, dest string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o700); err != nil {
		return err
	}
	out, err := os.OpenFile(dest, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func copyDir(src, dest string) error {
	return filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dest, rel)
		if fi.IsDir() {
			return os.MkdirAll(target, fi.Mode().Perm())
		}
		if fi.Mode().IsRegular() {
			return copyFile(p, target)
		}
		return nil
	})
}

// writeKubeletConfig writes the drop-in (0600).
func writeKubeletConfig(dir string, c kubeletConfig) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, "00-k3s-defaults.conf"), []byte(toYAML(c)), 0o600)
}
