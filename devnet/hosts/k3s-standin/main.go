// k3s STAND-IN for K3s-DaaS test hosts and the devnet's control plane. This is NOT k3s.
//
// No k3s binary can be had where the project's tests run. This one executable, built per k3s
// release against the Kubernetes release that k3s release embeds (devnet/hosts/setup.ts), is
// served to the test hosts under the name k3s, as k3s is one multi-call binary:
//
//	k3s agent ...       joins as k3s's agent does (package agent: the same requests, files and
//	                    flags, read from k3s's source) and runs the REAL kubelet in-process
//	k3s kubectl ...     the real kubectl
//	k3s --version, k3s check-config
//
// and gives the control-plane stand-in (which stands in for the Nautilus TEE running the K3s
// server) the real server components: `k3s kube-apiserver`, `k3s kube-controller-manager`,
// `k3s kube-scheduler` and `k3s etcd`, each with upstream's own flags.
package main

import (
	"context"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"go.etcd.io/etcd/server/v3/etcdmain"
	_ "k8s.io/client-go/plugin/pkg/client/auth"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // as upstream's mains: JSON log format
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric
	kubectl "k8s.io/kubectl/pkg/cmd"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kubelet "k8s.io/kubernetes/cmd/kubelet/app"
	_ "time/tzdata" // CronJob time zones, as upstream's apiserver and controller manager

	"k3s-daas/devnet/hosts/k3s-standin/agent"
)

// k3sVersion is the release this build is, set at build time (-ldflags "-X main.k3sVersion=...").
var k3sVersion = "v1.31.4+k3s1"

// Upstream's commands, by the name they are called with (`k3s <name>` or a symlink named so).
var components = map[string]func() *cobra.Command{
	"kubectl":                 kubectl.NewDefaultKubectlCommand,
	"kube-apiserver":          apiserver.NewAPIServerCommand,
	"kube-controller-manager": controllermanager.NewControllerManagerCommand,
	"kube-scheduler":          func() *cobra.Command { return scheduler.NewSchedulerCommand() },
}

// runKubelet runs the real kubelet in this process, as k3s's agent does
// (pkg/daemons/agent); it returns when the kubelet stops.
func runKubelet(ctx context.Context, args []string) error {
	c := kubelet.NewKubeletCommand()
	c.SetArgs(args)
	return c.ExecuteContext(ctx)
}

func isComponent(name string) bool { _, ok := components[name]; return ok || name == "etcd" }

func main() {
	name, args := filepath.Base(os.Args[0]), os.Args[1:]
	if !isComponent(name) && len(args) > 0 && isComponent(args[0]) {
		name, args = args[0], args[1:]
	}
	if name == "etcd" {
		etcdmain.Main(append([]string{"etcd"}, args...))
		return
	}
	if newCmd, ok := components[name]; ok {
		c := newCmd()
		c.SetArgs(args)
		os.Exit(cli.Run(c))
	}
	// `k3s agent`, `k3s --version`, `k3s check-config`, help and usage errors.
	agent.Version = k3sVersion
	os.Exit(agent.Main(os.Args[1:], agent.Hooks{RunKubelet: runKubelet}))
}
