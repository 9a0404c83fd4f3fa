package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestParseToken(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	cases := []struct {
		in                             string
		hash, user, password, bootstrp string
		err                            string
	}{
		{in: "K10" + hash + "::node:secret", hash: hash, user: "node", password: "secret"},
		{in: "K10" + hash + "::server:pa:ss", hash: hash, user: "server", password: "pa:ss"},
		{in: "justapassword", user: "", password: "justapassword"},
		{in: "abcdef.0123456789abcdef", bootstrp: "abcdef.0123456789abcdef"},
		{in: "K10" + hash + "::abcdef.0123456789abcdef", hash: hash, bootstrp: "abcdef.0123456789abcdef"},
		{in: "K10standintest::server:0123456789abcdef", err: "invalid token CA hash length"},
		{in: "K10" + hash + "::nopassword", err: "invalid token format"},
		{in: "K10" + hash + "::node:", err: "invalid token format"},
		{in: "", err: "token must not be empty"},
	}
	for _, c := range cases {
		tok, err := parseToken(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: want error %q, got %v", c.in, c.err, err)
			}
			if err != nil && strings.Contains(err.Error(), "0123456789abcdef") {
				t.Errorf("%q: the error quotes the token", c.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if tok.caHash != c.hash || tok.username != c.user || tok.password != c.password || tok.bootstrap != c.bootstrp {
			t.Errorf("%q: got %+v", c.in, *tok)
		}
	}
}

func TestHashCA(t *testing.T) {
	ca := newTestCA(t, "root")
	got, err := hashCA(ca.certPEM)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(ca.certPEM)
	if got != hex.EncodeToString(sum[:]) {
		t.Errorf("a single certificate is hashed as its PEM bytes")
	}
	// a bundle: the hash is the root's DER, whatever the bundle's other bytes
	leaf, _, _ := ca.issue(t, "leaf", nil, true, nil, nil)
	got, err = hashCA(append(append([]byte{}, leaf...), ca.certPEM...))
	if err != nil {
		t.Fatal(err)
	}
	sum = sha256.Sum256(ca.cert.Raw)
	if got != hex.EncodeToString(sum[:]) {
		t.Errorf("a bundle is hashed as its root's DER")
	}
	if _, err := hashCA([]byte("not a certificate")); err == nil {
		t.Errorf("garbage has no hash")
	}
}
