package agent

import (
	"net"
	"net/url"
	"strconv"
)

// The supervisor "proxy" of k3s's pkg/agent/proxy/apiproxy.go: which URL the agent uses for the
// supervisor and which for the apiserver. With the load balancer (default) both are the local
// balancer; --disable-apiserver-lb uses the server URL itself. A server whose apiserver port
// differs from its supervisor port gets a second balancer one port below (k3s does the same).

type supervisorProxy struct {
	initialURL    string
	lbPort        int
	agentDir      string
	supervisorURL string
	apiServerURL  string
	supervisorLB  *loadBalancer
	apiServerLB   *loadBalancer
}

func newSupervisorProxy(lbEnabled bool, agentDir, serverURL string, lbPort int) (*supervisorProxy, error) {
	p := &supervisorProxy{initialURL: serverURL, lbPort: lbPort, agentDir: agentDir, supervisorURL: serverURL, apiServerURL: serverURL}
	if lbEnabled {
		lb, err := newLoadBalancer(agentDir, supervisorServiceName, serverURL, lbPort)
		if err != nil {
			return nil, err
		}
		p.supervisorLB = lb
		p.supervisorURL = lb.URL()
		p.apiServerURL = lb.URL()
	}
	return p, nil
}

// setAPIServerPort points the apiserver URL at another port of the server (HTTPSPort !=
// SupervisorPort in /v1-k3s/config).
func (p *supervisorProxy) setAPIServerPort(port int) error {
	u, err := url.Parse(p.initialURL)
	if err != nil {
		return err
	}
	u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(port))
	p.apiServerURL = u.String()
	if p.supervisorLB != nil && p.apiServerLB == nil {
		lbPort := p.lbPort
		if lbPort != 0 {
			lbPort--
		}
		lb, err := newLoadBalancer(p.agentDir, apiServerServiceName, p.apiServerURL, lbPort)
		if err != nil {
			return err
		}
		p.apiServerLB = lb
		p.apiServerURL = lb.URL()
	}
	return nil
}

// update gives the balancers the servers /v1-k3s/apiservers listed.
func (p *supervisorProxy) update(addresses []string) {
	if p.apiServerLB != nil {
		p.apiServerLB.Update(addresses)
		// the supervisor balancer reaches the same hosts on the supervisor port
		u, err := url.Parse(p.initialURL)
		if err == nil {
			var sup []string
			for _, a := range addresses {
				if h, _, err := net.SplitHostPort(a); err == nil {
					sup = append(sup, net.JoinHostPort(h, u.Port()))
				}
			}
			addresses = sup
		}
	}
	if p.supervisorLB != nil {
		p.supervisorLB.Update(addresses)
	}
}

func (p *supervisorProxy) close() {
	if p.supervisorLB != nil {
		p.supervisorLB.Close()
	}
	if p.apiServerLB != nil {
		p.apiServerLB.Close()
	}
}
