package agent

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// <data-dir>/standin-status.json: what the stand-in was given and where it is, for the tests.
// Never a secret: of the token only whether it was given, where from and its length; of the
// node password only its sha256.

const statusFile = "standin-status.json"

type tokenInfo struct {
	Given  bool   `json:"given"`
	Source string `json:"source"` // "env:K3S_TOKEN", "file:/path (via --token-file)", "flag" ...
	Length int    `json:"length"`
}

type status struct {
	Standin                   string           `json:"standin"`
	Version                   string           `json:"version"`
	State                     string           `json:"state"`                   // running, stopped, failed
	Phase                     string           `json:"phase"`                   // joining, starting-kubelet, kubelet-running
	LastJoinError             string           `json:"lastJoinError,omitempty"` // why the last join attempt stopped (the server's reason)
	Pid                       int              `json:"pid"`
	StartedAt                 string           `json:"startedAt"`
	StoppedAt                 string           `json:"stoppedAt,omitempty"`
	Args                      []string         `json:"args"`
	Server                    string           `json:"server"`
	ServerSource              string           `json:"serverSource"`
	Token                     tokenInfo        `json:"token"`
	NodeName                  string           `json:"nodeName"`
	NodePassword              nodePasswordInfo `json:"nodePassword"`
	WithNodeID                bool             `json:"withNodeId"`
	DataDir                   string           `json:"dataDir"`
	ContainerRuntimeEndpoint  string           `json:"containerRuntimeEndpoint,omitempty"`
	ContainerRuntimeReachable bool             `json:"containerRuntimeReachable"`
	NodeLabels                []string         `json:"nodeLabels"`
	NodeTaints                []string         `json:"nodeTaints"`
	KubeletArgs               []string         `json:"kubeletArgs"` // the --kubelet-arg values
	KubeProxyArgs             []string         `json:"kubeProxyArgs"`
	NodeIPs                   []string         `json:"nodeIps"` // the --node-ip values
	LoadBalancer              string           `json:"loadBalancer,omitempty"`
	PodCIDR                   string           `json:"podCIDR,omitempty"`
	Flags                     map[string]any   `json:"flags"`
	EnvKeys                   []string         `json:"envKeys"`
	Notes                     []string         `json:"notes"`
}

var standinNotes = []string{
	"the k3s binary is the K3s-DaaS test-host stand-in, not k3s",
	"the join is k3s's own supervisor protocol (cacerts and CA-hash pinning, /v1-k3s/config, node certificates with the node password, apiservers) through a client-side TCP load balancer on 127.0.0.1, as k3s's agent",
	"the kubelet is the real upstream kubelet of this release, run in-process with the arguments k3s passes",
	"stand-in parts: no embedded containerd (an external --container-runtime-endpoint is required), no flannel (a bridge + host-local CNI conflist on the Node's podCIDR takes its place), no kube-proxy, no network policy controller, no websocket tunnel",
}

// statusWriter serialises updates of the status file from the agent's goroutines.
type statusWriter struct {
	mu  sync.Mutex
	dir string
	st  *status
}

func (w *statusWriter) update(f func(st *status)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if f != nil {
		f(w.st)
	}
	if err := writeStatus(w.dir, w.st); err != nil {
		warnf("failed to write %s: %v", statusFile, err)
	}
}

func (w *statusWriter) stop(state string) {
	w.update(func(st *status) {
		st.State = state
		st.StoppedAt = time.Now().UTC().Format(time.RFC3339Nano)
	})
}

func writeStatus(dir string, st *status) error {
	b, _ := json.MarshalIndent(st, "", "  ")
	tmp := filepath.Join(dir, statusFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, statusFile))
}

// sdNotify sends a state to systemd (Type=notify), as go-systemd's SdNotify.
func sdNotify(state string) {
	sock := os.Getenv("NOTIFY_SOCKET")
	if sock == "" {
		return
	}
	if strings.HasPrefix(sock, "@") {
		sock = "\x00" + sock[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		return
	}
	defer c.Close()
	_, _ = c.Write([]byte(state))
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
