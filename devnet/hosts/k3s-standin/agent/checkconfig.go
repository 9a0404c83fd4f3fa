package agent

import (
	"fmt"
	"os"
)

// checkConfig is `k3s check-config` reduced to what the stand-in can say (k3s runs its
// check-config script from the data dir).
func checkConfig() int {
	fmt.Println("Verifying binaries in /var/lib/rancher/k3s/data/current/bin: (k3s stand-in: only the CNI plugins are bundled)")
	fmt.Println()
	fmt.Println("System:")
	ok := true
	check := func(name string, pass bool, detail string) {
		r := "ok"
		if !pass {
			r = "missing"
			ok = false
		}
		fmt.Printf("- %s: %s%s\n", name, r, detail)
	}
	_, err := os.Stat("/sys/fs/cgroup")
	check("/sys/fs/cgroup", err == nil, "")
	cg, _ := os.ReadFile("/proc/self/cgroup")
	check("cgroups", len(cg) > 0, "")
	_, err = os.Stat("/proc/sys/net")
	check("/proc/sys/net", err == nil, "")
	if _, err := os.Stat("/run/containerd/containerd.sock"); err == nil {
		fmt.Println("- containerd socket: /run/containerd/containerd.sock")
	}
	fmt.Println()
	if ok {
		fmt.Println("STATUS: pass")
		return 0
	}
	fmt.Println("STATUS: 1 (fail)")
	return 1
}
