// Package fileguard keeps ldexport from clobbering the files a user owns. It
// tells when two paths name one file (after following symbolic links, by
// device and inode for files that exist), replaces state files atomically
// through symbolic links instead of over them, and locks state files with a
// lock file that names its holder.
package fileguard

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/natefinch/atomic"
)

// maxLinks bounds how many symbolic links resolve follows (Linux's own limit).
const maxLinks = 40

// resolve returns the absolute path of the file path names once every
// symbolic link is followed, also when that file does not exist yet: a
// dangling link resolves to the path it points to, and a new file in a
// linked folder to its place in the folder's target.
func resolve(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	for range maxLinks {
		st, err := os.Lstat(abs)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// Not there (yet): resolve its folder, which may itself be a link.
			dir, base := filepath.Split(abs)
			if dir == abs || base == "" {
				return abs, nil
			}
			rdir, err := resolve(filepath.Clean(dir))
			if err != nil {
				return "", err
			}
			return filepath.Join(rdir, base), nil
		case err != nil:
			return "", err
		case st.Mode()&fs.ModeSymlink == 0:
			// It exists and is no link; its folders may still be links.
			return filepath.EvalSymlinks(abs)
		}
		target, err := os.Readlink(abs)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(abs), target)
		}
		abs = filepath.Clean(target)
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

// WriteFile replaces the file at path with data atomically: a temporary file
// in the target's folder, fsync, rename over the target, fsync of the folder.
// When path is a symbolic link the file it points to is replaced and the link
// is kept. An existing file's mode is kept. A failed write leaves the old file whole.
func WriteFile(path string, data []byte) error {
	target, err := resolve(path)
	if err != nil {
		return err
	}
	if err := atomic.WriteFile(target, bytes.NewReader(data)); err != nil {
		return err
	}
	// The rename is durable only once the folder is synced.
	if d, err := os.Open(filepath.Dir(target)); err == nil {
		_ = d.Sync() // not supported everywhere; the data itself is already synced
		_ = d.Close()
	}
	return nil
}

// Named is a path a command was given, with what it is for: "--reject-file",
// "input", "the config store".
type Named struct {
	Role string
	Path string
	// Info, when set, is used instead of the path's own (standard input
	// redirected from a file: Path is "-").
	Info fs.FileInfo
}

func (n Named) String() string {
	if n.Path == "-" {
		return n.Role
	}
	return n.Role + " " + n.Path
}

// SameFileError says two of the paths a command was given name one file.
type SameFileError struct{ A, B Named }

func (e *SameFileError) Error() string {
	return fmt.Sprintf("%s and %s are the same file; ldexport will not write over a file it also reads or writes for something else: give different files", e.A, e.B)
}

// Distinct returns a *SameFileError for the first two paths that name the
// same file where at least one of them is written (in writes); paths only
// read may name one file between them (a file sent twice). Files that exist
// are the same when they have the same device and inode after following
// symbolic links (hard links included); files not there yet, when their
// resolved paths are equal. Devices such as /dev/null are never the same
// file as anything. Empty paths are ignored.
func Distinct(reads, writes []Named) error {
	type key struct {
		n        Named
		write    bool
		resolved string
		info     fs.FileInfo // nil: does not exist
	}
	var keys []key
	for i, n := range append(append([]Named(nil), reads...), writes...) {
		if n.Path == "" {
			continue
		}
		k := key{n: n, write: i >= len(reads), info: n.Info}
		if k.info == nil {
			r, err := resolve(n.Path)
			if err != nil {
				if r, err = filepath.Abs(n.Path); err != nil {
					r = n.Path
				}
			}
			k.resolved = r
			if st, err := os.Stat(r); err == nil {
				k.info = st
			}
		}
		if k.info != nil && k.info.Mode()&(fs.ModeDevice|fs.ModeCharDevice) != 0 {
			continue
		}
		for _, o := range keys {
			if !k.write && !o.write {
				continue
			}
			same := false
			switch {
			case k.info != nil && o.info != nil:
				same = os.SameFile(k.info, o.info)
			case k.info == nil && o.info == nil:
				same = k.resolved == o.resolved
			}
			if same {
				return &SameFileError{A: o.n, B: n}
			}
		}
		keys = append(keys, k)
	}
	return nil
}
