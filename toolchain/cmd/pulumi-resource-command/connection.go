package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/retry"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// connectionDefaults are the schema defaults of `remote.Connection` (and of its `proxy`), filled
// in at check time as upstream does, so state and diffs carry them.
var connectionDefaults = map[resource.PropertyKey]resource.PropertyValue{
	"user":           resource.NewStringProperty("root"),
	"port":           resource.NewNumberProperty(22),
	"dialErrorLimit": resource.NewNumberProperty(10),
	"perDialTimeout": resource.NewNumberProperty(15),
}

// withConnectionDefaults returns the connection object with defaults filled in (also in a
// `proxy`), leaving unknown values alone.
func withConnectionDefaults(conn resource.PropertyMap) resource.PropertyMap {
	out := conn.Copy()
	for k, v := range connectionDefaults {
		if cur, ok := out[k]; !ok || cur.IsNull() {
			out[k] = v
		}
	}
	if px, ok := out["proxy"]; ok {
		secret := px.IsSecret()
		inner := plain(px)
		if inner.IsObject() {
			filled := resource.NewObjectProperty(withConnectionDefaults(inner.ObjectValue()))
			delete(filled.ObjectValue(), "proxy")
			if secret {
				filled = resource.MakeSecret(filled)
			}
			out["proxy"] = filled
		}
	}
	return out
}

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
	Proxy              *connection
}

func parseConnection(c resource.PropertyMap) connection {
	conn := connection{
		Host:               stringProp(c, "host"),
		Port:               intProp(c, "port", 22),
		User:               stringProp(c, "user"),
		Password:           stringProp(c, "password"),
		PrivateKey:         stringProp(c, "privateKey"),
		PrivateKeyPassword: stringProp(c, "privateKeyPassword"),
		AgentSocketPath:    stringProp(c, "agentSocketPath"),
		HostKey:            stringProp(c, "hostKey"),
		DialErrorLimit:     intProp(c, "dialErrorLimit", 10),
		PerDialTimeout:     intProp(c, "perDialTimeout", 15),
	}
	if conn.User == "" {
		conn.User = "root"
	}
	if px, ok := objectProp(c, "proxy"); ok {
		p := parseConnection(px)
		conn.Proxy = &p
	}
	return conn
}

func connectionFrom(props resource.PropertyMap) (connection, error) {
	c, ok := objectProp(props, "connection")
	if !ok {
		return connection{}, fmt.Errorf("connection is required")
	}
	conn := parseConnection(c)
	if conn.Host == "" {
		return connection{}, fmt.Errorf("connection.host is required")
	}
	return conn, nil
}

func (c connection) address() string {
	return net.JoinHostPort(c.Host, fmt.Sprint(c.Port))
}

// clientConfig builds the SSH client settings as upstream does: the private key, then the
// password (also answering keyboard-interactive prompts), then the agent at agentSocketPath or
// $SSH_AUTH_SOCK; a given hostKey is the only key accepted and pins the host-key algorithm to its
// type (otherwise a server whose preferred key is of another type would fail the check).
func (c connection) clientConfig() (*ssh.ClientConfig, error) {
	cfg := &ssh.ClientConfig{
		User:            c.User,
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), // as upstream: unchecked unless hostKey is given
		Timeout:         time.Duration(c.PerDialTimeout) * time.Second,
	}
	if c.HostKey != "" {
		key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(c.HostKey))
		if err != nil {
			return nil, fmt.Errorf("failed to parse host key: %w", err)
		}
		cfg.HostKeyCallback = ssh.FixedHostKey(key)
		cfg.HostKeyAlgorithms = []string{key.Type()}
	}
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
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(signer))
	}
	if c.Password != "" {
		password := c.Password
		cfg.Auth = append(cfg.Auth, ssh.Password(password), ssh.KeyboardInteractive(
			func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = password
				}
				return answers, nil
			}))
	}
	sock := c.AgentSocketPath
	if sock == "" {
		sock = os.Getenv("SSH_AUTH_SOCK")
	}
	if sock != "" {
		conn, err := net.Dial("unix", sock)
		if err != nil {
			return nil, err
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
	}
	return cfg, nil
}

// dialWithRetry tries f until it succeeds or has failed limit+1 times (limit -1: forever), waiting
// 0.1 s, then 1.5 times longer each time, at most 5 s (the SDK's retry defaults, as upstream).
func dialWithRetry[T any](ctx context.Context, what string, limit int, status func(string), f func() (T, error)) (T, error) {
	var result T
	var lastErr error
	ok, _, err := retry.Until(ctx, retry.Acceptor{
		Accept: func(try int, _ time.Duration) (bool, interface{}, error) {
			r, err := f()
			if err == nil {
				result = r
				return true, nil, nil
			}
			lastErr = err
			if limit > -1 && try+1 > limit {
				return true, nil, fmt.Errorf("after %d failed attempts: %w", try, err)
			}
			max := "inf"
			if limit > -1 {
				max = fmt.Sprint(limit)
			}
			status(fmt.Sprintf("%s %d/%s failed: retrying", what, try+1, max))
			return false, nil, nil
		},
	})
	if ok && err == nil {
		return result, nil
	}
	if err == nil {
		err = ctx.Err()
		if err == nil {
			err = lastErr
		}
	}
	var zero T
	return zero, err
}

// dial connects to the host, through `proxy` when given.
func (c connection) dial(ctx context.Context, status func(string)) (*ssh.Client, error) {
	cfg, err := c.clientConfig()
	if err != nil {
		return nil, err
	}
	if c.Proxy == nil {
		return dialWithRetry(ctx, "Dial", c.DialErrorLimit, status, func() (*ssh.Client, error) {
			return ssh.Dial("tcp", c.address(), cfg)
		})
	}
	pcfg, err := c.Proxy.clientConfig()
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	proxy, err := dialWithRetry(ctx, "Dial proxy", c.Proxy.DialErrorLimit, status, func() (*ssh.Client, error) {
		return ssh.Dial("tcp", c.Proxy.address(), pcfg)
	})
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	tunnel, err := dialWithRetry(ctx, "Dial from proxy", c.DialErrorLimit, status, func() (net.Conn, error) {
		return proxy.Dial("tcp", c.address())
	})
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	type handshake struct {
		conn  ssh.Conn
		chans <-chan ssh.NewChannel
		reqs  <-chan *ssh.Request
	}
	h, err := dialWithRetry(ctx, "Dial", c.DialErrorLimit, status, func() (handshake, error) {
		conn, chans, reqs, err := ssh.NewClientConn(tunnel, c.address(), cfg)
		return handshake{conn, chans, reqs}, err
	})
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	return ssh.NewClient(h.conn, h.chans, h.reqs), nil
}

func errorWithoutSecrets(err error) string {
	msg := err.Error()
	if strings.Contains(msg, "PRIVATE KEY") {
		return "invalid key format"
	}
	return msg
}
