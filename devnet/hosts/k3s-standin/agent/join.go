package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The join: k3s's pkg/agent/run.go createProxyAndValidateToken (token and CA check, retried
// every 2 s) and pkg/agent/config/config.go Get/get (configuration and certificates, retried
// every 5-10 s while the server refuses, logging its reason), then getAPIServers.

// joinSpec is what the join needs from the command line.
type joinSpec struct {
	token            string // the raw token: never logged, never written
	files            agentFiles
	nodeName         string
	nodeIPs          []net.IP
	nodeExternalIPs  []net.IP
	nodePasswordFile string
	proxy            *supervisorProxy
	tokenRetry       time.Duration // k3s: 2 s
	configRetry      time.Duration // k3s: 5 s, jittered up to twice that
	onRefused        func(reason string)
}

// joined is the agent configuration the server gave.
type joined struct {
	info         *serverInfo
	control      *controlConfig
	apiServerURL string
}

// waitForToken validates the token against /cacerts until it passes (k3s logs each failure at
// error level and retries every 2 s; a CA-hash mismatch is refused the same way).
func (j *joinSpec) waitForToken(ctx context.Context) error {
	for {
		_, err := validateToken(ctx, j.proxy.supervisorURL, j.token, j.files.clientKubeletCert, j.files.clientKubeletKey)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		errorf("%v", err)
		j.refused(err.Error())
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(j.tokenRetry):
		}
	}
}

// getConfig retries get until the server answers, as k3s's config.Get:
// "Waiting to retrieve agent configuration; server is not ready: <reason>".
func (j *joinSpec) getConfig(ctx context.Context) (*joined, error) {
	for {
		res, err := j.get(ctx)
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		infof("Waiting to retrieve agent configuration; server is not ready: %v", err)
		j.refused(err.Error())
		wait := j.configRetry + time.Duration(rand.Float64()*float64(j.configRetry))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

func (j *joinSpec) refused(reason string) {
	if j.onRefused != nil {
		j.onRefused(reason)
	}
}

func (j *joinSpec) get(ctx context.Context) (*joined, error) {
	f := j.files
	info, err := validateToken(ctx, j.proxy.supervisorURL, j.token, f.clientKubeletCert, f.clientKubeletKey)
	if err != nil {
		return nil, err
	}
	control, err := getControlConfig(ctx, info)
	if err != nil {
		return nil, fmt.Errorf("failed to retrieve configuration from server: %w", err)
	}
	if control.SupervisorPort != control.HTTPSPort && control.HTTPSPort != 0 && control.SupervisorPort != 0 {
		if err := j.proxy.setAPIServerPort(control.HTTPSPort); err != nil {
			return nil, fmt.Errorf("failed to set apiserver port to %d: %w", control.HTTPSPort, err)
		}
	}
	if err := getHostFile(ctx, f.clientCA, "", info); err != nil {
		return nil, err
	}
	if err := getHostFile(ctx, f.serverCA, "", info); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(j.nodePasswordFile), 0o755); err != nil {
		return nil, err
	}
	// the serving certificate is valid for the node's internal and external addresses
	servingIPs := append(append([]net.IP{}, j.nodeIPs...), j.nodeExternalIPs...)
	if err := j.getNodeNamedHostFile(ctx, f.servingKubeletCert, f.servingKubeletKey, servingIPs, info); err != nil {
		return nil, fmt.Errorf("%s: %w", f.servingKubeletCert, err)
	}
	if err := j.getNodeNamedHostFile(ctx, f.clientKubeletCert, f.clientKubeletKey, j.nodeIPs, info); err != nil {
		return nil, fmt.Errorf("%s: %w", f.clientKubeletCert, err)
	}
	apiServerURL := j.proxy.apiServerURL
	if err := writeKubeconfig(f.kubeletKubeconfig, apiServerURL, f.serverCA, f.clientKubeletCert, f.clientKubeletKey); err != nil {
		return nil, err
	}
	if err := getHostFile(ctx, f.clientKubeProxyCert, f.clientKubeProxyKey, info); err != nil {
		return nil, fmt.Errorf("%s: %w", f.clientKubeProxyCert, err)
	}
	if err := writeKubeconfig(f.kubeproxyKubeconfig, apiServerURL, f.serverCA, f.clientKubeProxyCert, f.clientKubeProxyKey); err != nil {
		return nil, err
	}
	// k3s also fetches client-k3s-controller.crt here, for its agent-side controllers (the
	// embedded registry and network policy): the stand-in runs neither and does not ask.
	return &joined{info: info, control: control, apiServerURL: apiServerURL}, nil
}

// getHostFile fetches /v1-k3s/<basename>: a certificate (keyFile "") or certificate + key.
func getHostFile(ctx context.Context, filename, keyFile string, info *serverInfo) error {
	b, err := info.Get(ctx, "/v1-k3s/"+filepath.Base(filename))
	if err != nil {
		return err
	}
	if keyFile == "" {
		if err := writeFile(filename, b, 0o600); err != nil {
			return fmt.Errorf("failed to write cert %s: %w", filename, err)
		}
		return nil
	}
	certPem, keyPem := splitCertKeyPEM(b)
	if err := writeFile(filename, certPem, 0o600); err != nil {
		return fmt.Errorf("failed to write cert %s: %w", filename, err)
	}
	if err := writeFile(keyFile, keyPem, 0o600); err != nil {
		return fmt.Errorf("failed to write key %s: %w", filename, err)
	}
	return nil
}

// getNodeNamedHostFile fetches a node certificate (serving-kubelet.crt, client-kubelet.crt),
// naming the node and proving it with the node password (k3s's getNodeNamedCrt).
func (j *joinSpec) getNodeNamedHostFile(ctx context.Context, certFile, keyFile string, ips []net.IP, info *serverInfo) error {
	b, err := j.getNodeNamedCrt(ctx, info.url("/v1-k3s/"+filepath.Base(certFile)), info, ips)
	if err != nil {
		return err
	}
	certPem, keyPem := splitCertKeyPEM(b)
	if err := writeFile(certFile, certPem, 0o600); err != nil {
		return fmt.Errorf("failed to write cert %s: %w", certFile, err)
	}
	if err := writeFile(keyFile, keyPem, 0o600); err != nil {
		return fmt.Errorf("failed to write key %s: %w", certFile, err)
	}
	return nil
}

func (j *joinSpec) getNodeNamedCrt(ctx context.Context, u string, info *serverInfo, ips []net.IP) ([]byte, error) {
	password, _, err := ensureNodePassword(j.nodePasswordFile)
	if err != nil {
		return nil, err
	}
	do := func(cert bool) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		info.authorize(req)
		req.Header.Set("k3s-Node-Name", j.nodeName)
		req.Header.Set("k3s-Node-Password", password)
		req.Header.Set("k3s-Node-IP", joinIPs(ips))
		c := info.clientCert()
		if !cert {
			c = nil
		}
		return httpClient(info.caCerts, c).Do(req)
	}
	resp, err := do(true)
	if err != nil {
		return nil, err
	}
	// A 401 with a client certificate: retry without it (k3s falls back from node identity to
	// the token when the node's certificate is no longer accepted).
	if resp.StatusCode == http.StatusUnauthorized && info.clientCert() != nil {
		resp.Body.Close()
		infof("Node authorization rejected, retrying without client certificate authentication")
		if resp, err = do(false); err != nil {
			return nil, err
		}
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusForbidden {
		r := reason(resp.Body)
		if r == "" || strings.Contains(r, "unable to verify password") {
			return nil, fmt.Errorf("Node password rejected, duplicate hostname or contents of '%s' may not match server node-passwd entry, try enabling a unique node name with the --with-node-id flag", j.nodePasswordFile)
		}
		// another refusal (the K3s-DaaS stake gate): the server's words, so the journal says why
		return nil, fmt.Errorf("%s: %s: %s", u, resp.Status, r)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(u, resp)
	}
	return io.ReadAll(resp.Body)
}

// waitForAPIServers asks /v1-k3s/apiservers until it lists at least one address, as k3s's
// config.APIServers; an error ends the wait (the balancer keeps the --server address).
func waitForAPIServers(ctx context.Context, info *serverInfo, interval time.Duration) []string {
	for {
		b, err := info.Get(ctx, "/v1-k3s/apiservers")
		var addresses []string
		if err == nil {
			err = json.Unmarshal(b, &addresses)
		}
		if err != nil {
			if ctx.Err() == nil {
				infof("Failed to retrieve list of apiservers from server: %v", err)
			}
			return nil
		}
		if len(addresses) > 0 {
			return addresses
		}
		infof("Waiting for supervisor to provide apiserver addresses")
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

// waitForReadyz polls /v1-k3s/readyz and then the configuration again (k3s's
// KubeProxyDisabled, which gates kube-proxy); returns whether the server disabled kube-proxy.
func waitForReadyz(ctx context.Context, info *serverInfo, interval time.Duration) (bool, error) {
	for {
		_, err := info.Get(ctx, "/v1-k3s/readyz")
		// a 500 (or 503) says the server is not ready yet; any other answer means a server without
		// readyz, whose configuration is used as it is (as k3s)
		if err == nil || !strings.Contains(err.Error(), ": 500 ") && !strings.Contains(err.Error(), ": 503 ") {
			c, cerr := getControlConfig(ctx, info)
			if cerr == nil {
				return c.DisableKubeProxy, nil
			}
			err = fmt.Errorf("failed to retrieve configuration from server: %w", cerr)
		}
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		infof("Waiting to retrieve kube-proxy configuration; server is not ready: %v", err)
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(interval):
		}
	}
}
