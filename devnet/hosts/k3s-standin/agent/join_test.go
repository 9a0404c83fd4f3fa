package agent

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newTestJoin(t *testing.T, s *testSupervisor, token string) (*joinSpec, agentFiles) {
	t.Helper()
	dataDir := t.TempDir()
	files := newAgentFiles(dataDir)
	if err := os.MkdirAll(files.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	proxy, err := newSupervisorProxy(true, files.dir, s.URL(), 0) // port 0: any free port
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.close)
	return &joinSpec{
		token: token, files: files, nodeName: "worker-1", nodeIPs: []net.IP{net.ParseIP("10.99.0.9")},
		nodePasswordFile: filepath.Join(dataDir, "rancher-node", "password"), proxy: proxy,
		tokenRetry: 20 * time.Millisecond, configRetry: 20 * time.Millisecond,
	}, files
}

func TestJoinRefusesAServerWhoseCADoesNotMatchTheToken(t *testing.T) {
	logs := captureLog(t)
	s := newTestSupervisor(t)
	other := newTestSupervisor(t) // a token for another cluster's CA
	j, _ := newTestJoin(t, s, other.token())
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := j.waitForToken(ctx); err != context.DeadlineExceeded {
		t.Fatalf("the join went on: %v", err)
	}
	if n := strings.Count(logs.String(), "level=error msg=\"token CA hash does not match the Cluster CA certificate hash: "); n < 2 {
		t.Errorf("want the refusal logged at each retry, got %d times:\n%s", n, logs)
	}
	for _, r := range s.log() {
		if r != "GET /cacerts auth=-" {
			t.Errorf("a request beyond /cacerts, or with credentials, to a server that failed the CA check: %s", r)
		}
	}
	if strings.Contains(logs.String(), s.password) {
		t.Errorf("the token's password is in the log")
	}
}

func TestJoinRetriesWhileTheServerRefusesAndLogsItsReason(t *testing.T) {
	logs := captureLog(t)
	s := newTestSupervisor(t)
	s.refuseCerts = 2
	s.refusal = "node worker-1 has no verified stake registration with the control plane"
	j, files := newTestJoin(t, s, s.token())
	var refusals []string
	j.onRefused = func(r string) { refusals = append(refusals, r) }
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := j.waitForToken(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := j.getConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := "level=info msg=\"Waiting to retrieve agent configuration; server is not ready: " + files.servingKubeletCert +
		": https://" + j.proxy.supervisorLB.listener.Addr().String() + "/v1-k3s/serving-kubelet.crt: 403 Forbidden: " + s.refusal + "\""
	if n := strings.Count(logs.String(), want); n != 2 {
		t.Errorf("want the stake refusal logged twice as\n%s\ngot:\n%s", want, logs)
	}
	if len(refusals) != 2 || !strings.HasSuffix(refusals[0], s.refusal) {
		t.Errorf("refusals reported: %q", refusals)
	}
	if res.control.ClusterDNS != "10.43.0.10" || res.control.ClusterIPRange.String() != "10.42.0.0/16" || res.control.HTTPSPort != 6443 {
		t.Errorf("control config: %+v", res.control)
	}
	// the files, with k3s's modes
	for _, f := range []string{files.clientCA, files.serverCA, files.servingKubeletCert, files.servingKubeletKey,
		files.clientKubeletCert, files.clientKubeletKey, files.clientKubeProxyCert, files.clientKubeProxyKey,
		files.kubeletKubeconfig, files.kubeproxyKubeconfig, j.nodePasswordFile} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Errorf("missing %s", f)
			continue
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %o, want 600", f, fi.Mode().Perm())
		}
	}
	key, _ := os.ReadFile(files.servingKubeletKey)
	crt, _ := os.ReadFile(files.servingKubeletCert)
	if !strings.Contains(string(key), "PRIVATE KEY") || strings.Contains(string(crt), "PRIVATE KEY") || strings.Count(string(crt), "BEGIN CERTIFICATE") != 2 {
		t.Errorf("certificate and key not split:\n%s", crt)
	}
	kc, _ := os.ReadFile(files.kubeletKubeconfig)
	for _, line := range []string{"server: " + j.proxy.supervisorLB.URL(), "certificate-authority: " + files.serverCA,
		"client-certificate: " + files.clientKubeletCert, "client-key: " + files.clientKubeletKey} {
		if !strings.Contains(string(kc), line) {
			t.Errorf("kubelet.kubeconfig lacks %q:\n%s", line, kc)
		}
	}
	if !strings.HasPrefix(j.proxy.supervisorLB.URL(), "https://127.0.0.1:") {
		t.Errorf("the kubeconfig does not point at the local load balancer: %s", j.proxy.supervisorLB.URL())
	}
	pw, _ := os.ReadFile(j.nodePasswordFile)
	if s.nodePasswords["worker-1"] != strings.TrimSpace(string(pw)) || logs.String() == "" || strings.Contains(logs.String(), strings.TrimSpace(string(pw))) {
		t.Errorf("the node password was not sent as k3s-Node-Password, or was logged")
	}
	// the apiservers feed the load balancer
	if a := waitForAPIServers(ctx, res.info, time.Millisecond); len(a) != 1 || a[0] != s.addr() {
		t.Errorf("apiservers: %v", a)
	}
}

func TestJoinNodePasswordRefusalUsesK3sWords(t *testing.T) {
	logs := captureLog(t)
	s := newTestSupervisor(t)
	s.nodePasswords["worker-1"] = "someone-else"
	j, _ := newTestJoin(t, s, s.token())
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := j.getConfig(ctx); err == nil {
		t.Fatal("joined with another node's password")
	}
	if !strings.Contains(logs.String(), "server is not ready: "+j.files.servingKubeletCert+": Node password rejected, duplicate hostname or contents of '"+
		j.nodePasswordFile+"' may not match server node-passwd entry, try enabling a unique node name with the --with-node-id flag") {
		t.Errorf("log:\n%s", logs)
	}
}

func TestBareTokenJoinsWithAWarning(t *testing.T) {
	logs := captureLog(t)
	s := newTestSupervisor(t)
	j, _ := newTestJoin(t, s, s.password)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := j.getConfig(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "level=warning msg=\"Cluster CA certificate is not trusted by the host CA bundle, but the token does not include a CA hash.") {
		t.Errorf("no warning:\n%s", logs)
	}
}
