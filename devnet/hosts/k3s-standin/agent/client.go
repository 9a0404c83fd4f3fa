package agent

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The supervisor client, as k3s's pkg/clientaccess/token.go (ParseAndValidateToken,
// setServer, getCACerts, validateCAHash, GetHTTPClient, get). Every request carries the
// caller's context so that SIGTERM ends a join in progress at once.

const defaultClientTimeout = 10 * time.Second

// serverInfo is k3s's clientaccess.Info: the server, its CA bundle and the credentials.
type serverInfo struct {
	baseURL  string
	caCerts  []byte // nil when the host's CA bundle already trusts the server
	token    *joinToken
	certFile string // client-kubelet.crt/key of an earlier join, presented when present
	keyFile  string
}

// validateToken parses the token (the user is always "node": k3s's agent passes
// clientaccess.WithUser("node")), fetches /cacerts and checks it against the token's CA hash.
func validateToken(ctx context.Context, server, rawToken, certFile, keyFile string) (*serverInfo, error) {
	tok, err := parseToken(rawToken)
	if err != nil {
		return nil, err
	}
	tok.username = "node"
	u, err := url.Parse(server)
	if err != nil {
		return nil, fmt.Errorf("Invalid server url, failed to parse: %s: %w", server, err)
	}
	if u.Scheme != "https" {
		return nil, errors.New("only https:// URLs are supported, invalid scheme: " + server)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	cacerts, err := getCACerts(ctx, *u)
	if err != nil {
		return nil, err
	}
	info := &serverInfo{baseURL: u.String(), caCerts: cacerts, token: tok, certFile: certFile, keyFile: keyFile}
	return info, info.validateCAHash()
}

func (i *serverInfo) validateCAHash() error {
	switch {
	case len(i.token.caHash) > 0 && len(i.caCerts) == 0:
		warnf("Cluster CA certificate is trusted by the host CA bundle. Token CA hash will not be validated.")
	case len(i.token.caHash) == 0 && len(i.caCerts) > 0:
		warnf("Cluster CA certificate is not trusted by the host CA bundle, but the token does not include a CA hash. " +
			"Use the full token from the server's node-token file to enable Cluster CA validation.")
	case len(i.caCerts) > 0 && len(i.token.caHash) > 0:
		serverHash, _ := hashCA(i.caCerts)
		if serverHash != i.token.caHash {
			return fmt.Errorf("token CA hash does not match the Cluster CA certificate hash: %s != %s", i.token.caHash, serverHash)
		}
	}
	return nil
}

// getCACerts downloads the CA bundle from /cacerts (no credentials are sent before the hash
// check): first with the host's CA bundle, which is expected to fail for a self-signed cluster
// CA; then without verification; then once more verifying the server with what it sent.
func getCACerts(ctx context.Context, u url.URL) ([]byte, error) {
	u.Path = "/cacerts"
	target := u.String()
	if _, err := get(ctx, target, httpClient(nil, nil), nil); err == nil {
		return nil, nil
	}
	insecure := &http.Client{Timeout: defaultClientTimeout, Transport: &http.Transport{
		DisableKeepAlives: true, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	cacerts, err := get(ctx, target, insecure, nil)
	if err != nil {
		return nil, fmt.Errorf("failed to get CA certs: %w", err)
	}
	if _, err := get(ctx, target, httpClient(cacerts, nil), nil); err != nil {
		return nil, fmt.Errorf("CA cert validation failed: %w", err)
	}
	return cacerts, nil
}

// httpClient verifies the server with cacerts (the host's bundle when nil) and presents cert.
func httpClient(cacerts []byte, cert *tls.Certificate) *http.Client {
	if cacerts == nil && cert == nil {
		return &http.Client{Timeout: defaultClientTimeout, Transport: &http.Transport{DisableKeepAlives: true}}
	}
	cfg := &tls.Config{}
	if cacerts != nil {
		cfg.RootCAs = x509.NewCertPool()
		cfg.RootCAs.AppendCertsFromPEM(cacerts)
	}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Timeout: defaultClientTimeout, Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: cfg}}
}

// clientCert loads the node's client certificate when an earlier join left one (k3s ignores
// errors here: a first join has none).
func (i *serverInfo) clientCert() *tls.Certificate {
	if i.certFile == "" {
		return nil
	}
	cert, err := tls.LoadX509KeyPair(i.certFile, i.keyFile)
	if err != nil {
		return nil
	}
	return &cert
}

func (i *serverInfo) url(path string) string {
	u, _ := url.Parse(i.baseURL)
	u.Path = path
	return u.String()
}

// Get is k3s's Info.Get: a GET of a supervisor path with the token's credentials.
func (i *serverInfo) Get(ctx context.Context, path string) ([]byte, error) {
	return get(ctx, i.url(path), httpClient(i.caCerts, i.clientCert()), i.authorize)
}

// authorize adds the token's credentials: Bearer for a bootstrap token, else Basic node:<pw>.
func (i *serverInfo) authorize(req *http.Request) {
	if i.token.bootstrap != "" {
		req.Header.Add("Authorization", "Bearer "+i.token.bootstrap)
	} else if i.token.username != "" {
		req.SetBasicAuth(i.token.username, i.token.password)
	}
}

func get(ctx context.Context, u string, client *http.Client, authorize func(*http.Request)) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if authorize != nil {
		authorize(req)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, statusError(u, resp)
	}
	return io.ReadAll(resp.Body)
}

// statusError is k3s's "<url>: <status>", with the server's reason appended when it says more.
func statusError(u string, resp *http.Response) error {
	msg := fmt.Sprintf("%s: %s", u, resp.Status)
	if r := reason(resp.Body); r != "" && !strings.EqualFold(r, http.StatusText(resp.StatusCode)) {
		msg += ": " + r
	}
	return errors.New(msg)
}

// reason is the first line of a refusal's body, for the journal (k3s logs only the status;
// the stand-in adds the server's words so that a stake-gate refusal says why).
func reason(body io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(body, 4096))
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
