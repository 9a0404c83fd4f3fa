package agent

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"
)

// The agent's client-side load balancer, as k3s's pkg/agent/loadbalancer: a plain TCP proxy on
// 127.0.0.1:<lb-server-port> to the servers (the --server address first, then the list from
// /v1-k3s/apiservers), its state in <data-dir>/agent/etc/<service>.json. The kubelet's
// kubeconfig and the join itself go through it, as in k3s. Simplified: no health checks; a
// failed dial moves on to the next server.

const supervisorServiceName = "k3s-agent-load-balancer"
const apiServerServiceName = "k3s-api-server-agent-load-balancer"

type loadBalancer struct {
	mu             sync.Mutex
	listener       net.Listener
	configFile     string
	localServerURL string
	defaultServer  string
	serverURL      string
	servers        []string // ServerAddresses (sorted, unique)
	current        string   // the server the last connection reached
	dialTimeout    time.Duration
	wg             sync.WaitGroup
}

// lbConfig is the JSON state file (ServerURL and ServerAddresses, as k3s writes them).
type lbConfig struct {
	ServerURL       string   `json:"ServerURL"`
	ServerAddresses []string `json:"ServerAddresses"`
}

func newLoadBalancer(agentDir, serviceName, serverURL string, port int) (*loadBalancer, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		warnf("Error starting load balancer: %s", err)
		return nil, err
	}
	u, err := url.Parse(serverURL)
	if err != nil || u.Host == "" {
		listener.Close()
		return nil, errors.New("Initial server URL host is not defined for load balancer")
	}
	address := u.Host
	if u.Port() == "" {
		address = net.JoinHostPort(u.Hostname(), "443")
	}
	local := *u
	local.Host = listener.Addr().String()
	lb := &loadBalancer{
		listener:       listener,
		configFile:     filepath.Join(agentDir, "etc", serviceName+".json"),
		localServerURL: local.String(),
		defaultServer:  address,
		serverURL:      serverURL,
		dialTimeout:    10 * time.Second,
	}
	lb.setServers([]string{address})
	// k3s keeps the servers it learnt across restarts while --server is unchanged
	if b, err := os.ReadFile(lb.configFile); err == nil {
		var c lbConfig
		if json.Unmarshal(b, &c) == nil && c.ServerURL == serverURL && len(c.ServerAddresses) > 0 {
			lb.setServers(c.ServerAddresses)
		}
	}
	if err := lb.writeConfig(); err != nil {
		listener.Close()
		return nil, err
	}
	go lb.serve()
	infof("Running load balancer %s %s -> %v [default: %s]", serviceName, listener.Addr(), lb.serverList(), address)
	return lb, nil
}

// URL is what clients use instead of the server: https://127.0.0.1:<port>.
func (lb *loadBalancer) URL() string { return lb.localServerURL }

func (lb *loadBalancer) setServers(addresses []string) bool {
	var list []string
	for _, a := range addresses {
		if a != "" && !slices.Contains(list, a) {
			list = append(list, a)
		}
	}
	slices.Sort(list)
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if slices.Equal(list, lb.servers) {
		return false
	}
	lb.servers = list
	return true
}

func (lb *loadBalancer) serverList() []string {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	return slices.Clone(lb.servers)
}

// Update replaces the server list (from /v1-k3s/apiservers); the default stays as a fallback.
func (lb *loadBalancer) Update(addresses []string) {
	if !lb.setServers(addresses) {
		return
	}
	infof("Updated load balancer %s server addresses -> %v [default: %s]", lb.listener.Addr(), lb.serverList(), lb.defaultServer)
	if err := lb.writeConfig(); err != nil {
		warnf("Error updating load balancer config: %s", err)
	}
}

func (lb *loadBalancer) writeConfig() error {
	b, _ := json.MarshalIndent(lbConfig{ServerURL: lb.serverURL, ServerAddresses: lb.serverList()}, "", "  ")
	return writeFile(lb.configFile, b, 0o600)
}

// candidates: the server that answered last, the others, then the default.
func (lb *loadBalancer) candidates() []string {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	var out []string
	if lb.current != "" && slices.Contains(lb.servers, lb.current) {
		out = append(out, lb.current)
	}
	for _, s := range lb.servers {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if !slices.Contains(out, lb.defaultServer) {
		out = append(out, lb.defaultServer)
	}
	return out
}

func (lb *loadBalancer) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: lb.dialTimeout}
	var lastErr error
	for _, s := range lb.candidates() {
		conn, err := d.DialContext(ctx, "tcp", s)
		if err == nil {
			lb.mu.Lock()
			lb.current = s
			lb.mu.Unlock()
			return conn, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func (lb *loadBalancer) serve() {
	for {
		conn, err := lb.listener.Accept()
		if err != nil {
			return
		}
		lb.wg.Add(1)
		go func() {
			defer lb.wg.Done()
			lb.proxy(conn)
		}()
	}
}

func (lb *loadBalancer) proxy(src net.Conn) {
	defer src.Close()
	dst, err := lb.dial(context.Background())
	if err != nil {
		// as k3s's onDialError: the client sees the connection closed
		return
	}
	defer dst.Close()
	done := make(chan struct{}, 2)
	pipe := func(to, from net.Conn) {
		_, _ = io.Copy(to, from)
		if c, ok := to.(*net.TCPConn); ok {
			_ = c.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(dst, src)
	go pipe(src, dst)
	<-done
	<-done
}

// Close stops accepting connections (open ones end with their peers).
func (lb *loadBalancer) Close() error { return lb.listener.Close() }
