package agent

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// The CNI plugins, laid out as k3s's self-extracting wrapper does (cmd/k3s/main.go extract):
// <data-dir>/data/<hash>/bin/, data/current -> it (the old one becomes data/previous), and for
// releases with k3s PR #10868 a stable data/cni/ with a symlink per plugin. k3s links its
// multi-call `cni` binary under every plugin name; the stand-in has Debian's separate
// plugin binaries (cni-plugins.tar, embedded at build time), so each link points at its own
// binary. Plugins a user put in data/cni as regular files are left alone (k3s PR #11125).

// extractCNI unpacks the plugins once per tarball content and returns the bin directory.
func extractCNI(dataDir string, tarball []byte, rel release) (string, error) {
	if len(tarball) == 0 {
		return "", errors.New("no CNI plugins are embedded in this build (agent/cni-plugins.tar)")
	}
	sum := sha256.Sum256(tarball)
	dataRoot := filepath.Join(dataDir, "data")
	dir := filepath.Join(dataRoot, hex.EncodeToString(sum[:]))
	binDir := filepath.Join(dir, "bin")
	if _, err := os.Stat(binDir); err == nil {
		return binDir, ensureCNILinks(dataRoot, dir, binDir, rel)
	}
	if err := os.MkdirAll(dataRoot, 0o755); err != nil {
		return "", err
	}
	lockFile := filepath.Join(dataRoot, ".lock")
	infof("Acquiring lock file %s", lockFile)
	lock, err := os.OpenFile(lockFile, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	if _, err := os.Stat(dir); err == nil {
		return binDir, ensureCNILinks(dataRoot, dir, binDir, rel)
	}
	infof("Preparing data dir %s", dir)
	tempDest := dir + "-tmp"
	os.RemoveAll(tempDest)
	defer os.RemoveAll(tempDest)
	if err := untarFlat(bytes.NewReader(tarball), filepath.Join(tempDest, "bin")); err != nil {
		return "", err
	}
	if err := os.Rename(tempDest, dir); err != nil {
		return "", err
	}
	if rel.stableCNIDir() {
		if err := linkStableCNIDir(dataRoot, binDir); err != nil {
			return "", err
		}
	}
	current := filepath.Join(dataRoot, "current")
	previous := filepath.Join(dataRoot, "previous")
	if _, err := os.Lstat(current); err == nil {
		if err := os.Rename(current, previous); err != nil {
			return "", err
		}
	}
	return binDir, os.Symlink(dir, current)
}

// ensureCNILinks repairs data/current and data/cni when the directory was already extracted.
func ensureCNILinks(dataRoot, dir, binDir string, rel release) error {
	current := filepath.Join(dataRoot, "current")
	if target, err := os.Readlink(current); err != nil || target != dir {
		if err == nil {
			os.Remove(filepath.Join(dataRoot, "previous"))
			if err := os.Rename(current, filepath.Join(dataRoot, "previous")); err != nil {
				return err
			}
		}
		if err := os.Symlink(dir, current); err != nil {
			return err
		}
	}
	if rel.stableCNIDir() {
		return linkStableCNIDir(dataRoot, binDir)
	}
	return nil
}

// linkStableCNIDir creates data/cni/<plugin> -> data/<hash>/bin/<plugin>.
func linkStableCNIDir(dataRoot, binDir string) error {
	cniPath := filepath.Join(dataRoot, "cni")
	if err := os.MkdirAll(cniPath, 0o755); err != nil {
		return err
	}
	ents, err := os.ReadDir(binDir)
	if err != nil {
		return err
	}
	for _, ent := range ents {
		if !ent.Type().IsRegular() {
			continue
		}
		src := filepath.Join(cniPath, ent.Name())
		if info, err := os.Lstat(src); err == nil {
			if info.Mode()&fs.ModeSymlink == 0 {
				continue // a user's own plugin binary: not replaced
			}
			os.Remove(src)
		}
		if err := os.Symlink(filepath.Join(binDir, ent.Name()), src); err != nil {
			return err
		}
	}
	return nil
}

// untarFlat extracts the regular files of a flat tar (no directories) into dest, 0755.
func untarFlat(r io.Reader, dest string) error {
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	tr := tar.NewReader(r)
	n := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := filepath.Base(h.Name)
		if name != strings.TrimPrefix(h.Name, "./") || name == "." || name == ".." {
			return fmt.Errorf("unexpected path %q in the CNI plugins tarball (a flat tar is expected)", h.Name)
		}
		f, err := os.OpenFile(filepath.Join(dest, name), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, tr); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return errors.New("the CNI plugins tarball holds no files")
	}
	return nil
}

// cniBinDir is where containerd should look for the plugins: data/cni where the release has
// it, else data/current/bin (what the product's install step configures).
func cniBinDir(dataDir string, rel release) string {
	if rel.stableCNIDir() {
		return filepath.Join(dataDir, "data", "cni")
	}
	return filepath.Join(dataDir, "data", "current", "bin")
}
