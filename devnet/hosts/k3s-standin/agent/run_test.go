package agent

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The whole `k3s agent` against the test supervisor, with a fake CRI socket and a kubelet hook
// that records its arguments (the real kubelet is the main package's).

type agentHarness struct {
	t       *testing.T
	s       *testSupervisor
	sys     *system
	dataDir string
	sock    string
	term    chan os.Signal
	hup     chan os.Signal
	logs    *syncBuffer
	exit    chan int

	mu          sync.Mutex
	kubeletArgs []string
}

func newAgentHarness(t *testing.T) *agentHarness {
	h := &agentHarness{t: t, s: newTestSupervisor(t), dataDir: t.TempDir(), logs: captureLog(t),
		term: make(chan os.Signal, 1), hup: make(chan os.Signal, 1), exit: make(chan int, 1)}
	h.sock = filepath.Join(t.TempDir(), "containerd.sock")
	l, err := net.Listen("unix", h.sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	cg := t.TempDir()
	os.WriteFile(filepath.Join(cg, "self"), []byte("8:pids:/\n"), 0o644)
	h.sys = &system{
		rancherNodeDir: filepath.Join(t.TempDir(), "etc-rancher-node"),
		geteuid:        func() int { return 0 },
		cniTar:         testTar(t, map[string]string{"bridge": "b", "host-local": "h", "loopback": "l", "portmap": "p", "bandwidth": "w"}),
		cgroups:        cgroupPaths{cg, filepath.Join(cg, "self"), filepath.Join(cg, "init")},
		tokenRetry:     20 * time.Millisecond, configRetry: 20 * time.Millisecond, poll: 20 * time.Millisecond,
		signals: func() (<-chan os.Signal, <-chan os.Signal, func()) { return h.term, h.hup, func() {} },
	}
	// the agent sets these for the kubelet, as k3s does
	t.Setenv("PATH", os.Getenv("PATH"))
	t.Setenv("K3S_DATA_DIR", "")
	t.Setenv("NODE_NAME", "")
	for _, k := range []string{"K3S_TOKEN", "K3S_URL", "K3S_TOKEN_FILE", "K3S_NODE_NAME", "NOTIFY_SOCKET"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	return h
}

func (h *agentHarness) start(kubelet func(ctx context.Context, args []string) error, extra ...string) {
	tokenFile := filepath.Join(h.t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte(h.s.token()+"\n"), 0o600)
	args := append([]string{"agent", "--server", h.s.URL(), "--token-file", tokenFile, "-d", h.dataDir,
		"--node-name", "Worker-1", "--node-ip", "10.99.0.9", "--lb-server-port", "0",
		"--container-runtime-endpoint", "unix://" + h.sock, "--kubelet-arg", "max-pods=20"}, extra...)
	hooks := Hooks{RunKubelet: func(ctx context.Context, args []string) error {
		h.mu.Lock()
		h.kubeletArgs = args
		h.mu.Unlock()
		return kubelet(ctx, args)
	}}
	go func() { h.exit <- mainWith(args, hooks, h.sys) }()
}

func (h *agentHarness) status() status {
	var st status
	b, err := os.ReadFile(filepath.Join(h.dataDir, "standin-status.json"))
	if err == nil {
		json.Unmarshal(b, &st)
	}
	return st
}

func (h *agentHarness) waitExit() int {
	select {
	case code := <-h.exit:
		return code
	case <-time.After(10 * time.Second):
		h.t.Fatalf("the agent did not exit; log:\n%s", h.logs)
		return -1
	}
}

func blockUntilDone(ctx context.Context, _ []string) error { <-ctx.Done(); return ctx.Err() }

func TestAgentJoinsRunsTheKubeletWritesTheCNIConfigAndStopsOnSIGTERM(t *testing.T) {
	h := newAgentHarness(t)
	h.start(blockUntilDone)
	waitFor(t, "the kubelet", 10*time.Second, func() bool { h.mu.Lock(); defer h.mu.Unlock(); return h.kubeletArgs != nil })
	conflist := filepath.Join(h.dataDir, "agent", "etc", "cni", "net.d", "10-k3s-daas-bridge.conflist")
	waitFor(t, "the conflist", 10*time.Second, func() bool { _, err := os.Stat(conflist); return err == nil })
	waitFor(t, "the podCIDR in the status", 10*time.Second, func() bool { return h.status().PodCIDR == "10.42.3.0/24" })

	st := h.status()
	if st.State != "running" || st.Phase != "kubelet-running" || st.NodeName != "worker-1" || !strings.HasPrefix(st.LoadBalancer, "https://127.0.0.1:") {
		t.Errorf("status %+v", st)
	}
	raw, _ := os.ReadFile(filepath.Join(h.dataDir, "standin-status.json"))
	if strings.Contains(string(raw), h.s.password) || strings.Contains(h.logs.String(), h.s.password) {
		t.Errorf("the token's password leaked into the status or the log")
	}
	if !strings.Contains(strings.Join(st.Notes, " "), "the kubelet is the real upstream kubelet") {
		t.Errorf("notes %q", st.Notes)
	}
	h.mu.Lock()
	args := strings.Join(h.kubeletArgs, " ")
	h.mu.Unlock()
	for _, want := range []string{"--container-runtime-endpoint=unix://" + h.sock, "--cgroup-driver=cgroupfs", "--node-ip=10.99.0.9",
		"--hostname-override=worker-1", "--max-pods=20", "--cluster-dns=10.43.0.10", "--kubeconfig=" + filepath.Join(h.dataDir, "agent", "kubelet.kubeconfig")} {
		if !strings.Contains(args, want) {
			t.Errorf("kubelet args lack %s: %s", want, args)
		}
	}
	// the node's client certificate read the Node through the load balancer
	h.s.mu.Lock()
	if h.s.nodeCertCN != "system:node:worker-1" {
		t.Errorf("the Node was read as %q", h.s.nodeCertCN)
	}
	h.s.mu.Unlock()
	crictl, _ := os.ReadFile(filepath.Join(h.dataDir, "agent", "etc", "crictl.yaml"))
	if string(crictl) != "runtime-endpoint: unix://"+h.sock+"\n" {
		t.Errorf("crictl.yaml %q", crictl)
	}
	if target, _ := os.Readlink(filepath.Join(h.dataDir, "data", "cni", "bridge")); !strings.HasSuffix(target, "/bin/bridge") {
		t.Errorf("data/cni/bridge -> %q", target)
	}
	var sawRequests []string
	for _, r := range h.s.log() {
		sawRequests = append(sawRequests, strings.Fields(r)[1])
	}
	order := []string{"/cacerts", "/v1-k3s/config", "/v1-k3s/client-ca.crt", "/v1-k3s/server-ca.crt", "/v1-k3s/serving-kubelet.crt",
		"/v1-k3s/client-kubelet.crt", "/v1-k3s/client-kube-proxy.crt", "/v1-k3s/apiservers"}
	i := 0
	for _, p := range sawRequests {
		if i < len(order) && p == order[i] {
			i++
		}
	}
	if i != len(order) {
		t.Errorf("requests out of k3s's order: %v", sawRequests)
	}

	h.hup <- syscall.SIGHUP
	h.term <- syscall.SIGTERM
	if code := h.waitExit(); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}
	if st := h.status(); st.State != "stopped" || st.StoppedAt == "" {
		t.Errorf("status after SIGTERM: %+v", st)
	}
}

func TestAgentStopsPromptlyWhileTheServerRefuses(t *testing.T) {
	h := newAgentHarness(t)
	h.s.refuseCerts = 1 << 30
	h.s.refusal = "node worker-1 has no verified stake registration with the control plane"
	h.sys.configRetry = time.Hour // a SIGTERM must not wait for the next retry
	h.start(blockUntilDone)
	waitFor(t, "the refusal", 10*time.Second, func() bool { return strings.Contains(h.status().LastJoinError, h.s.refusal) })
	if !strings.Contains(h.logs.String(), "server is not ready: "+filepath.Join(h.dataDir, "agent", "serving-kubelet.crt")) {
		t.Errorf("log:\n%s", h.logs)
	}
	start := time.Now()
	h.term <- syscall.SIGTERM
	if code := h.waitExit(); code != 0 || time.Since(start) > 2*time.Second {
		t.Errorf("exit %d after %v", code, time.Since(start))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.kubeletArgs != nil {
		t.Errorf("a refused node ran the kubelet")
	}
}

func TestAgentExitsWhenTheKubeletFails(t *testing.T) {
	h := newAgentHarness(t)
	h.start(func(context.Context, []string) error { return errors.New("failed to run Kubelet: boom") })
	if code := h.waitExit(); code != 1 {
		t.Errorf("exit code %d", code)
	}
	if !strings.Contains(h.logs.String(), `level=fatal msg="kubelet exited: failed to run Kubelet: boom"`) || h.status().State != "failed" {
		t.Errorf("log:\n%s\nstatus %+v", h.logs, h.status())
	}
}

func TestAgentWithoutRuntimeEndpointFailsWhereK3sWouldStartContainerd(t *testing.T) {
	h := newAgentHarness(t)
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte(h.s.token()), 0o600)
	go func() {
		h.exit <- mainWith([]string{"agent", "-s", h.s.URL(), "--token-file", tokenFile, "-d", h.dataDir, "--node-ip", "10.99.0.9", "--lb-server-port", "0"},
			Hooks{RunKubelet: blockUntilDone}, h.sys)
	}()
	if code := h.waitExit(); code != 1 {
		t.Errorf("exit code %d", code)
	}
	if !strings.Contains(h.logs.String(), "--container-runtime-endpoint is required: this k3s stand-in has no embedded containerd") {
		t.Errorf("log:\n%s", h.logs)
	}
}

func TestCommandLineChecksKeepTheirMessages(t *testing.T) {
	h := newAgentHarness(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"agent", "-d", h.dataDir}, "Error: --server is required"},
		{[]string{"agent", "-d", h.dataDir, "--server", "http://127.0.0.1:6443", "-t", "x"}, "must use https"},
		{[]string{"agent", "-d", h.dataDir, "--server", "https://127.0.0.1", "-t", "x"}, "must include a port"},
		{[]string{"agent", "-d", h.dataDir, "--server", "https://127.0.0.1:6443"}, "Error: --token is required"},
		{[]string{"agent", "--no-such-flag"}, "flag provided but not defined: -no-such-flag"},
		{[]string{"agent", "stray"}, "unexpected argument"},
		{[]string{"agent", "-s", "https://127.0.0.1:6443", "-t", "x", "-d", h.dataDir, "--container-runtime-endpoint", "unix:///nonexistent.sock"}, "container runtime socket"},
		{[]string{"server"}, `command "server" is not provided`},
	}
	for _, c := range cases {
		before := len(h.logs.String())
		if code := mainWith(c.args, Hooks{}, h.sys); code != 1 {
			t.Errorf("%v: exit %d", c.args, code)
		}
		if out := h.logs.String()[before:]; !strings.Contains(out, c.want) {
			t.Errorf("%v: %q lacks %q", c.args, out, c.want)
		}
	}
	if code := mainWith([]string{"--version"}, Hooks{}, h.sys); code != 0 {
		t.Errorf("--version exit %d", code)
	}
}
