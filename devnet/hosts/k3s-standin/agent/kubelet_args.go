package agent

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
)

// The kubelet command line k3s builds (pkg/daemons/agent/agent_linux.go kubeletArgs for v1.31,
// kubeletArgsAndConfig + agent.go defaultKubeletConfig for v1.32, then util.GetArgs with the
// --kubelet-arg values). agentConfig is the part of k3s's daemons/config.Agent they read.

type agentConfig struct {
	NodeName              string
	NodeIPs               []net.IP
	ClusterDomain         string
	ClusterDNSs           []string
	ResolvConf            string
	RuntimeSocket         string // --container-runtime-endpoint as given
	ImageServiceSocket    string
	ListenAddress         string // --bind-address, else 0.0.0.0 (:: for an IPv6 node)
	ClientCA              string
	ServingKubeletCert    string
	ServingKubeletKey     string
	KubeConfigKubelet     string
	PodManifests          string
	KubeletConfigDir      string // v1.32: agent/etc/kubelet.conf.d
	NodeLabels            []string
	NodeTaints            []string
	ImageCredProvBinDir   string
	ImageCredProvConfig   string
	ProtectKernelDefaults bool
	DisableCCM            bool
	DisableServiceLB      bool
	VLevel                int
	VModule               string
	ExtraKubeletArgs      []string
}

const socketPrefix = "unix://"

func (cfg *agentConfig) nodeIP() string {
	if len(cfg.NodeIPs) == 0 {
		return ""
	}
	return cfg.NodeIPs[0].String()
}

func (cfg *agentConfig) healthzBindAddress() string {
	if len(cfg.NodeIPs) > 0 && cfg.NodeIPs[0].To4() == nil {
		return "::1"
	}
	return "127.0.0.1"
}

func (cfg *agentConfig) runtimeEndpoint() string {
	if strings.HasPrefix(cfg.RuntimeSocket, socketPrefix) {
		return cfg.RuntimeSocket
	}
	return socketPrefix + cfg.RuntimeSocket
}

func isDualStack(ips []net.IP) bool {
	v4, v6 := false, false
	for _, ip := range ips {
		if ip.To4() != nil {
			v4 = true
		} else {
			v6 = true
		}
	}
	return v4 && v6
}

// nodeIPArgs: with k3s's embedded cloud provider (the default) the kubelet runs with
// --cloud-provider=external and all node IPs; without it (DisableCCM), one single-stack IP.
func nodeIPArgs(cfg *agentConfig, rel release, args map[string]string) {
	if cfg.DisableCCM {
		if len(cfg.NodeIPs) > 0 && !isDualStack(cfg.NodeIPs) {
			args["node-ip"] = cfg.nodeIP()
		}
		return
	}
	if rel.cloudDualStackGate() {
		args["feature-gates"] = addFeatureGate(args["feature-gates"], "CloudDualStackNodeIPs=true")
	}
	if ips := joinIPs(cfg.NodeIPs); ips != "" {
		args["node-ip"] = ips
	}
	args["cloud-provider"] = "external"
}

func addFeatureGate(current, gate string) string {
	if current == "" {
		return gate
	}
	return current + "," + gate
}

// imageCredProvAvailable: both credential provider paths exist, a dir and a file.
func imageCredProvAvailable(cfg *agentConfig) bool {
	if info, err := os.Stat(cfg.ImageCredProvBinDir); err != nil || !info.IsDir() {
		return false
	}
	if info, err := os.Stat(cfg.ImageCredProvConfig); err != nil || info.IsDir() {
		return false
	}
	return true
}

// kubeletArgsFlags is kubeletArgs() of k3s v1.31 (everything as flags).
func kubeletArgsFlags(cfg *agentConfig, rel release, cg cgroupInfo) (map[string]string, error) {
	args := map[string]string{
		"healthz-bind-address":         cfg.healthzBindAddress(),
		"read-only-port":               "0",
		"cluster-domain":               cfg.ClusterDomain,
		"kubeconfig":                   cfg.KubeConfigKubelet,
		"eviction-hard":                "imagefs.available<5%,nodefs.available<5%",
		"eviction-minimum-reclaim":     "imagefs.available=10%,nodefs.available=10%",
		"fail-swap-on":                 "false",
		"cgroup-driver":                "cgroupfs",
		"authentication-token-webhook": "true",
		"anonymous-auth":               "false",
		"authorization-mode":           "Webhook",
	}
	if cfg.PodManifests != "" {
		args["pod-manifest-path"] = cfg.PodManifests
	}
	if err := os.MkdirAll(args["pod-manifest-path"], 0o755); err != nil {
		errorf("Failed to mkdir %s: %v", args["pod-manifest-path"], err)
	}
	if dns := cfg.ClusterDNSs; len(dns) > 0 {
		args["cluster-dns"] = strings.Join(dns, ",")
	}
	if cfg.ResolvConf != "" {
		args["resolv-conf"] = cfg.ResolvConf
	}
	if cfg.RuntimeSocket != "" {
		args["serialize-image-pulls"] = "false"
		if strings.Contains(cfg.RuntimeSocket, "containerd") {
			args["containerd"] = cfg.RuntimeSocket
		}
		args["container-runtime-endpoint"] = cfg.runtimeEndpoint()
	}
	if cfg.ImageServiceSocket != "" {
		args["image-service-endpoint"] = withSocketPrefix(cfg.ImageServiceSocket)
	}
	if cfg.ListenAddress != "" {
		args["address"] = cfg.ListenAddress
	}
	if cfg.ClientCA != "" {
		args["anonymous-auth"] = "false"
		args["client-ca-file"] = cfg.ClientCA
	}
	if cfg.ServingKubeletCert != "" && cfg.ServingKubeletKey != "" {
		args["tls-cert-file"] = cfg.ServingKubeletCert
		args["tls-private-key-file"] = cfg.ServingKubeletKey
	}
	if cfg.NodeName != "" {
		args["hostname-override"] = cfg.NodeName
	}
	nodeIPArgs(cfg, rel, args)
	if !cg.controllers["cpu"] {
		warnf("Disabling CPU quotas due to missing cpu controller or cpu.cfs_period_us")
		args["cpu-cfs-quota"] = "false"
	}
	if !cg.controllers["pids"] {
		return nil, errors.New("pids cgroup controller not found")
	}
	if cg.kubeletRoot != "" {
		args["kubelet-cgroups"] = cg.kubeletRoot
	}
	if cg.runtimeRoot != "" {
		args["runtime-cgroups"] = cg.runtimeRoot
	}
	args["node-labels"] = strings.Join(cfg.NodeLabels, ",")
	if len(cfg.NodeTaints) > 0 {
		args["register-with-taints"] = strings.Join(cfg.NodeTaints, ",")
	}
	if imageCredProvAvailable(cfg) {
		infof("Kubelet image credential provider bin dir and configuration file found.")
		args["image-credential-provider-bin-dir"] = cfg.ImageCredProvBinDir
		args["image-credential-provider-config"] = cfg.ImageCredProvConfig
	}
	if cfg.ProtectKernelDefaults {
		args["protect-kernel-defaults"] = "true"
	}
	if !cfg.DisableServiceLB {
		args["allowed-unsafe-sysctls"] = "net.ipv4.ip_forward,net.ipv6.conf.all.forwarding"
	}
	if cfg.VLevel != 0 {
		args["v"] = strconv.Itoa(cfg.VLevel)
	}
	if cfg.VModule != "" {
		args["vmodule"] = cfg.VModule
	}
	return args, nil
}

func withSocketPrefix(s string) string {
	if strings.HasPrefix(s, socketPrefix) {
		return s
	}
	return socketPrefix + s
}

// getArgs is k3s's util.GetArgs: the default args and the --kubelet-arg values, sorted by name.
// An extra arg replaces the default of the same name; "name+=v" appends to it, "name-=v"
// prepends; a repeated extra arg is passed as often as given.
func getArgs(initialArgs map[string]string, extraArgs []string) []string {
	const hyphens = "--"
	initial := make(map[string]string, len(initialArgs))
	for k, v := range initialArgs {
		initial[k] = v
	}
	multiArgs := map[string][]string{}
	for _, unsplitArg := range extraArgs {
		splitArg := strings.SplitN(strings.TrimPrefix(unsplitArg, hyphens), "=", 2)
		arg := splitArg[0]
		value := "true"
		if len(splitArg) > 1 {
			value = splitArg[1]
		}
		cleanedArg := strings.TrimRight(arg, "-+")
		initialValue, initialValueExists := initial[cleanedArg]
		existingValues, existingValuesFound := multiArgs[cleanedArg]
		var newValues []string
		switch {
		case strings.HasSuffix(arg, "+"):
			if initialValueExists {
				newValues = append(newValues, initialValue)
			}
			if existingValuesFound {
				newValues = append(newValues, existingValues...)
			}
			newValues = append(newValues, value)
		case strings.HasSuffix(arg, "-"):
			newValues = append(newValues, value)
			if initialValueExists {
				newValues = append(newValues, initialValue)
			}
			if existingValuesFound {
				newValues = append(newValues, existingValues...)
			}
		default:
			if existingValuesFound {
				newValues = append(newValues, existingValues...)
			}
			newValues = append(newValues, value)
		}
		delete(initial, cleanedArg)
		multiArgs[cleanedArg] = newValues
	}
	for arg, value := range initial {
		multiArgs[arg] = []string{value}
	}
	keys := make([]string, 0, len(multiArgs))
	for k := range multiArgs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var args []string
	for _, k := range keys {
		for _, v := range multiArgs[k] {
			args = append(args, fmt.Sprintf("%s%s=%s", hyphens, strings.TrimPrefix(k, hyphens), v))
		}
	}
	return args
}
