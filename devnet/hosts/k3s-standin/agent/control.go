package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
)

// controlConfig is the part of the server's control configuration (k3s's config.Control, served
// as JSON on /v1-k3s/config) that the agent uses. k3s marshals *net.IPNet as an object
// ({"IP": ..., "Mask": base64}); the K3s-DaaS supervisor sends "10.42.0.0/16": both are read.
type controlConfig struct {
	ClusterDomain      string
	ClusterDNS         string
	ClusterDNSs        []string
	ClusterIPRange     cidr
	ServiceIPRange     cidr
	HTTPSPort          int
	SupervisorPort     int
	FlannelBackend     string
	EgressSelectorMode string
	DisableCCM         bool
	DisableKubeProxy   bool
	DisableNPC         bool
}

type cidr struct{ *net.IPNet }

func (c *cidr) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return err
		}
		c.IPNet = n
		return nil
	}
	var o struct {
		IP   net.IP
		Mask []byte
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return fmt.Errorf("invalid CIDR %s", b)
	}
	c.IPNet = &net.IPNet{IP: o.IP, Mask: net.IPMask(o.Mask)}
	return nil
}

func (c cidr) String() string {
	if c.IPNet == nil {
		return ""
	}
	return c.IPNet.String()
}

// clusterDNSs is the kubelet's --cluster-dns list (ClusterDNSs when the server sends it).
func (c *controlConfig) clusterDNSs() []string {
	if len(c.ClusterDNSs) > 0 {
		return c.ClusterDNSs
	}
	if c.ClusterDNS != "" {
		return []string{c.ClusterDNS}
	}
	return nil
}

func getControlConfig(ctx context.Context, info *serverInfo) (*controlConfig, error) {
	b, err := info.Get(ctx, "/v1-k3s/config")
	if err != nil {
		return nil, err
	}
	c := &controlConfig{}
	return c, json.Unmarshal(b, c)
}
