package agent

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// echoServer answers each line with "<name>: <line>".
func echoServer(t *testing.T, name string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
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
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					c.Write([]byte(name + ": " + line))
				}
			}()
		}
	}()
	return l.Addr().String()
}

func roundTrip(t *testing.T, addr, msg string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	c.Write([]byte(msg + "\n"))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "error: " + err.Error()
	}
	return line
}

// closedAddr is a local port nothing listens on.
func closedAddr(t *testing.T) string {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	a := l.Addr().String()
	l.Close()
	return a
}

func TestLoadBalancerProxiesToTheServerThenToTheListedOnes(t *testing.T) {
	captureLog(t)
	agentDir := t.TempDir()
	first := echoServer(t, "first")
	lb, err := newLoadBalancer(agentDir, supervisorServiceName, "https://"+first, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	local := lb.listener.Addr().String()
	if host, _, _ := net.SplitHostPort(local); host != "127.0.0.1" {
		t.Errorf("the balancer listens on %s, not loopback", local)
	}
	if lb.URL() != "https://"+local {
		t.Errorf("URL %s", lb.URL())
	}
	if got := roundTrip(t, local, "hello"); got != "first: hello\n" {
		t.Errorf("got %q", got)
	}
	// the apiservers list replaces the servers; the --server address stays the fallback
	second := echoServer(t, "second")
	lb.Update([]string{second})
	if got := roundTrip(t, local, "again"); got != "second: again\n" {
		t.Errorf("got %q", got)
	}
	lb.Update([]string{closedAddr(t)})
	if got := roundTrip(t, local, "fallback"); got != "first: fallback\n" {
		t.Errorf("a dead server is skipped for the default: got %q", got)
	}
	var c lbConfig
	b, err := os.ReadFile(filepath.Join(agentDir, "etc", "k3s-agent-load-balancer.json"))
	if err != nil || json.Unmarshal(b, &c) != nil || c.ServerURL != "https://"+first || len(c.ServerAddresses) != 1 {
		t.Errorf("state file: %s %v", b, err)
	}
	fi, _ := os.Stat(filepath.Join(agentDir, "etc", "k3s-agent-load-balancer.json"))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %o", fi.Mode().Perm())
	}
}

func TestLoadBalancerPortInUseIsAnError(t *testing.T) {
	captureLog(t)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	var n int
	json.Unmarshal([]byte(port), &n)
	if _, err := newLoadBalancer(t.TempDir(), supervisorServiceName, "https://127.0.0.1:1", n); err == nil {
		t.Errorf("a second balancer on a busy port started")
	}
}
