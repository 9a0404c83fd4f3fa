package agent

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
)

// Log lines in logrus's text format, the way k3s writes them to its journal:
// time="2024-12-18T10:00:00Z" level=info msg="...". Never pass a secret (token, node password,
// key) to these: they go to the journal.
type logger struct {
	mu sync.Mutex
	w  io.Writer
}

var logOut = &logger{w: os.Stderr}

func (l *logger) line(level, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "time=\"%s\" level=%s msg=%s\n", time.Now().UTC().Format(time.RFC3339), level, strconv.Quote(msg))
}

func infof(format string, a ...any)  { logOut.line("info", format, a...) }
func warnf(format string, a ...any)  { logOut.line("warning", format, a...) }
func errorf(format string, a ...any) { logOut.line("error", format, a...) }

// fatalError ends the command with exit code 1 after a level=fatal line, as logrus.Fatal does in
// k3s; Main is the only place that turns it into the exit code.
type fatalError struct{ msg string }

func (e *fatalError) Error() string { return e.msg }

func fatalf(format string, a ...any) error { return &fatalError{fmt.Sprintf(format, a...)} }

// usageError is urfave/cli's "Incorrect Usage" answer to a bad command line (exit code 1).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// exitCode prints err the way k3s would and returns the process exit code for it.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if u, ok := err.(*usageError); ok {
		logOut.mu.Lock()
		fmt.Fprintf(logOut.w, "Incorrect Usage: %s\n\nNAME:\n   k3s agent - Run node agent\n\n(k3s stand-in for K3s-DaaS test hosts)\n", u.msg)
		logOut.mu.Unlock()
		return 1
	}
	logOut.line("fatal", "%s", err.Error())
	return 1
}
