// Package agent is the k3s AGENT stand-in of the K3s-DaaS test hosts: `k3s agent` as k3s
// v1.31/v1.32 runs it, minus what cannot be had here. This is NOT k3s.
//
// What is k3s's own: the command line (urfave/cli's flags and environment variables), the join
// (pkg/clientaccess/token.go, pkg/agent/config/config.go: /cacerts with CA-hash pinning,
// /v1-k3s/config, the node certificates with the node password, /v1-k3s/apiservers, retried
// while the server refuses), the client-side load balancer on 127.0.0.1:6444
// (pkg/agent/loadbalancer), the files under <data-dir>/agent, the CNI binaries' layout
// (cmd/k3s/main.go extract) and the kubelet's arguments (pkg/daemons/agent). The kubelet is
// the real one, run in this process through Hooks.RunKubelet, as k3s runs it.
//
// What stands in: no embedded containerd (--container-runtime-endpoint is required), no
// flannel (a bridge + host-local conflist on the Node's podCIDR), no kube-proxy, no network
// policy controller, no websocket tunnel; systemd is told READY at once (k3s tells it once the
// kubelet runs and the apiserver answered); <data-dir>/standin-status.json reports what it was
// given (never the token or the node password).
package agent

import (
	"context"
	"fmt"
	"runtime"
	"strings"
)

// Version is the k3s release this build is (set by the main package from its ldflags), e.g.
// "v1.31.4+k3s1". It picks the release's behaviour (kubelet flags or config drop-in, data/cni).
var Version = "v1.31.4+k3s1"

const standinCommit = "k3s-daas-standin"

// Hooks are the parts the main package gives: this package imports no k8s.io package.
type Hooks struct {
	// RunKubelet runs the real kubelet in this process with args (flags only, no program
	// name) until it fails or ctx ends; k3s does the same (pkg/daemons/executor/embed.go).
	// Any return while the agent is not stopping is fatal (exit 1; systemd restarts k3s).
	RunKubelet func(ctx context.Context, args []string) error
}

// Main is the k3s command line after the program name: `--version`/`-v`, `agent ...`,
// `check-config`, `help`. It returns the process exit code and never calls os.Exit; the caller
// must os.Exit with it at once (the kubelet's goroutines are still running when `agent`
// returns 0 after SIGTERM, as k3s exits with the kubelet in it).
func Main(args []string, hooks Hooks) int {
	return mainWith(args, hooks, hostSystem())
}

func mainWith(args []string, hooks Hooks, sys *system) int {
	// global flags before the subcommand
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "--version", "-v":
			fmt.Printf("k3s version %s (%s)\ngo version %s\n", Version, standinCommit, runtime.Version())
			return 0
		case "--help", "-h":
			args = nil
		case "--debug":
			args = args[1:]
			continue
		default:
			return exitCode(usagef("flag provided but not defined: %s", args[0]))
		}
	}
	if len(args) == 0 {
		fmt.Println("NAME:\n   k3s - Kubernetes, but small and simple (K3s-DaaS test-host STAND-IN)\n\nCOMMANDS:\n   agent         Run node agent\n   check-config  Run config check\n\nGLOBAL OPTIONS:\n   --version, -v  print the version")
		return 0
	}
	switch args[0] {
	case "agent":
		return runAgent(args[1:], hooks, sys)
	case "check-config":
		return checkConfig()
	case "help":
		fmt.Println("k3s stand-in: commands agent, check-config; --version")
		return 0
	default:
		logOut.mu.Lock()
		fmt.Fprintf(logOut.w, "k3s stand-in: command %q is not provided (only `agent`, `check-config`, `--version`)\n", args[0])
		logOut.mu.Unlock()
		return 1
	}
}
