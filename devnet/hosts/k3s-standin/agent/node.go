package agent

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// The node's identity as k3s's agent sets it up (pkg/agent/config/config.go get,
// ensureNodePassword, ensureNodeID; pkg/util GetHostnameAndIPs; locateOrGenerateResolvConf).

// nodeConfigPath is /etc/rancher/node, or <data-dir>/agent/etc/rancher/node when rootless.
func nodeConfigPath(rancherNodeDir string, rootless bool, dataDir string) string {
	if rootless {
		return filepath.Join(dataDir, "agent", "etc", "rancher", "node")
	}
	return rancherNodeDir
}

// ensureNodePassword returns the node password (the file's trimmed content), creating it as 16
// random bytes in hex (0600) when the file does not exist. The value is sent only as the
// k3s-Node-Password header; the status file records its sha256.
func ensureNodePassword(file string) (password string, generated bool, err error) {
	if b, err := os.ReadFile(file); err == nil {
		return strings.TrimSpace(string(b)), false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", false, err
	}
	buf := make([]byte, 16)
	if _, err := rand.Read(buf); err != nil {
		return "", false, err
	}
	pw := hex.EncodeToString(buf)
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return "", false, err
	}
	return pw, true, os.WriteFile(file, []byte(pw+"\n"), 0o600)
}

// nodePasswordInfo is what the status file says of the password: never the value.
type nodePasswordInfo struct {
	// "file" (read from /etc/rancher/node/password) or "generated" (written there now).
	Source string `json:"source"`
	Sha256 string `json:"sha256"`
}

func describeNodePassword(pw string, generated bool) nodePasswordInfo {
	sum := sha256.Sum256([]byte(pw))
	src := "file"
	if generated {
		src = "generated"
	}
	return nodePasswordInfo{Source: src, Sha256: hex.EncodeToString(sum[:])}
}

// ensureNodeID is --with-node-id's suffix: <node config path>/id, 4 random bytes in hex.
func ensureNodeID(file string) (string, error) {
	if b, err := os.ReadFile(file); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	buf := make([]byte, 4)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	id := hex.EncodeToString(buf)
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return "", err
	}
	return id, os.WriteFile(file, []byte(id+"\n"), 0o644)
}

// parseNodeIPs is --node-ip as k3s takes it; with none, the address of the interface that
// holds the default route (k8s's ChooseHostInterface, which k3s calls).
func parseNodeIPs(values []string) ([]net.IP, error) {
	var ips []net.IP
	for _, s := range splitList(values) {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, fmt.Errorf("invalid node-ip %s", s)
		}
		ips = append(ips, ip)
	}
	if len(ips) > 0 {
		return ips, nil
	}
	ip, err := defaultRouteIP("/proc/net/route")
	if err != nil {
		return nil, fmt.Errorf("unable to select an IP from default routes: %w", err)
	}
	return []net.IP{ip}, nil
}

func defaultRouteIP(routeFile string) (net.IP, error) {
	f, err := os.Open(routeFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	scan := bufio.NewScanner(f)
	for scan.Scan() {
		fields := strings.Fields(scan.Text())
		if len(fields) < 2 || fields[1] != "00000000" {
			continue
		}
		iface, err := net.InterfaceByName(fields[0])
		if err != nil {
			continue
		}
		addrs, err := iface.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.IP.IsGlobalUnicast() {
				return n.IP, nil
			}
		}
	}
	return nil, errors.New("no default route with a global unicast IPv4 address")
}

func joinIPs(ips []net.IP) string {
	s := make([]string, len(ips))
	for i, ip := range ips {
		s[i] = ip.String()
	}
	return strings.Join(s, ",")
}

var nameserverRE = regexp.MustCompile(`^nameserver\s+([^\s]*)`)

func isValidResolvConf(file string) bool {
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	found := false
	scan := bufio.NewScanner(f)
	for scan.Scan() {
		if m := nameserverRE.FindStringSubmatch(scan.Text()); len(m) == 2 {
			ip := net.ParseIP(m[1])
			if ip == nil || !ip.IsGlobalUnicast() {
				return false
			}
			found = true
		}
	}
	return scan.Err() == nil && found
}

// locateOrGenerateResolvConf is the kubelet's --resolv-conf: the flag, else the host's
// resolv.conf when it has only usable nameservers, else a generated one with 8.8.8.8.
func locateOrGenerateResolvConf(flag, dataDir string) string {
	if flag != "" {
		return flag
	}
	for _, conf := range []string{"/etc/resolv.conf", "/run/systemd/resolve/resolv.conf"} {
		if isValidResolvConf(conf) {
			return conf
		}
	}
	resolvConf := filepath.Join(dataDir, "agent", "etc", "resolv.conf")
	if err := writeFile(resolvConf, []byte("nameserver 8.8.8.8\n"), 0o644); err != nil {
		errorf("Failed to write %s: %v", resolvConf, err)
		return ""
	}
	warnf("Host resolv.conf includes loopback or multicast nameservers - kubelet will use autogenerated resolv.conf with nameserver 8.8.8.8")
	return resolvConf
}

func parseIPList(values []string) ([]net.IP, error) {
	var out []net.IP
	for _, s := range splitList(values) {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, errors.New(s)
		}
		out = append(out, ip)
	}
	return out, nil
}
