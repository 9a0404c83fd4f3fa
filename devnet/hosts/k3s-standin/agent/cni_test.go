package agent

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func testTar(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for name, content := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(content)), Typeflag: tar.TypeReg})
		tw.Write([]byte(content))
	}
	tw.Close()
	return b.Bytes()
}

func TestExtractCNILaysOutDataLikeK3s(t *testing.T) {
	captureLog(t)
	dataDir := t.TempDir()
	v1 := testTar(t, map[string]string{"bridge": "#!bridge v1", "host-local": "#!host-local", "portmap": "#!portmap"})
	rel, _ := parseRelease("v1.31.4+k3s1")
	bin, err := extractCNI(dataDir, v1, rel)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(bin, "bridge")); string(b) != "#!bridge v1" {
		t.Errorf("bridge: %q", b)
	}
	if fi, _ := os.Stat(filepath.Join(bin, "bridge")); fi.Mode().Perm() != 0o755 {
		t.Errorf("bridge mode %o", fi.Mode().Perm())
	}
	if target, _ := os.Readlink(filepath.Join(dataDir, "data", "current")); target != filepath.Dir(bin) {
		t.Errorf("data/current -> %s, want %s", target, filepath.Dir(bin))
	}
	if target, _ := os.Readlink(filepath.Join(dataDir, "data", "cni", "host-local")); target != filepath.Join(bin, "host-local") {
		t.Errorf("data/cni/host-local -> %s", target)
	}
	// a plugin the user put in data/cni is left alone; an upgrade relinks the others and
	// moves current to previous
	mine := filepath.Join(dataDir, "data", "cni", "portmap")
	os.Remove(mine)
	os.WriteFile(mine, []byte("mine"), 0o755)
	v2 := testTar(t, map[string]string{"bridge": "#!bridge v2", "host-local": "#!host-local", "portmap": "#!portmap"})
	bin2, err := extractCNI(dataDir, v2, rel)
	if err != nil {
		t.Fatal(err)
	}
	if bin2 == bin {
		t.Fatal("new content, same directory")
	}
	if b, _ := os.ReadFile(filepath.Join(dataDir, "data", "cni", "bridge")); string(b) != "#!bridge v2" {
		t.Errorf("data/cni/bridge after the upgrade: %q", b)
	}
	if b, _ := os.ReadFile(mine); string(b) != "mine" {
		t.Errorf("the user's plugin was replaced")
	}
	if target, _ := os.Readlink(filepath.Join(dataDir, "data", "previous")); target != filepath.Dir(bin) {
		t.Errorf("data/previous -> %s", target)
	}
	// same content again: nothing to do
	if again, err := extractCNI(dataDir, v2, rel); err != nil || again != bin2 {
		t.Errorf("re-extract: %s %v", again, err)
	}
}

func TestExtractCNIWithoutStableDirBeforeTheBackport(t *testing.T) {
	captureLog(t)
	dataDir := t.TempDir()
	rel, _ := parseRelease("v1.31.1+k3s1")
	if _, err := extractCNI(dataDir, testTar(t, map[string]string{"bridge": "x"}), rel); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "data", "cni")); !os.IsNotExist(err) {
		t.Errorf("v1.31.1 has no data/cni")
	}
	if cniBinDir("/d", rel) != "/d/data/current/bin" {
		t.Errorf("bin dir %s", cniBinDir("/d", rel))
	}
}

func TestReleasesWithTheStableCNIDir(t *testing.T) {
	for v, want := range map[string]bool{"v1.31.4+k3s1": true, "v1.32.1+k3s1": true, "v1.31.1+k3s1": false,
		"v1.30.6+k3s1": true, "v1.30.5+k3s1": false, "v1.29.10+k3s1": true, "v1.27.16+k3s1": false} {
		r, _ := parseRelease(v)
		if r.stableCNIDir() != want {
			t.Errorf("%s: stable CNI dir %v", v, !want)
		}
	}
}

func TestExtractCNIRejectsPathsAndEmptyBuilds(t *testing.T) {
	captureLog(t)
	rel, _ := parseRelease("v1.32.1+k3s1")
	if _, err := extractCNI(t.TempDir(), testTar(t, map[string]string{"../evil": "x"}), rel); err == nil {
		t.Errorf("a path escaping the bin dir was extracted")
	}
	if _, err := extractCNI(t.TempDir(), nil, rel); err == nil {
		t.Errorf("no tarball, no error")
	}
}

func TestTheEmbeddedPluginsAreDebians(t *testing.T) {
	if len(cniPluginsTar) == 0 {
		t.Skip("agent/cni-plugins.tar is empty in this build")
	}
	captureLog(t)
	rel, _ := parseRelease(Version)
	bin, err := extractCNI(t.TempDir(), cniPluginsTar, rel)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"bridge", "host-local", "loopback", "portmap", "bandwidth"} {
		if fi, err := os.Stat(filepath.Join(bin, p)); err != nil || fi.Size() < 100000 {
			t.Errorf("plugin %s: %v", p, err)
		}
	}
}

func TestBridgeConflist(t *testing.T) {
	dir := t.TempDir()
	if err := writeConflist(dir, "10.42.3.0/24"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "10-k3s-daas-bridge.conflist"))
	var c struct {
		Name, CniVersion string
		Plugins          []map[string]any
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if c.CniVersion != "1.0.0" || len(c.Plugins) != 3 || c.Plugins[0]["type"] != "bridge" || c.Plugins[1]["type"] != "portmap" {
		t.Fatalf("conflist %s", b)
	}
	br := c.Plugins[0]
	ipam := br["ipam"].(map[string]any)
	if br["bridge"] != "cni0" || br["isGateway"] != true || br["ipMasq"] != false || ipam["type"] != "host-local" {
		t.Errorf("bridge %v", br)
	}
	ranges := ipam["ranges"].([]any)[0].([]any)[0].(map[string]any)
	routes := ipam["routes"].([]any)[0].(map[string]any)
	if ranges["subnet"] != "10.42.3.0/24" || routes["dst"] != "0.0.0.0/0" {
		t.Errorf("ipam %v", ipam)
	}
	if err := writeConflist(dir, "nonsense"); err == nil {
		t.Errorf("a bad podCIDR was written")
	}
}
