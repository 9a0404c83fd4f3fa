package agent

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// The command line of `k3s agent` as urfave/cli parses it for k3s (pkg/cli/cmds/agent.go):
// long and short names, `--flag value` and `--flag=value`, repeatable slice flags, booleans
// without a value, and an environment variable behind some flags (the flag wins).

type flagKind int

const (
	kString flagKind = iota
	kSlice
	kBool
)

type flagDef struct {
	names []string
	kind  flagKind
	env   string
}

// Flags of `k3s agent` (v1.31/v1.32). Unknown flags are rejected as urfave/cli does.
var agentFlags = []flagDef{
	{[]string{"config", "c"}, kString, "K3S_CONFIG_FILE"},
	{[]string{"debug"}, kBool, "K3S_DEBUG"},
	{[]string{"v"}, kString, ""},
	{[]string{"vmodule"}, kString, ""},
	{[]string{"log", "l"}, kString, ""},
	{[]string{"alsologtostderr"}, kBool, ""},
	{[]string{"token", "t"}, kString, "K3S_TOKEN"},
	{[]string{"token-file"}, kString, "K3S_TOKEN_FILE"},
	{[]string{"server", "s"}, kString, "K3S_URL"},
	{[]string{"data-dir", "d"}, kString, ""},
	{[]string{"node-name"}, kString, "K3S_NODE_NAME"},
	{[]string{"with-node-id"}, kBool, ""},
	{[]string{"node-label"}, kSlice, ""},
	{[]string{"node-taint"}, kSlice, ""},
	{[]string{"image-credential-provider-bin-dir"}, kString, ""},
	{[]string{"image-credential-provider-config"}, kString, ""},
	{[]string{"selinux"}, kBool, "K3S_SELINUX"},
	{[]string{"lb-server-port"}, kString, "K3S_LB_SERVER_PORT"},
	{[]string{"protect-kernel-defaults"}, kBool, ""},
	{[]string{"container-runtime-endpoint"}, kString, ""},
	{[]string{"default-runtime"}, kString, ""},
	{[]string{"image-service-endpoint"}, kString, ""},
	{[]string{"disable-default-registry-endpoint"}, kBool, ""},
	{[]string{"nonroot-devices"}, kBool, ""},
	{[]string{"pause-image"}, kString, ""},
	{[]string{"snapshotter"}, kString, ""},
	{[]string{"private-registry"}, kString, ""},
	{[]string{"system-default-registry"}, kString, ""},
	{[]string{"node-ip", "i"}, kSlice, ""},
	{[]string{"node-external-ip"}, kSlice, ""},
	{[]string{"resolv-conf"}, kString, "K3S_RESOLV_CONF"},
	{[]string{"flannel-iface"}, kString, ""},
	{[]string{"flannel-conf"}, kString, ""},
	{[]string{"flannel-cni-conf"}, kString, ""},
	{[]string{"kubelet-arg"}, kSlice, ""},
	{[]string{"kube-proxy-arg"}, kSlice, ""},
	{[]string{"rootless"}, kBool, ""},
	{[]string{"prefer-bundled-bin"}, kBool, ""},
	{[]string{"docker"}, kBool, ""},
	{[]string{"airgap-extra-registry"}, kSlice, ""},
	{[]string{"disable-apiserver-lb"}, kBool, ""},
	{[]string{"enable-pprof"}, kBool, ""},
	{[]string{"bind-address"}, kString, ""},
	{[]string{"node-internal-dns"}, kSlice, ""},
	{[]string{"node-external-dns"}, kSlice, ""},
}

type parsed struct {
	strs   map[string]string
	slices map[string][]string
	bools  map[string]bool
	// where each value came from: "flag" or "env:NAME"
	source map[string]string
}

func lookupFlag(name string) *flagDef {
	for i := range agentFlags {
		for _, n := range agentFlags[i].names {
			if n == name {
				return &agentFlags[i]
			}
		}
	}
	return nil
}

// parseAgent returns the parsed flags and the command line with the --token value redacted
// (the status file records the command line; the token never goes anywhere).
func parseAgent(args []string) (*parsed, []string, error) {
	p := &parsed{map[string]string{}, map[string][]string{}, map[string]bool{}, map[string]string{}}
	var redacted []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			if i+1 < len(args) {
				return nil, nil, usagef("unexpected argument %q", args[i+1])
			}
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			return nil, nil, usagef("unexpected argument %q (k3s agent takes no positional arguments)", a)
		}
		name := strings.TrimLeft(a, "-")
		val, hasVal := "", false
		if eq := strings.IndexByte(name, '='); eq >= 0 {
			name, val, hasVal = name[:eq], name[eq+1:], true
		}
		def := lookupFlag(name)
		if def == nil {
			return nil, nil, usagef("flag provided but not defined: -%s", name)
		}
		key := def.names[0]
		if def.kind == kBool {
			b := true
			if hasVal {
				v, err := strconv.ParseBool(val)
				if err != nil {
					return nil, nil, usagef("invalid boolean value %q for -%s", val, name)
				}
				b = v
			}
			p.bools[key] = b
			p.source[key] = "flag"
			redacted = append(redacted, a)
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return nil, nil, usagef("flag needs an argument: -%s", name)
			}
			i++
			val = args[i]
		}
		switch {
		case key == "token":
			redacted = append(redacted, "--token", "<redacted>")
		case hasVal:
			redacted = append(redacted, a)
		default:
			redacted = append(redacted, a, val)
		}
		if def.kind == kSlice {
			p.slices[key] = append(p.slices[key], val)
		} else {
			p.strs[key] = val
		}
		p.source[key] = "flag"
	}
	// environment fallbacks, as urfave/cli EnvVar does (flags win)
	for _, d := range agentFlags {
		if d.env == "" {
			continue
		}
		key := d.names[0]
		if _, ok := p.source[key]; ok {
			continue
		}
		v, ok := os.LookupEnv(d.env)
		if !ok || v == "" {
			continue
		}
		switch d.kind {
		case kBool:
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, nil, fatalf("invalid boolean value %q in %s", v, d.env)
			}
			p.bools[key] = b
		case kSlice:
			p.slices[key] = strings.Split(v, ",")
		default:
			p.strs[key] = v
		}
		p.source[key] = "env:" + d.env
	}
	return p, redacted, nil
}

// splitList flattens repeated, comma-separated values (k3s's util.SplitStringSlice), as k3s
// does for --node-ip and --node-external-ip.
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// lbServerPort is --lb-server-port (k3s's default 6444).
func lbServerPort(p *parsed) (int, error) {
	v := p.strs["lb-server-port"]
	if v == "" {
		return 6444, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 65535 {
		return 0, fmt.Errorf("invalid lb-server-port %q", v)
	}
	return n, nil
}
