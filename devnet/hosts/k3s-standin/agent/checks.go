package agent

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The checks `k3s agent` makes of its command line before it starts (messages as the stand-in
// has always given them; test/hosts/k3s-standin.test.ts asserts them).

func checkServer(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fatalf("Error: invalid server url %q", raw)
	}
	if u.Scheme != "https" {
		return fatalf("Error: server url must use https: %q", raw)
	}
	if u.Port() == "" {
		return fatalf("Error: server url must include a port (e.g. https://server:6443): %q", raw)
	}
	if port, err := strconv.Atoi(u.Port()); err != nil || port < 1 || port > 65535 {
		return fatalf("Error: invalid port in server url %q", raw)
	}
	return nil
}

// readToken returns what the status file may say of the token, and the token itself (kept in
// memory only: never logged, never written).
func readToken(p *parsed) (tokenInfo, string, error) {
	if v, ok := p.strs["token"]; ok && v != "" {
		return tokenInfo{true, p.source["token"], len(v)}, v, nil
	}
	if f, ok := p.strs["token-file"]; ok && f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return tokenInfo{}, "", fatalf("failed to read token file %s: %v", f, err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return tokenInfo{}, "", fatalf("token file %s is empty", f)
		}
		src := "file:" + f
		if s := p.source["token-file"]; s != "flag" {
			src += " (" + s + ")"
		}
		return tokenInfo{true, src, len(v)}, v, nil
	}
	return tokenInfo{false, "", 0}, "", nil
}

// prepareDataDir makes <data-dir>/agent (0700, as k3s) and checks the data dir is writable.
func prepareDataDir(p *parsed) (string, error) {
	dataDir := p.strs["data-dir"]
	if dataDir == "" {
		dataDir = "/var/lib/rancher/k3s"
	}
	if !filepath.IsAbs(dataDir) {
		abs, err := filepath.Abs(dataDir)
		if err != nil {
			return "", fatalf("invalid data dir %s: %v", dataDir, err)
		}
		dataDir = abs
	}
	if err := os.MkdirAll(filepath.Join(dataDir, "agent"), 0o700); err != nil {
		return "", fatalf("failed to create data dir %s: %v", dataDir, err)
	}
	probe := filepath.Join(dataDir, ".standin-write-test")
	if err := os.WriteFile(probe, []byte("ok"), 0o600); err != nil {
		return "", fatalf("data dir %s is not writable: %v", dataDir, err)
	}
	_ = os.Remove(probe)
	return dataDir, nil
}

func runtimeSocketPath(endpoint string) (string, error) {
	sockPath := strings.TrimPrefix(endpoint, "unix://")
	if !filepath.IsAbs(sockPath) {
		return "", fatalf("container runtime endpoint %q: only unix sockets are supported", endpoint)
	}
	return sockPath, nil
}

// checkRuntimeEndpoint: the CRI socket given with --container-runtime-endpoint exists and
// accepts a connection.
func checkRuntimeEndpoint(endpoint string) error {
	sockPath, err := runtimeSocketPath(endpoint)
	if err != nil {
		return err
	}
	fi, err := os.Stat(sockPath)
	if err != nil {
		return fatalf("failed to find container runtime socket %s: %v", sockPath, err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fatalf("container runtime endpoint %s is not a socket", sockPath)
	}
	c, err := net.DialTimeout("unix", sockPath, 3*time.Second)
	if err != nil {
		return fatalf("failed to connect to container runtime at %s: %v", sockPath, err)
	}
	c.Close()
	return nil
}

// errNoRuntimeEndpoint: where k3s would start its embedded containerd, the stand-in has none.
func errNoRuntimeEndpoint() error {
	return fatalf("--container-runtime-endpoint is required: this k3s stand-in has no embedded containerd; " +
		"run the host's containerd and pass its socket (e.g. --container-runtime-endpoint unix:///run/containerd/containerd.sock)")
}

func describeEnvKeys() []string {
	var envKeys []string
	for _, kv := range os.Environ() {
		k := kv[:strings.IndexByte(kv, '=')]
		if strings.HasPrefix(k, "K3S_") || strings.HasPrefix(k, "CONTAINERD_") || strings.HasSuffix(k, "_PROXY") {
			envKeys = append(envKeys, k)
		}
	}
	return envKeys
}

func describeFlags(p *parsed) map[string]any {
	flags := map[string]any{}
	for k, v := range p.strs {
		if k == "token" {
			continue
		}
		flags[k] = v
	}
	for k, v := range p.bools {
		flags[k] = v
	}
	for k, v := range p.slices {
		flags[k] = v
	}
	return flags
}

// waitForRuntime waits for the CRI socket to accept connections, as k3s does for an external
// runtime before it starts the kubelet.
func waitForRuntime(ctx context.Context, endpoint string) error {
	for {
		err := checkRuntimeEndpoint(endpoint)
		if err == nil {
			return nil
		}
		infof("Waiting for container runtime to become ready: %v", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
