package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// connection mirrors @pulumi/command's `remote.Connection` input.
type connection struct {
	Host               string
	Port               int
	User               string
	Password           string
	PrivateKey         string
	PrivateKeyPassword string
	AgentSocketPath    string
	HostKey            string
	DialErrorLimit     int
	PerDialTimeout     int
}

func (c connection) address() string {
	return net.JoinHostPort(c.Host, fmt.Sprint(c.Port))
}

func (c connection) clientConfig() (*ssh.ClientConfig, error) {
	var auths []ssh.AuthMethod
	if c.PrivateKey != "" {
		var signer ssh.Signer
		var err error
		if c.PrivateKeyPassword != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(c.PrivateKey), []byte(c.PrivateKeyPassword))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(c.PrivateKey))
		}
		if err != nil {
			// Never include the key itself in the error.
			return nil, fmt.Errorf("connection.privateKey could not be parsed: %v", errorWithoutSecrets(err))
		}
		auths = append(auths, ssh.PublicKeys(signer))
	}
	if c.Password != "" {
		auths = append(auths, ssh.Password(c.Password))
	}
	if c.AgentSocketPath != "" {
		sock, err := net.Dial("unix", c.AgentSocketPath)
		if err != nil {
			return nil, fmt.Errorf("connection.agentSocketPath %q: %w", c.AgentSocketPath, err)
		}
		auths = append(auths, ssh.PublicKeysCallback(agent.NewClient(sock).Signers))
	}
	if len(auths) == 0 {
		return nil, fmt.Errorf("connection needs one of privateKey, password or agentSocketPath")
	}
	hostKeyCallback := ssh.InsecureIgnoreHostKey() // as upstream: unchecked unless hostKey is given
	if c.HostKey != "" {
		key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(c.HostKey))
		if err != nil {
			return nil, fmt.Errorf("connection.hostKey could not be parsed: %w", err)
		}
		hostKeyCallback = ssh.FixedHostKey(key)
	}
	return &ssh.ClientConfig{
		User:            c.User,
		Auth:            auths,
		HostKeyCallback: hostKeyCallback,
		Timeout:         time.Duration(c.PerDialTimeout) * time.Second,
	}, nil
}

// dial connects with upstream's retry policy: up to dialErrorLimit attempts (-1 = unlimited),
// each bounded by perDialTimeout seconds.
func (c connection) dial() (*ssh.Client, error) {
	cfg, err := c.clientConfig()
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 1; c.DialErrorLimit < 0 || attempt <= c.DialErrorLimit; attempt++ {
		client, err := ssh.Dial("tcp", c.address(), cfg)
		if err == nil {
			return client, nil
		}
		lastErr = err
		if strings.Contains(err.Error(), "unable to authenticate") {
			break // retrying cannot fix bad credentials
		}
		time.Sleep(time.Duration(min(attempt, 5)) * time.Second)
	}
	return nil, fmt.Errorf("could not connect to %s@%s: %w", c.User, c.address(), lastErr)
}

type runResult struct {
	stdout string
	stderr string
}

// run executes a shell command. Environment goes through SSH Setenv first, as upstream does; when
// the server refuses it (no AcceptEnv), the variables are exported at the top of the script,
// which is sent on stdin, never as part of the remote command line.
func run(conn connection, command string, env map[string]string, stdin string, onLine func(stream, line string)) (runResult, error) {
	client, err := conn.dial()
	if err != nil {
		return runResult{}, err
	}
	defer client.Close()
	session, err := client.NewSession()
	if err != nil {
		return runResult{}, fmt.Errorf("opening an SSH session on %s: %w", conn.address(), err)
	}
	defer session.Close()

	setenvFailed := false
	for k, v := range env {
		if err := session.Setenv(k, v); err != nil {
			setenvFailed = true
			break
		}
	}
	remoteCommand := command
	var input io.Reader = strings.NewReader(stdin)
	if setenvFailed {
		var script strings.Builder
		for k, v := range env {
			fmt.Fprintf(&script, "export %s=%s\n", k, shellQuote(v))
		}
		script.WriteString(command)
		script.WriteString("\n")
		if stdin != "" {
			// The script occupies stdin; hand the caller's stdin over through a here-document file.
			return runResult{}, fmt.Errorf("this host refuses SSH environment variables (sshd AcceptEnv) and stdin is also used; pass the environment inside the command instead")
		}
		remoteCommand = "sh -s"
		input = strings.NewReader(script.String())
	}

	var stdout, stderr bytes.Buffer
	session.Stdin = input
	session.Stdout = &lineWriter{buf: &stdout, stream: "stdout", onLine: onLine}
	session.Stderr = &lineWriter{buf: &stderr, stream: "stderr", onLine: onLine}
	runErr := session.Run(remoteCommand)
	res := runResult{stdout: strings.TrimSuffix(stdout.String(), "\n"), stderr: strings.TrimSuffix(stderr.String(), "\n")}
	if runErr != nil {
		return res, fmt.Errorf("%v: running %q on %s:\nstdout: %s\nstderr: %s", runErr, firstLine(command), conn.address(), res.stdout, res.stderr)
	}
	return res, nil
}

// upload writes data to remotePath (creating parent directories) with the given mode, streaming
// it over the session's stdin so no file contents ever appear in a command line.
func upload(client *ssh.Client, remotePath string, data io.Reader, mode os.FileMode) error {
	session, err := client.NewSession()
	if err != nil {
		return err
	}
	defer session.Close()
	session.Stdin = data
	var stderr bytes.Buffer
	session.Stderr = &stderr
	q := shellQuote(remotePath)
	cmd := fmt.Sprintf("mkdir -p \"$(dirname %s)\" && cat > %s.pulumi-tmp && chmod %o %s.pulumi-tmp && mv -f %s.pulumi-tmp %s", q, q, mode.Perm(), q, q, q)
	if err := session.Run(cmd); err != nil {
		return fmt.Errorf("copying to %s: %v: %s", remotePath, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

func errorWithoutSecrets(err error) string {
	msg := err.Error()
	if strings.Contains(msg, "PRIVATE KEY") {
		return "invalid key format"
	}
	return msg
}

// lineWriter buffers a stream and reports each complete line, so long-running installs show
// progress in the engine's output as upstream's `logging` option does.
type lineWriter struct {
	buf     *bytes.Buffer
	partial []byte
	stream  string
	onLine  func(stream, line string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	if w.onLine == nil {
		return len(p), nil
	}
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.onLine(w.stream, string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}
