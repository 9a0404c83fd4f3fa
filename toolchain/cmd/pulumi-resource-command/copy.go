package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pkg/sftp"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// copySource is what a CopyToRemote may copy: a file or a directory on this machine (a
// FileAsset or FileArchive, archives copied as they are, never unpacked), or a StringAsset's text.
type copySource struct {
	path   string
	text   string
	isText bool
	hash   string
}

func sourceFrom(v resource.PropertyValue) (copySource, error) {
	v = plain(v)
	switch {
	case v.IsAsset():
		a := v.AssetValue()
		if a.IsText() {
			return copySource{text: a.Text, isText: true, hash: a.Hash}, nil
		}
		return copySource{path: a.Path, hash: a.Hash}, nil
	case v.IsArchive():
		a := v.ArchiveValue()
		return copySource{path: a.Path, hash: a.Hash}, nil
	}
	return copySource{}, fmt.Errorf("either asset or archive must be set")
}

// copyToRemote uploads the source over SFTP. Where it lands follows upstream's rule:
//
//	source | remote path is a dir | does not exist (made) | is a file
//	dir    | remote/dir           | remote/dir            | error
//	dir/   | remote/<entries>     | remote/<entries>      | error
//	file   | remote/file          | remote                | remote, overwritten
//
// Parent directories are created; a text goes to a file path only.
func copyToRemote(ctx context.Context, conn connection, src copySource, remotePath string, status func(string)) error {
	client, err := conn.dial(ctx, status)
	if err != nil {
		return err
	}
	defer client.Close()
	sc, err := sftp.NewClient(client, sftp.UseConcurrentWrites(true))
	if err != nil {
		return err
	}
	defer sc.Close()

	dest, err := statRemote(sc, remotePath)
	if err != nil {
		return err
	}
	if src.isText {
		if dest != nil && dest.IsDir() {
			return fmt.Errorf("remote path %s is a directory; when using a text asset, remotePath must be a file path", remotePath)
		}
		if err := sc.MkdirAll(path.Dir(remotePath)); err != nil {
			return fmt.Errorf("failed to create parent directories for %s: %w", remotePath, err)
		}
		return writeRemote(sc, remotePath, strings.NewReader(src.text), "text asset")
	}

	info, err := os.Stat(src.path)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		target := remotePath
		switch {
		case dest != nil && dest.IsDir():
			target = path.Join(remotePath, filepath.Base(src.path))
		case dest == nil:
			if err := sc.MkdirAll(path.Dir(remotePath)); err != nil {
				return fmt.Errorf("failed to create parent directories for %s: %w", remotePath, err)
			}
		}
		return uploadFile(sc, src.path, target)
	}

	if dest == nil {
		if err := sc.MkdirAll(remotePath); err != nil {
			return fmt.Errorf("failed to create remote directory %s: %w", remotePath, err)
		}
	} else if !dest.IsDir() {
		return fmt.Errorf("remote path %s exists but is not a directory", remotePath)
	}
	target := remotePath
	if !strings.HasSuffix(src.path, "/") {
		// `dir` (no trailing slash) is copied as a directory into the remote path.
		target = path.Join(remotePath, filepath.Base(src.path))
		if err := ensureRemoteDir(sc, target); err != nil {
			return err
		}
	}
	return uploadTree(sc, src.path, target)
}

// statRemote returns nil, nil when the remote path does not exist.
func statRemote(sc *sftp.Client, p string) (fs.FileInfo, error) {
	info, err := sc.Stat(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("failed to stat remote path %s: %w", p, err)
	}
	return info, nil
}

func ensureRemoteDir(sc *sftp.Client, p string) error {
	info, err := statRemote(sc, p)
	if err != nil {
		return err
	}
	if info == nil {
		if err := sc.Mkdir(p); err != nil {
			return fmt.Errorf("failed to create remote directory %s: %w", p, err)
		}
		return nil
	}
	if !info.IsDir() {
		return fmt.Errorf("remote path %s exists but is not a directory", p)
	}
	return nil
}

func writeRemote(sc *sftp.Client, remote string, r io.Reader, what string) error {
	f, err := sc.Create(remote)
	if err != nil {
		return fmt.Errorf("failed to create remote file %s: %w", remote, err)
	}
	defer f.Close()
	if _, err := f.ReadFrom(r); err != nil {
		return fmt.Errorf("failed to copy %s to remote path %s: %w", what, remote, err)
	}
	return nil
}

func uploadFile(sc *sftp.Client, local, remote string) error {
	f, err := os.Open(local)
	if err != nil {
		return err
	}
	defer f.Close()
	return writeRemote(sc, remote, f, local)
}

// uploadTree copies a local directory's contents into an existing remote directory, overwriting
// files that exist.
func uploadTree(sc *sftp.Client, local, remote string) error {
	return fs.WalkDir(os.DirFS(local), ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := path.Join(remote, filepath.ToSlash(rel))
		if d.IsDir() {
			return ensureRemoteDir(sc, target)
		}
		return uploadFile(sc, filepath.Join(local, rel), target)
	})
}
