package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
)

// logger receives the provider's messages: passing status lines (output, dial retries) and
// lasting warnings and errors (refused environment variables).
type logger struct {
	status  func(line string)
	warning func(msg string)
	error   func(msg string)
}

type runRequest struct {
	command     string
	environment map[string]string
	envKeys     []string
	stdin       string
	// Output of the previous create/update, passed as PULUMI_COMMAND_STDOUT/STDERR when asked.
	addPrevious            bool
	prevStdout, prevStderr string
	logStdout, logStderr   bool
}

type runResult struct {
	stdout string
	stderr string
}

func setenvRefused(key string) string {
	return fmt.Sprintf(`Unable to set '%s'. This only works if your SSH server is configured to accept
	these variables via AcceptEnv. Alternatively, if a Bash-like shell runs the command on the remote host, you could
	prefix the command itself with the variables in the form 'VAR=value command'`, key)
}

// run executes a command in one SSH session, as upstream does: `environment` through SSH Setenv
// (a refusal is an error), the previous output as PULUMI_COMMAND_STDOUT/STDERR only when
// non-empty (a refusal is a warning), stdin only when non-empty, the command given to the
// user's login shell, its output streamed as status lines.
func run(ctx context.Context, conn connection, req runRequest, log logger) (runResult, error) {
	client, err := conn.dial(ctx, log.status)
	if err != nil {
		return runResult{}, err
	}
	defer client.Close()
	session, err := client.NewSession()
	if err != nil {
		return runResult{}, err
	}
	defer session.Close()

	for _, k := range req.envKeys {
		if err := session.Setenv(k, req.environment[k]); err != nil {
			log.error(setenvRefused(k))
			return runResult{}, fmt.Errorf("could not set environment variable %q: %w", k, err)
		}
	}
	if req.addPrevious {
		for _, kv := range [][2]string{{"PULUMI_COMMAND_STDOUT", req.prevStdout}, {"PULUMI_COMMAND_STDERR", req.prevStderr}} {
			if kv[1] == "" {
				continue
			}
			if err := session.Setenv(kv[0], kv[1]); err != nil {
				log.warning(setenvRefused(kv[0]))
			}
		}
	}
	if req.stdin != "" {
		session.Stdin = strings.NewReader(req.stdin)
	}

	var stdout, stderr, combined bytes.Buffer
	lines := &lineLogger{emit: log.status}
	session.Stdout = &tee{bufs: []*bytes.Buffer{&stdout, &combined}, lines: lines, log: req.logStdout}
	session.Stderr = &tee{bufs: []*bytes.Buffer{&stderr, &combined}, lines: lines, log: req.logStderr}
	runErr := session.Run(req.command)
	lines.flush()
	if runErr != nil {
		return runResult{}, fmt.Errorf("%w: running %q:\n%s", runErr, req.command, combined.String())
	}
	return runResult{stdout: strings.TrimSuffix(stdout.String(), "\n"), stderr: strings.TrimSuffix(stderr.String(), "\n")}, nil
}

// tee keeps a stream's bytes and, when logging is on for it, passes them to the shared line logger.
type tee struct {
	bufs  []*bytes.Buffer
	lines *lineLogger
	log   bool
}

func (t *tee) Write(p []byte) (int, error) {
	t.lines.mu.Lock()
	for _, b := range t.bufs {
		b.Write(p)
	}
	t.lines.mu.Unlock()
	if t.log {
		t.lines.write(p)
	}
	return len(p), nil
}

// lineLogger reports each complete line of the interleaved stdout/stderr once.
type lineLogger struct {
	mu      sync.Mutex
	partial []byte
	emit    func(string)
}

func (l *lineLogger) write(p []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			return
		}
		l.emit(string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
}

func (l *lineLogger) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) > 0 {
		l.emit(string(l.partial))
		l.partial = nil
	}
}
