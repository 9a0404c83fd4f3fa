package agent

import (
	"fmt"
	"regexp"
	"strconv"
)

// What differs between the k3s releases the stand-in is built as.

type release struct{ major, minor, patch int }

var versionRE = regexp.MustCompile(`^v(\d+)\.(\d+)\.(\d+)`)

func parseRelease(v string) (release, error) {
	m := versionRE.FindStringSubmatch(v)
	if m == nil {
		return release{}, fmt.Errorf("unparsable k3s version %q", v)
	}
	a, _ := strconv.Atoi(m[1])
	b, _ := strconv.Atoi(m[2])
	c, _ := strconv.Atoi(m[3])
	return release{a, b, c}, nil
}

// kubeletConfigDropIn: from v1.32 k3s writes the kubelet's defaults to a KubeletConfiguration
// drop-in (agent/etc/kubelet.conf.d/00-k3s-defaults.conf, --config-dir) instead of flags
// (k3s#2116; the drop-in only works from Kubernetes 1.32, kubernetes#127421).
func (r release) kubeletConfigDropIn() bool { return r.major > 1 || r.minor >= 32 }

// stableCNIDir: <data-dir>/data/cni (k3s PR #10868 "Use static CNI bin dir", backported in the
// October 2024 releases: v1.31.2, v1.30.6, v1.29.10, v1.28.15; every v1.32 has it).
func (r release) stableCNIDir() bool {
	if r.major > 1 || r.minor >= 32 {
		return true
	}
	first := map[int]int{31: 2, 30: 6, 29: 10, 28: 15}
	p, ok := first[r.minor]
	return ok && r.patch >= p
}

// cloudDualStackGate: k3s before v1.32 passes --feature-gates=CloudDualStackNodeIPs=true to the
// kubelet with the embedded cloud provider; Kubernetes 1.32 removed the (GA) gate.
func (r release) cloudDualStackGate() bool { return r.major == 1 && r.minor < 32 }
