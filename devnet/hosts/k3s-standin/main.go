// k3s STAND-IN for K3s-DaaS test hosts. This is NOT k3s.
//
// No k3s binary can be downloaded where the project's tests run, so test hosts get this
// static executable under the name k3s. It accepts `k3s agent`'s command line and
// environment the way k3s does, checks them as k3s would, stays running as a service until
// SIGTERM, and reports what it was given in <data-dir>/standin-status.json (never the token
// value: only whether a token was given and where it came from). It starts no kubelet, does
// not contact the server and runs no containers.
package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// k3sVersion is the release this build pretends to be, set at build time
// (-ldflags "-X main.k3sVersion=v1.32.1+k3s1") so upgrades can be tested: the
// host setup builds one binary per version it serves.
var k3sVersion = "v1.31.4+k3s1"

const (
	standinCommit = "k3s-daas-standin"
	statusFile    = "standin-status.json"
)

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

// Flags of `k3s agent` (k3s v1.30). Unknown flags are rejected like urfave/cli does.
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

func lookup(name string) *flagDef {
	for i := range agentFlags {
		for _, n := range agentFlags[i].names {
			if n == name {
				return &agentFlags[i]
			}
		}
	}
	return nil
}

func usageErr(msg string) {
	fmt.Fprintf(os.Stderr, "Incorrect Usage: %s\n\nNAME:\n   k3s agent - Run node agent\n\n(k3s stand-in for K3s-DaaS test hosts)\n", msg)
	os.Exit(1)
}

func fatal(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "time=\"%s\" level=fatal msg=\"%s\"\n", time.Now().UTC().Format(time.RFC3339), fmt.Sprintf(format, a...))
	os.Exit(1)
}

func info(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "time=\"%s\" level=info msg=\"%s\"\n", time.Now().UTC().Format(time.RFC3339), fmt.Sprintf(format, a...))
}

func parseAgent(args []string) (*parsed, []string) {
	p := &parsed{map[string]string{}, map[string][]string{}, map[string]bool{}, map[string]string{}}
	var redacted []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			if i+1 < len(args) {
				usageErr(fmt.Sprintf("unexpected argument %q", args[i+1]))
			}
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			usageErr(fmt.Sprintf("unexpected argument %q (k3s agent takes no positional arguments)", a))
		}
		name := strings.TrimLeft(a, "-")
		val, hasVal := "", false
		if eq := strings.IndexByte(name, '='); eq >= 0 {
			name, val, hasVal = name[:eq], name[eq+1:], true
		}
		def := lookup(name)
		if def == nil {
			usageErr("flag provided but not defined: -" + name)
		}
		key := def.names[0]
		switch def.kind {
		case kBool:
			b := true
			if hasVal {
				v, err := strconv.ParseBool(val)
				if err != nil {
					usageErr(fmt.Sprintf("invalid boolean value %q for -%s", val, name))
				}
				b = v
			}
			p.bools[key] = b
			p.source[key] = "flag"
			redacted = append(redacted, a)
			continue
		default:
			if !hasVal {
				if i+1 >= len(args) {
					usageErr("flag needs an argument: -" + name)
				}
				i++
				val = args[i]
			}
		}
		if key == "token" {
			redacted = append(redacted, "--token", "<redacted>")
		} else if hasVal {
			redacted = append(redacted, a)
		} else {
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
				fatal("invalid boolean value %q in %s", v, d.env)
			}
			p.bools[key] = b
		case kSlice:
			p.slices[key] = strings.Split(v, ",")
		default:
			p.strs[key] = v
		}
		p.source[key] = "env:" + d.env
	}
	return p, redacted
}

type tokenInfo struct {
	Given  bool   `json:"given"`
	Source string `json:"source"` // "env:K3S_TOKEN", "file:/path (via --token-file)", "flag" ...
	Length int    `json:"length"`
}

type status struct {
	Standin                   string              `json:"standin"`
	Version                   string              `json:"version"`
	State                     string              `json:"state"`
	Pid                       int                 `json:"pid"`
	StartedAt                 string              `json:"startedAt"`
	StoppedAt                 string              `json:"stoppedAt,omitempty"`
	Args                      []string            `json:"args"`
	Server                    string              `json:"server"`
	ServerSource              string              `json:"serverSource"`
	Token                     tokenInfo           `json:"token"`
	NodeName                  string              `json:"nodeName"`
	NodePassword              nodePasswordInfo    `json:"nodePassword"`
	WithNodeID                bool                `json:"withNodeId"`
	DataDir                   string              `json:"dataDir"`
	ContainerRuntimeEndpoint  string              `json:"containerRuntimeEndpoint,omitempty"`
	ContainerRuntimeReachable bool                `json:"containerRuntimeReachable"`
	NodeLabels                []string            `json:"nodeLabels"`
	NodeTaints                []string            `json:"nodeTaints"`
	KubeletArgs               []string            `json:"kubeletArgs"`
	KubeProxyArgs             []string            `json:"kubeProxyArgs"`
	NodeIPs                   []string            `json:"nodeIps"`
	Flags                     map[string]any      `json:"flags"`
	EnvKeys                   []string            `json:"envKeys"`
	Notes                     []string            `json:"notes"`
	Extra                     map[string][]string `json:"-"`
}

// What the agent would present to the server as K3s-Node-Password: never the value.
type nodePasswordInfo struct {
	// "file" (read from /etc/rancher/node/password) or "generated" (written there now).
	Source string `json:"source"`
	Sha256 string `json:"sha256"`
}

// As k3s's ensureNodePassword (pkg/agent/config): the file's trimmed content when it exists,
// else 16 random bytes in hex, written to the file (0600) for the next start.
func ensureNodePassword(rootless bool, dataDir string) nodePasswordInfo {
	dir := "/etc/rancher/node"
	if rootless {
		dir = filepath.Join(dataDir, "agent", "etc", "rancher", "node")
	}
	file := filepath.Join(dir, "password")
	if b, err := os.ReadFile(file); err == nil {
		sum := sha256.Sum256([]byte(strings.TrimSpace(string(b))))
		return nodePasswordInfo{Source: "file", Sha256: hex.EncodeToString(sum[:])}
	}
	buf := make([]byte, 16)
	_, _ = rand.Read(buf)
	pw := hex.EncodeToString(buf)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fatal("failed to create %s: %v", dir, err)
	}
	if err := os.WriteFile(file, []byte(pw+"\n"), 0o600); err != nil {
		fatal("failed to write %s: %v", file, err)
	}
	sum := sha256.Sum256([]byte(pw))
	return nodePasswordInfo{Source: "generated", Sha256: hex.EncodeToString(sum[:])}
}

func writeStatus(dir string, st *status) error {
	b, _ := json.MarshalIndent(st, "", "  ")
	tmp := filepath.Join(dir, statusFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, statusFile))
}

func readToken(p *parsed) (tokenInfo, string) {
	if v, ok := p.strs["token"]; ok && v != "" {
		return tokenInfo{true, p.source["token"], len(v)}, v
	}
	if f, ok := p.strs["token-file"]; ok && f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			fatal("failed to read token file %s: %v", f, err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			fatal("token file %s is empty", f)
		}
		src := "file:" + f
		if s := p.source["token-file"]; s != "flag" {
			src += " (" + s + ")"
		}
		return tokenInfo{true, src, len(v)}, v
	}
	return tokenInfo{false, "", 0}, ""
}

func checkServer(raw string) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		fatal("Error: invalid server url %q", raw)
	}
	if u.Scheme != "https" {
		fatal("Error: server url must use https: %q", raw)
	}
	if u.Port() == "" {
		fatal("Error: server url must include a port (e.g. https://server:6443): %q", raw)
	}
	if port, err := strconv.Atoi(u.Port()); err != nil || port < 1 || port > 65535 {
		fatal("Error: invalid port in server url %q", raw)
	}
}

func nodeID(dataDir string) string {
	f := filepath.Join(dataDir, "agent", "node-id")
	if b, err := os.ReadFile(f); err == nil && len(strings.TrimSpace(string(b))) == 8 {
		return strings.TrimSpace(string(b))
	}
	buf := make([]byte, 4)
	_, _ = rand.Read(buf)
	id := hex.EncodeToString(buf)
	_ = os.MkdirAll(filepath.Dir(f), 0o700)
	_ = os.WriteFile(f, []byte(id+"\n"), 0o600)
	return id
}

func sdNotify(state string) {
	sock := os.Getenv("NOTIFY_SOCKET")
	if sock == "" {
		return
	}
	if strings.HasPrefix(sock, "@") {
		sock = "\x00" + sock[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		return
	}
	defer c.Close()
	_, _ = c.Write([]byte(state))
}

func agent(args []string) {
	p, redacted := parseAgent(args)
	if os.Geteuid() != 0 && !p.bools["rootless"] {
		fatal("agent must be run as root, or with --rootless")
	}
	if p.strs["config"] != "" {
		if _, err := os.Stat(p.strs["config"]); err != nil && p.source["config"] == "flag" {
			fatal("failed to read config file %s: %v", p.strs["config"], err)
		}
	}
	server := p.strs["server"]
	if server == "" {
		fatal("Error: --server is required")
	}
	checkServer(server)
	tok, tokenValue := readToken(p)
	if !tok.Given {
		fatal("Error: --token is required")
	}
	_ = tokenValue // never written anywhere

	dataDir := p.strs["data-dir"]
	if dataDir == "" {
		dataDir = "/var/lib/rancher/k3s"
	}
	if !filepath.IsAbs(dataDir) {
		abs, err := filepath.Abs(dataDir)
		if err != nil {
			fatal("invalid data dir %s: %v", dataDir, err)
		}
		dataDir = abs
	}
	if err := os.MkdirAll(filepath.Join(dataDir, "agent"), 0o700); err != nil {
		fatal("failed to create data dir %s: %v", dataDir, err)
	}
	probe := filepath.Join(dataDir, ".standin-write-test")
	if err := os.WriteFile(probe, []byte("ok"), 0o600); err != nil {
		fatal("data dir %s is not writable: %v", dataDir, err)
	}
	_ = os.Remove(probe)

	reachable := false
	cre := p.strs["container-runtime-endpoint"]
	if cre != "" {
		sockPath := strings.TrimPrefix(cre, "unix://")
		if !filepath.IsAbs(sockPath) {
			fatal("container runtime endpoint %q: only unix sockets are supported", cre)
		}
		fi, err := os.Stat(sockPath)
		if err != nil {
			fatal("failed to find container runtime socket %s: %v", sockPath, err)
		}
		if fi.Mode()&os.ModeSocket == 0 {
			fatal("container runtime endpoint %s is not a socket", sockPath)
		}
		c, err := net.DialTimeout("unix", sockPath, 3*time.Second)
		if err != nil {
			fatal("failed to connect to container runtime at %s: %v", sockPath, err)
		}
		c.Close()
		reachable = true
	}

	nodeName := p.strs["node-name"]
	if nodeName == "" {
		h, err := os.Hostname()
		if err != nil {
			fatal("failed to get hostname: %v", err)
		}
		nodeName = h
	}
	nodeName = strings.ToLower(nodeName)
	if p.bools["with-node-id"] {
		nodeName = nodeName + "-" + nodeID(dataDir)
	}

	flags := map[string]any{}
	for k, v := range p.strs {
		if k == "token" {
			continue
		}
		flags[k] = v
	}
	for k, v := range p.bools {
		flags[k] = v
	}
	for k, v := range p.slices {
		flags[k] = v
	}
	var envKeys []string
	for _, kv := range os.Environ() {
		k := kv[:strings.IndexByte(kv, '=')]
		if strings.HasPrefix(k, "K3S_") || strings.HasPrefix(k, "CONTAINERD_") || strings.HasSuffix(k, "_PROXY") {
			envKeys = append(envKeys, k)
		}
	}
	nz := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	st := &status{
		Standin:                   "k3s stand-in for K3s-DaaS test hosts (not k3s)",
		Version:                   k3sVersion,
		State:                     "running",
		Pid:                       os.Getpid(),
		StartedAt:                 time.Now().UTC().Format(time.RFC3339Nano),
		Args:                      append([]string{"agent"}, nz(redacted)...),
		Server:                    server,
		ServerSource:              p.source["server"],
		Token:                     tok,
		NodeName:                  nodeName,
		NodePassword:              ensureNodePassword(p.bools["rootless"], dataDir),
		WithNodeID:                p.bools["with-node-id"],
		DataDir:                   dataDir,
		ContainerRuntimeEndpoint:  cre,
		ContainerRuntimeReachable: reachable,
		NodeLabels:                nz(p.slices["node-label"]),
		NodeTaints:                nz(p.slices["node-taint"]),
		KubeletArgs:               nz(p.slices["kubelet-arg"]),
		KubeProxyArgs:             nz(p.slices["kube-proxy-arg"]),
		NodeIPs:                   nz(p.slices["node-ip"]),
		Flags:                     flags,
		EnvKeys:                   nz(envKeys),
		Notes:                     []string{"stand-in: no kubelet is started and the server is not contacted"},
	}
	if err := writeStatus(dataDir, st); err != nil {
		fatal("failed to write status: %v", err)
	}
	info("Starting k3s agent %s (%s) [stand-in]", k3sVersion, standinCommit)
	info("Node name %s, server %s, data dir %s", nodeName, server, dataDir)
	sdNotify("READY=1\nSTATUS=k3s stand-in running")

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	for {
		select {
		case <-hup:
			info("SIGHUP: rewriting status")
			_ = writeStatus(dataDir, st)
		case s := <-sigs:
			info("Received %v, shutting down", s)
			sdNotify("STOPPING=1")
			st.State = "stopped"
			st.StoppedAt = time.Now().UTC().Format(time.RFC3339Nano)
			_ = writeStatus(dataDir, st)
			os.Exit(0)
		}
	}
}

func checkConfig() {
	fmt.Println("Verifying binaries in /var/lib/rancher/k3s/data/current/bin: (k3s stand-in: none bundled)")
	fmt.Println()
	fmt.Println("System:")
	ok := true
	check := func(name string, pass bool, detail string) {
		r := "ok"
		if !pass {
			r = "missing"
			ok = false
		}
		fmt.Printf("- %s: %s%s\n", name, r, detail)
	}
	_, err := os.Stat("/sys/fs/cgroup")
	check("/sys/fs/cgroup", err == nil, "")
	cg, _ := os.ReadFile("/proc/self/cgroup")
	check("cgroups", len(cg) > 0, "")
	_, err = os.Stat("/proc/sys/net")
	check("/proc/sys/net", err == nil, "")
	if _, err := os.Stat("/run/containerd/containerd.sock"); err == nil {
		fmt.Println("- containerd socket: /run/containerd/containerd.sock")
	}
	fmt.Println()
	if ok {
		fmt.Println("STATUS: pass")
		return
	}
	fmt.Println("STATUS: 1 (fail)")
	os.Exit(1)
}

func main() {
	args := os.Args[1:]
	// global flags before the subcommand
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "--version", "-v":
			fmt.Printf("k3s version %s (%s)\ngo version %s\n", k3sVersion, standinCommit, runtime.Version())
			return
		case "--help", "-h":
			args = nil
		case "--debug":
			args = args[1:]
			continue
		default:
			usageErr("flag provided but not defined: " + args[0])
		}
	}
	if len(args) == 0 {
		fmt.Println("NAME:\n   k3s - Kubernetes, but small and simple (K3s-DaaS test-host STAND-IN)\n\nCOMMANDS:\n   agent         Run node agent\n   check-config  Run config check\n\nGLOBAL OPTIONS:\n   --version, -v  print the version")
		return
	}
	switch args[0] {
	case "agent":
		agent(args[1:])
	case "check-config":
		checkConfig()
	case "help":
		fmt.Println("k3s stand-in: commands agent, check-config; --version")
	default:
		fmt.Fprintf(os.Stderr, "k3s stand-in: command %q is not provided (only `agent`, `check-config`, `--version`)\n", args[0])
		os.Exit(1)
	}
}
