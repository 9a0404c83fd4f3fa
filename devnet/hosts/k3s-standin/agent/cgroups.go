package agent

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// cgroupInfo is k3s's pkg/cgroups CheckCgroups() result: the kubelet's and runtime's cgroups
// (--kubelet-cgroups, --runtime-cgroups) and which controllers exist (pids is required, a
// missing cpu controller turns CPU CFS quotas off).
type cgroupInfo struct {
	kubeletRoot string
	runtimeRoot string
	controllers map[string]bool
}

// cgroupPaths are the files CheckCgroups reads (tests point them at fixtures).
type cgroupPaths struct {
	sysFsCgroup string // /sys/fs/cgroup
	selfCgroup  string // /proc/self/cgroup
	initCgroup  string // /proc/1/cgroup
}

var hostCgroupPaths = cgroupPaths{"/sys/fs/cgroup", "/proc/self/cgroup", "/proc/1/cgroup"}

const cgroup2SuperMagic = 0x63677270

func (p cgroupPaths) unified() bool {
	var st syscall.Statfs_t
	return syscall.Statfs(p.sysFsCgroup, &st) == nil && st.Type == cgroup2SuperMagic
}

// checkCgroups follows k3s's pkg/cgroups/cgroups_linux.go CheckCgroups.
func checkCgroups(p cgroupPaths) cgroupInfo {
	v2 := p.unified()
	info := cgroupInfo{controllers: map[string]bool{}}
	if v2 {
		if b, err := os.ReadFile(filepath.Join(p.sysFsCgroup, "cgroup.controllers")); err == nil {
			for _, c := range strings.Fields(string(b)) {
				info.controllers[c] = true
			}
		}
	}
	f, err := os.Open(p.selfCgroup)
	if err != nil {
		return info
	}
	defer f.Close()
	scan := bufio.NewScanner(f)
	for scan.Scan() {
		parts := strings.Split(scan.Text(), ":")
		if len(parts) < 3 {
			continue
		}
		for _, controller := range strings.Split(parts[1], ",") {
			switch {
			case controller == "name=systemd" || v2:
				// run from a shell (a .scope unit): the kubelet gets its own root, out of user.slice
				last := parts[len(parts)-1]
				if i := strings.LastIndex(last, ".scope"); i > 0 {
					info.kubeletRoot = "/k3s"
				}
			case controller == "cpu":
				// cpu is often comounted as cpu,cpuacct: check through the cpu symlink
				if _, err := os.Stat(filepath.Join(p.sysFsCgroup, controller, parts[2], "cpu.cfs_period_us")); err == nil {
					info.controllers[controller] = true
				}
			default:
				info.controllers[controller] = true
			}
		}
	}
	// Not in a systemd scope: when pid 1 is itself in a cgroup (we run in a container), the
	// kubelet and the runtime get their own root cgroup instead of inheriting ours.
	if info.kubeletRoot == "" {
		g, err := os.Open(p.initCgroup)
		if err != nil {
			return info
		}
		defer g.Close()
		scan = bufio.NewScanner(g)
		for scan.Scan() {
			parts := strings.Split(scan.Text(), ":")
			if len(parts) < 3 {
				continue
			}
			for _, controller := range strings.Split(parts[1], ",") {
				if controller == "name=systemd" || v2 {
					last := parts[len(parts)-1]
					if last != "/" && last != "/init.scope" {
						info.kubeletRoot = "/k3s"
						info.runtimeRoot = "/k3s"
					}
				}
			}
		}
	}
	return info
}
