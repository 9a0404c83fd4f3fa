package agent

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// A test supervisor speaking k3s's join protocol (the subset of the K3s-DaaS contract), with
// real certificates: a server CA signing its TLS certificate (SAN 127.0.0.1) and the kubelet
// serving certificates, a client CA signing the kubelet and kube-proxy client certificates.

type testCA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

func newTestCA(t *testing.T, cn string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns the leaf's PEM, its key's PEM and the tls.Certificate.
func (ca *testCA) issue(t *testing.T, cn string, orgs []string, server bool, ips []net.IP, dns []string) ([]byte, []byte, tls.Certificate) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	usage := x509.ExtKeyUsageClientAuth
	if server {
		usage = x509.ExtKeyUsageServerAuth
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn, Organization: orgs},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips, DNSNames: dns,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, keyPEM, pair
}

type testSupervisor struct {
	t        *testing.T
	srv      *httptest.Server
	serverCA *testCA
	clientCA *testCA
	password string // the token's password

	mu            sync.Mutex
	refuseCerts   int    // answer the node certificate requests 403 this many times
	refusal       string // with this body
	nodePasswords map[string]string
	requests      []string // METHOD path auth=<user or ->
	podCIDR       string
	nodeCertCN    string // the CN of the client certificate /api/v1/nodes saw
}

func newTestSupervisor(t *testing.T) *testSupervisor {
	s := &testSupervisor{t: t, serverCA: newTestCA(t, "k3s-server-ca"), clientCA: newTestCA(t, "k3s-client-ca"),
		password: "0123456789abcdef", nodePasswords: map[string]string{}, podCIDR: "10.42.3.0/24"}
	_, _, tlsCert := s.serverCA.issue(t, "k3s", nil, true, []net.IP{net.ParseIP("127.0.0.1")}, []string{"localhost"})
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.handle))
	s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{tlsCert}, ClientAuth: tls.RequestClientCert}
	// the agent's first /cacerts try verifies with the host's CA bundle and fails, as in k3s
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	return s
}

// token is the full K10 token for this server.
func (s *testSupervisor) token() string {
	sum := sha256.Sum256(s.serverCA.certPEM)
	return "K10" + hex.EncodeToString(sum[:]) + "::node:" + s.password
}

func (s *testSupervisor) addr() string { return s.srv.Listener.Addr().String() }

func (s *testSupervisor) URL() string { return "https://" + s.addr() }

func (s *testSupervisor) log() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string{}, s.requests...)
}

func (s *testSupervisor) handle(w http.ResponseWriter, r *http.Request) {
	user, pw, ok := r.BasicAuth()
	who := "-"
	if ok {
		who = user
	}
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path+" auth="+who)
	s.mu.Unlock()
	if r.URL.Path == "/cacerts" {
		w.Write(s.serverCA.certPEM)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/api/v1/nodes/") {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		s.mu.Lock()
		s.nodeCertCN = r.TLS.PeerCertificates[0].Subject.CommonName
		cidr := s.podCIDR
		s.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"kind": "Node", "spec": map[string]any{"podCIDR": cidr}})
		return
	}
	if !ok || user != "node" || pw != s.password {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	switch r.URL.Path {
	case "/v1-k3s/config":
		json.NewEncoder(w).Encode(map[string]any{"ClusterDomain": "cluster.local", "ClusterDNS": "10.43.0.10",
			"ClusterIPRange": "10.42.0.0/16", "ServiceIPRange": "10.43.0.0/16", "HTTPSPort": 6443, "SupervisorPort": 6443,
			"FlannelBackend": "vxlan", "EgressSelectorMode": "disabled"})
	case "/v1-k3s/client-ca.crt":
		w.Write(s.clientCA.certPEM)
	case "/v1-k3s/server-ca.crt":
		w.Write(s.serverCA.certPEM)
	case "/v1-k3s/serving-kubelet.crt", "/v1-k3s/client-kubelet.crt":
		s.nodeCert(w, r)
	case "/v1-k3s/client-kube-proxy.crt":
		c, k, _ := s.clientCA.issue(s.t, "system:kube-proxy", nil, false, nil, nil)
		w.Write(bytes.Join([][]byte{c, s.clientCA.certPEM, k}, nil))
	case "/v1-k3s/apiservers":
		json.NewEncoder(w).Encode([]string{s.addr()})
	case "/v1-k3s/readyz":
		w.Write([]byte("ok"))
	default:
		http.NotFound(w, r)
	}
}

func (s *testSupervisor) nodeCert(w http.ResponseWriter, r *http.Request) {
	node := r.Header.Get("k3s-Node-Name")
	password := r.Header.Get("k3s-Node-Password")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuseCerts > 0 {
		s.refuseCerts--
		http.Error(w, s.refusal, http.StatusForbidden)
		return
	}
	if known, ok := s.nodePasswords[node]; ok && known != password {
		http.Error(w, "Forbidden: unable to verify password for node "+node, http.StatusForbidden)
		return
	}
	s.nodePasswords[node] = password
	var ips []net.IP
	for _, ip := range strings.Split(r.Header.Get("k3s-Node-IP"), ",") {
		ips = append(ips, net.ParseIP(ip))
	}
	if strings.Contains(r.URL.Path, "serving") {
		c, k, _ := s.serverCA.issue(s.t, node, nil, true, append(ips, net.ParseIP("127.0.0.1")), []string{node, "localhost"})
		w.Write(bytes.Join([][]byte{c, s.serverCA.certPEM, k}, nil))
		return
	}
	c, k, _ := s.clientCA.issue(s.t, "system:node:"+node, []string{"system:nodes"}, false, nil, nil)
	w.Write(bytes.Join([][]byte{c, s.clientCA.certPEM, k}, nil))
}

// syncBuffer collects the log lines written from the agent's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// captureLog sends the package's log lines to a buffer for the test's duration.
func captureLog(t *testing.T) *syncBuffer {
	buf := &syncBuffer{}
	old := logOut.w
	logOut.mu.Lock()
	logOut.w = buf
	logOut.mu.Unlock()
	t.Cleanup(func() { logOut.mu.Lock(); logOut.w = old; logOut.mu.Unlock() })
	return buf
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
