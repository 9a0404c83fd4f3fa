package agent

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

// The pod network. k3s runs flannel and writes agent/etc/cni/net.d/10-flannel.conflist
// (pkg/agent/flannel/setup.go: flannel + portmap + bandwidth, cniVersion 1.0.0, network "cbr0").
// Flannel is not available here, so the stand-in writes 10-k3s-daas-bridge.conflist in its
// place: the bridge plugin on cni0 with host-local addresses from the Node's spec.podCIDR
// (allocated by the controller manager once the kubelet registered the Node), then portmap and
// bandwidth as in k3s's list. Pods of different nodes reach each other only through routes the
// hosts' network provides (no overlay): a stand-in limitation. The loopback plugin binary is
// shipped too: containerd's CRI sets up each pod's lo with it by itself.

const conflistName = "10-k3s-daas-bridge.conflist"

func bridgeConflist(podCIDR string) ([]byte, error) {
	if _, _, err := net.ParseCIDR(podCIDR); err != nil {
		return nil, fmt.Errorf("invalid podCIDR %q: %w", podCIDR, err)
	}
	conf := map[string]any{
		"name":       "cbr0",
		"cniVersion": "1.0.0",
		"plugins": []any{
			map[string]any{
				"type":         "bridge",
				"bridge":       "cni0",
				"isGateway":    true,
				"ipMasq":       false,
				"hairpinMode":  true,
				"forceAddress": true,
				"ipam": map[string]any{
					"type":   "host-local",
					"ranges": [][]map[string]string{{{"subnet": podCIDR}}},
					"routes": []map[string]string{{"dst": "0.0.0.0/0"}},
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
			map[string]any{"type": "bandwidth", "capabilities": map[string]bool{"bandwidth": true}},
		},
	}
	return json.MarshalIndent(conf, "", "  ")
}

// writeConflist writes the conflist atomically (containerd watches the directory).
func writeConflist(confDir, podCIDR string) error {
	b, err := bridgeConflist(podCIDR)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(confDir, 0o700); err != nil {
		return err
	}
	tmp := filepath.Join(confDir, "."+conflistName+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(confDir, conflistName))
}

// nodeWatch reads the Node through the load balancer with the kubelet's client certificate.
type nodeWatch struct {
	apiServerURL string
	nodeName     string
	files        agentFiles
	interval     time.Duration
}

func (w *nodeWatch) podCIDR(ctx context.Context) (string, error) {
	ca, err := os.ReadFile(w.files.serverCA)
	if err != nil {
		return "", err
	}
	cert, err := tls.LoadX509KeyPair(w.files.clientKubeletCert, w.files.clientKubeletKey)
	if err != nil {
		return "", err
	}
	b, err := get(ctx, w.apiServerURL+"/api/v1/nodes/"+w.nodeName, httpClient(ca, &cert), nil)
	if err != nil {
		return "", err
	}
	var node struct {
		Spec struct {
			PodCIDR  string   `json:"podCIDR"`
			PodCIDRs []string `json:"podCIDRs"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(b, &node); err != nil {
		return "", err
	}
	if node.Spec.PodCIDR == "" && len(node.Spec.PodCIDRs) > 0 {
		return node.Spec.PodCIDRs[0], nil
	}
	return node.Spec.PodCIDR, nil
}

// waitAndWrite polls until the Node has a podCIDR, then writes the conflist; returns the CIDR.
func (w *nodeWatch) waitAndWrite(ctx context.Context) (string, error) {
	logged := ""
	for {
		cidr, err := w.podCIDR(ctx)
		if err == nil && cidr != "" {
			infof("Found PodCIDR %s assigned for node %s", cidr, w.nodeName)
			if err := writeConflist(w.files.cniConfDir, cidr); err != nil {
				return "", err
			}
			infof("Wrote CNI config %s (bridge cni0, subnet %s; stand-in for flannel)", filepath.Join(w.files.cniConfDir, conflistName), cidr)
			return cidr, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		msg := "Waiting for node " + w.nodeName + " CIDR not assigned yet"
		if err != nil {
			msg = fmt.Sprintf("Waiting for node %s: %v", w.nodeName, err)
		}
		if msg != logged {
			infof("%s", msg)
			logged = msg
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(w.interval):
		}
	}
}
