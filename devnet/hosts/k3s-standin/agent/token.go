package agent

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"regexp"
	"strings"
)

// Join tokens as k3s parses them (pkg/clientaccess/token.go, parseToken and hashCA):
//   K10<sha256 hex of the server CA>::<user>:<password>   full token, CA pinned
//   K10<sha256 hex>::<id>.<secret>                        kubeadm-style bootstrap token (Bearer)
//   <password> or <id>.<secret>                           bare: no CA pinning (k3s warns)
// None of the errors below quotes the token.

const (
	tokenPrefix  = "K10"
	caHashLength = sha256.Size * 2
)

// kubeadm's bootstrap token format (k3s's pkg/kubeadm, NewBootstrapTokenString).
var bootstrapTokenRE = regexp.MustCompile(`^([a-z0-9]{6})\.([a-z0-9]{16})$`)

type joinToken struct {
	caHash    string // "" when the token pins no CA
	username  string
	password  string
	bootstrap string // id.secret, sent as a Bearer token instead of Basic auth
}

func parseToken(token string) (*joinToken, error) {
	var info joinToken
	if len(token) == 0 {
		return nil, errors.New("token must not be empty")
	}
	// Turn a bare password or bootstrap token into a full K10 token with an empty CA hash.
	if !strings.HasPrefix(token, tokenPrefix) {
		if bootstrapTokenRE.MatchString(token) {
			token = tokenPrefix + "::" + token
		} else {
			token = tokenPrefix + ":::" + token
		}
	}
	token = token[len(tokenPrefix):]
	parts := strings.SplitN(token, "::", 2)
	token = parts[0]
	if len(parts) > 1 {
		hashLen := len(parts[0])
		if hashLen > 0 && hashLen != caHashLength {
			return nil, errors.New("invalid token CA hash length")
		}
		info.caHash = parts[0]
		token = parts[1]
	}
	if bootstrapTokenRE.MatchString(token) {
		info.bootstrap = token
		return &info, nil
	}
	parts = strings.SplitN(token, ":", 2)
	if len(parts) != 2 || len(parts[1]) == 0 {
		return nil, errors.New("invalid token format")
	}
	info.username = parts[0]
	info.password = parts[1]
	return &info, nil
}

// hashCA is the hex SHA-256 of a CA bundle: of the literal bytes for a single certificate (the
// usual self-signed cluster CA), or of the DER of the root when the bundle holds a chain.
func hashCA(b []byte) (string, error) {
	certs, err := parseCertsPEM(b)
	if err != nil {
		return "", err
	}
	if len(certs) > 1 {
		roots := x509.NewCertPool()
		intermediates := x509.NewCertPool()
		for i, cert := range certs {
			if i > 0 {
				if len(cert.AuthorityKeyId) == 0 || bytes.Equal(cert.AuthorityKeyId, cert.SubjectKeyId) {
					roots.AddCert(cert)
				} else {
					intermediates.AddCert(cert)
				}
			}
		}
		if chains, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: intermediates}); err == nil {
			chain := chains[0]
			b = chain[len(chain)-1].Raw
		}
	}
	digest := sha256.Sum256(b)
	return hex.EncodeToString(digest[:]), nil
}

// parseCertsPEM returns the certificates of a PEM bundle (dynamiclistener's cert.ParseCertsPEM).
func parseCertsPEM(b []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" || len(block.Headers) != 0 {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return certs, err
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, errors.New("data does not contain any valid RSA or ECDSA certificates")
	}
	return certs, nil
}
