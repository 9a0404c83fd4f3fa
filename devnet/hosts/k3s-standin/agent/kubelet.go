package agent

import (
	"fmt"
	"net"
	"os"
	"strconv"
)

// kubeletArgs assembles the kubelet command line for this release.
func (a *agentRun) kubeletArgs(res *joined, nodeIPs []net.IP) ([]string, error) {
	listen := a.p.strs["bind-address"]
	if listen == "" {
		listen = "0.0.0.0"
		if nodeIPs[0].To4() == nil {
			listen = "::"
		}
	}
	vlevel := 0
	if v := a.p.strs["v"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("invalid -v %q", v)
		}
		vlevel = n
	}
	credBin := a.p.strs["image-credential-provider-bin-dir"]
	if credBin == "" {
		credBin = "/var/lib/rancher/credentialprovider/bin"
	}
	credConfig := a.p.strs["image-credential-provider-config"]
	if credConfig == "" {
		credConfig = "/var/lib/rancher/credentialprovider/config.yaml"
	}
	cfg := &agentConfig{
		NodeName: a.nodeName, NodeIPs: nodeIPs,
		ClusterDomain: res.control.ClusterDomain, ClusterDNSs: res.control.clusterDNSs(),
		ResolvConf:    locateOrGenerateResolvConf(a.p.strs["resolv-conf"], a.dataDir),
		RuntimeSocket: a.runtimeEndpoint, ImageServiceSocket: a.p.strs["image-service-endpoint"],
		ListenAddress: listen,
		ClientCA:      a.files.clientCA, ServingKubeletCert: a.files.servingKubeletCert, ServingKubeletKey: a.files.servingKubeletKey,
		KubeConfigKubelet: a.files.kubeletKubeconfig, PodManifests: a.files.podManifests, KubeletConfigDir: a.files.kubeletConfigDir,
		NodeLabels: a.p.slices["node-label"], NodeTaints: a.p.slices["node-taint"],
		ImageCredProvBinDir: credBin, ImageCredProvConfig: credConfig,
		ProtectKernelDefaults: a.p.bools["protect-kernel-defaults"], DisableCCM: res.control.DisableCCM,
		VLevel: vlevel, VModule: a.p.strs["vmodule"], ExtraKubeletArgs: a.p.slices["kubelet-arg"],
	}
	return buildKubeletArgs(cfg, a.rel, checkCgroups(a.sys.cgroups))
}

// buildKubeletArgs is k3s's startKubelet up to executor.Kubelet: the args map, for v1.32 the
// drop-in, then the --kubelet-arg values.
func buildKubeletArgs(cfg *agentConfig, rel release, cg cgroupInfo) ([]string, error) {
	if !rel.kubeletConfigDropIn() {
		m, err := kubeletArgsFlags(cfg, rel, cg)
		if err != nil {
			return nil, err
		}
		return getArgs(m, cfg.ExtraKubeletArgs), nil
	}
	m, c, err := kubeletArgsAndConfig(cfg, rel, cg)
	if err != nil {
		return nil, fmt.Errorf("prepare default configuration drop-in: %w", err)
	}
	if err := os.MkdirAll(cfg.KubeletConfigDir, 0o700); err != nil {
		return nil, err
	}
	extra, err := extractConfigArgs(cfg.KubeletConfigDir, cfg.ExtraKubeletArgs)
	if err != nil {
		return nil, fmt.Errorf("prepare user configuration drop-ins: %w", err)
	}
	if err := writeKubeletConfig(cfg.KubeletConfigDir, c); err != nil {
		return nil, fmt.Errorf("generate default kubelet configuration drop-in: %w", err)
	}
	return getArgs(m, extra), nil
}
