package agent

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// `k3s agent`: the checks, the status file, then k3s's agent sequence (pkg/agent/run.go Run,
// createProxyAndValidateToken, run, setupTunnelAndRunAgent) with the real kubelet.

// system is what tests replace.
type system struct {
	rancherNodeDir string
	geteuid        func() int
	cniTar         []byte
	cgroups        cgroupPaths
	tokenRetry     time.Duration // k3s: 2 s
	configRetry    time.Duration // k3s: 5 s (+ up to 5 s of jitter)
	poll           time.Duration // apiservers, readyz, the Node's podCIDR
	signals        func() (term, hup <-chan os.Signal, stop func())
}

func hostSystem() *system {
	return &system{
		rancherNodeDir: "/etc/rancher/node",
		geteuid:        os.Geteuid,
		cniTar:         cniPluginsTar,
		cgroups:        hostCgroupPaths,
		tokenRetry:     2 * time.Second,
		configRetry:    5 * time.Second,
		poll:           5 * time.Second,
		signals: func() (<-chan os.Signal, <-chan os.Signal, func()) {
			term := make(chan os.Signal, 1)
			hup := make(chan os.Signal, 1)
			signal.Notify(term, syscall.SIGTERM, syscall.SIGINT)
			signal.Notify(hup, syscall.SIGHUP)
			return term, hup, func() { signal.Stop(term); signal.Stop(hup) }
		},
	}
}

// agentRun is a checked command line.
type agentRun struct {
	sys              *system
	p                *parsed
	server           string
	token            string
	dataDir          string
	runtimeEndpoint  string
	nodeName         string
	nodePasswordFile string
	files            agentFiles
	rel              release
	lbPort           int
	status           *statusWriter
}

func runAgent(args []string, hooks Hooks, sys *system) int {
	a, err := prepareAgent(args, sys)
	if err != nil {
		return exitCode(err)
	}
	return a.run(hooks)
}

// prepareAgent makes every check the stand-in has always made, in the same order, and writes
// the first status.
func prepareAgent(args []string, sys *system) (*agentRun, error) {
	p, redacted, err := parseAgent(args)
	if err != nil {
		return nil, err
	}
	if sys.geteuid() != 0 && !p.bools["rootless"] {
		return nil, fatalf("agent must be run as root, or with --rootless")
	}
	if p.strs["config"] != "" {
		if _, err := os.Stat(p.strs["config"]); err != nil && p.source["config"] == "flag" {
			return nil, fatalf("failed to read config file %s: %v", p.strs["config"], err)
		}
	}
	server := p.strs["server"]
	if server == "" {
		return nil, fatalf("Error: --server is required")
	}
	if err := checkServer(server); err != nil {
		return nil, err
	}
	tok, tokenValue, err := readToken(p)
	if err != nil {
		return nil, err
	}
	if !tok.Given {
		return nil, fatalf("Error: --token is required")
	}
	dataDir, err := prepareDataDir(p)
	if err != nil {
		return nil, err
	}
	cre := p.strs["container-runtime-endpoint"]
	if cre != "" {
		if err := checkRuntimeEndpoint(cre); err != nil {
			return nil, err
		}
	}
	rel, err := parseRelease(Version)
	if err != nil {
		return nil, fatalf("%v", err)
	}
	lbPort, err := lbServerPort(p)
	if err != nil {
		return nil, fatalf("%v", err)
	}
	nodeDir := nodeConfigPath(sys.rancherNodeDir, p.bools["rootless"], dataDir)
	nodeName := p.strs["node-name"]
	if nodeName == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fatalf("failed to get hostname: %v", err)
		}
		nodeName = h
	}
	nodeName = strings.ToLower(nodeName)
	if p.bools["with-node-id"] {
		id, err := ensureNodeID(filepath.Join(nodeDir, "id"))
		if err != nil {
			return nil, fatalf("failed to write node id: %v", err)
		}
		nodeName += "-" + id
	}
	passwordFile := filepath.Join(nodeDir, "password")
	pw, generated, err := ensureNodePassword(passwordFile)
	if err != nil {
		return nil, fatalf("failed to write %s: %v", passwordFile, err)
	}
	st := &status{
		Standin:                   "k3s stand-in for K3s-DaaS test hosts (not k3s): k3s's join protocol, the real kubelet",
		Version:                   Version,
		State:                     "running",
		Phase:                     "joining",
		Pid:                       os.Getpid(),
		StartedAt:                 time.Now().UTC().Format(time.RFC3339Nano),
		Args:                      append([]string{"agent"}, nonNil(redacted)...),
		Server:                    server,
		ServerSource:              p.source["server"],
		Token:                     tok,
		NodeName:                  nodeName,
		NodePassword:              describeNodePassword(pw, generated),
		WithNodeID:                p.bools["with-node-id"],
		DataDir:                   dataDir,
		ContainerRuntimeEndpoint:  cre,
		ContainerRuntimeReachable: cre != "",
		NodeLabels:                nonNil(p.slices["node-label"]),
		NodeTaints:                nonNil(p.slices["node-taint"]),
		KubeletArgs:               nonNil(p.slices["kubelet-arg"]),
		KubeProxyArgs:             nonNil(p.slices["kube-proxy-arg"]),
		NodeIPs:                   nonNil(p.slices["node-ip"]),
		Flags:                     describeFlags(p),
		EnvKeys:                   nonNil(describeEnvKeys()),
		Notes:                     standinNotes,
	}
	return &agentRun{
		sys: sys, p: p, server: server, token: tokenValue, dataDir: dataDir, runtimeEndpoint: cre,
		nodeName: nodeName, nodePasswordFile: passwordFile, files: newAgentFiles(dataDir), rel: rel,
		lbPort: lbPort, status: &statusWriter{dir: dataDir, st: st},
	}, nil
}

func (a *agentRun) run(hooks Hooks) int {
	term, hup, stopSignals := a.sys.signals()
	defer stopSignals()
	a.status.update(nil)
	infof("Starting k3s agent %s (%s) [stand-in]", Version, standinCommit)
	infof("Node name %s, server %s, data dir %s", a.nodeName, a.server, a.dataDir)
	// Ready at once, as the stand-in always was (real k3s notifies after the kubelet started
	// and the apiserver answered: see the package doc).
	sdNotify("READY=1\nSTATUS=k3s stand-in running")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	failed := make(chan error, 4)
	kubeletDone := make(chan error, 1)
	go func() {
		if err := a.start(ctx, hooks, kubeletDone, failed); err != nil && ctx.Err() == nil {
			failed <- err
		}
	}()

	stop := func(s os.Signal) int {
		infof("Received %v, shutting down", s)
		sdNotify("STOPPING=1")
		cancel()
		a.status.stop("stopped")
		return 0
	}
	for {
		select {
		case <-hup:
			infof("SIGHUP: rewriting status")
			a.status.update(nil)
		case s := <-term:
			return stop(s)
		case err := <-failed:
			a.status.stop("failed")
			return exitCode(err)
		case err := <-kubeletDone:
			// The kubelet installs its own SIGTERM handler and may return before our select
			// sees the same signal: a pending stop wins over "kubelet exited".
			select {
			case s := <-term:
				return stop(s)
			case <-time.After(time.Second):
			}
			a.status.stop("failed")
			return exitCode(fatalf("kubelet exited: %v", err))
		}
	}
}

// start is k3s's agent sequence up to the running kubelet; it returns a fatal error or nil
// (the kubelet's end is reported on kubeletDone, late failures on failed).
func (a *agentRun) start(ctx context.Context, hooks Hooks, kubeletDone chan<- error, failed chan<- error) error {
	// The self-extracting wrapper's part (cmd/k3s/main.go extract, stageAndRun).
	binDir, err := extractCNI(a.dataDir, a.sys.cniTar, a.rel)
	if err != nil {
		return fatalf("extracting data: %v", err)
	}
	pathEnv := binDir + ":" + os.Getenv("PATH")
	if a.rel.stableCNIDir() {
		pathEnv = filepath.Join(a.dataDir, "data", "cni") + ":" + pathEnv
	}
	os.Setenv("PATH", pathEnv)
	os.Setenv("K3S_DATA_DIR", filepath.Dir(binDir))

	nodeIPs, err := parseNodeIPs(a.p.slices["node-ip"])
	if err != nil {
		return fatalf("failed to get node name and addresses: %v", err)
	}
	externalIPs, err := parseIPList(a.p.slices["node-external-ip"])
	if err != nil {
		return fatalf("invalid node-external-ip: %v", err)
	}
	proxy, err := newSupervisorProxy(!a.p.bools["disable-apiserver-lb"], a.files.dir, a.server, a.lbPort)
	if err != nil {
		return fatalf("%v", err)
	}
	go func() { <-ctx.Done(); proxy.close() }()
	a.status.update(func(st *status) { st.LoadBalancer = proxy.supervisorURL })

	j := &joinSpec{
		token: a.token, files: a.files, nodeName: a.nodeName, nodeIPs: nodeIPs, nodeExternalIPs: externalIPs,
		nodePasswordFile: a.nodePasswordFile, proxy: proxy,
		tokenRetry: a.sys.tokenRetry, configRetry: a.sys.configRetry,
		onRefused: func(r string) { a.status.update(func(st *status) { st.LastJoinError = r }) },
	}
	if err := j.waitForToken(ctx); err != nil {
		return err
	}
	res, err := j.getConfig(ctx)
	if err != nil {
		return err
	}
	os.Setenv("NODE_NAME", a.nodeName)
	a.status.update(func(st *status) { st.Phase = "starting-kubelet"; st.LastJoinError = "" })

	// Where k3s starts its embedded containerd, or waits for the external runtime.
	if a.runtimeEndpoint == "" {
		return errNoRuntimeEndpoint()
	}
	if err := writeCrictlConfig(a.files, a.runtimeEndpoint, a.p.strs["image-service-endpoint"]); err != nil {
		return fatalf("%v", err)
	}
	if err := waitForRuntime(ctx, a.runtimeEndpoint); err != nil {
		return err
	}
	// tunnel.Setup: the servers for the load balancer (the websocket tunnel is not run).
	if addresses := waitForAPIServers(ctx, res.info, a.sys.poll); len(addresses) > 0 {
		proxy.update(addresses)
	}
	args, err := a.kubeletArgs(res, nodeIPs)
	if err != nil {
		return fatalf("failed to start kubelet: %v", err)
	}
	if hooks.RunKubelet == nil {
		return fatalf("failed to start kubelet: this build has no kubelet (Hooks.RunKubelet is nil)")
	}
	infof("Running kubelet %s", strings.Join(args, " "))
	a.status.update(func(st *status) { st.Phase = "kubelet-running" })
	go func() { kubeletDone <- hooks.RunKubelet(ctx, args) }()

	w := &nodeWatch{apiServerURL: res.apiServerURL, nodeName: a.nodeName, files: a.files, interval: min(a.sys.poll, 2*time.Second)}
	go func() {
		cidr, err := w.waitAndWrite(ctx)
		if err != nil {
			if ctx.Err() == nil {
				failed <- fatalf("failed to write the CNI configuration: %v", err)
			}
			return
		}
		a.status.update(func(st *status) { st.PodCIDR = cidr })
	}()
	go func() {
		if disabled, err := waitForReadyz(ctx, res.info, a.sys.poll); err == nil && !disabled {
			infof("kube-proxy is not run by the k3s stand-in (the server did not disable it)")
		}
	}()
	return nil
}
