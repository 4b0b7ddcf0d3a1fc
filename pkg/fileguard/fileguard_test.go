package fileguard

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestResolve(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "real"), "x")
	symlink(t, "real", filepath.Join(dir, "link"))
	symlink(t, "link", filepath.Join(dir, "link2"))
	symlink(t, "missing/new.yaml", filepath.Join(dir, "dangling"))
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o700); err != nil {
		t.Fatal(err)
	}
	symlink(t, "d", filepath.Join(dir, "dlink"))
	symlink(t, "loop", filepath.Join(dir, "loop"))
	tests := []struct{ path, want string }{
		{"real", "real"},
		{"link", "real"},
		{"link2", "real"},
		{"dangling", "missing/new.yaml"},
		{"dlink/new", "d/new"},
		{"new", "new"},
	}
	for _, tt := range tests {
		got, err := resolve(filepath.Join(dir, tt.path))
		if err != nil || got != filepath.Join(dir, tt.want) {
			t.Errorf("resolve(%s) = %q, %v; want %q", tt.path, got, err, filepath.Join(dir, tt.want))
		}
	}
	if _, err := resolve(filepath.Join(dir, "loop")); err == nil || !strings.Contains(err.Error(), "too many levels") {
		t.Errorf("resolve(loop) = %v, want too many levels", err)
	}
}

func TestDistinct(t *testing.T) {
	dir := t.TempDir()
	in, other := filepath.Join(dir, "in.ndjson"), filepath.Join(dir, "other.ndjson")
	write(t, in, "{}\n")
	write(t, other, "{}\n")
	symlink(t, in, filepath.Join(dir, "in-link"))
	if err := os.Link(in, filepath.Join(dir, "in-hard")); err != nil {
		t.Fatal(err)
	}
	symlink(t, "new.ndjson", filepath.Join(dir, "new-link"))
	stdinInfo, err := os.Stat(in)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(mustGetwd(t), in)
	if err != nil {
		t.Fatal(err)
	}
	input := Named{"input", in, nil}
	tests := []struct {
		name   string
		reads  []Named
		writes []Named
		same   string // "" when distinct
	}{
		{"different files", []Named{input}, []Named{{"--reject-file", other, nil}}, ""},
		{"same path", []Named{input}, []Named{{"--reject-file", in, nil}}, "input " + in + " and --reject-file " + in},
		{"relative and absolute", []Named{{"input", rel, nil}}, []Named{{"--reject-file", in, nil}}, "input " + rel},
		{"symlink", []Named{input}, []Named{{"--checkpoint", filepath.Join(dir, "in-link"), nil}}, "--checkpoint"},
		{"hard link", []Named{input}, []Named{{"--reject-file", filepath.Join(dir, "in-hard"), nil}}, "--reject-file"},
		{"both new", nil, []Named{{"--reject-file", filepath.Join(dir, "new.ndjson"), nil}, {"--checkpoint", filepath.Join(dir, ".", "new.ndjson"), nil}}, "--checkpoint"},
		{"dangling link to a new file", nil, []Named{{"--reject-file", filepath.Join(dir, "new.ndjson"), nil}, {"--checkpoint", filepath.Join(dir, "new-link"), nil}}, "--checkpoint"},
		{"redirected standard input", []Named{{"standard input", "-", stdinInfo}}, []Named{{"--reject-file", in, nil}}, "standard input and --reject-file"},
		{"devices", []Named{{"input", os.DevNull, nil}}, []Named{{"--reject-file", os.DevNull, nil}}, ""},
		{"empty ignored", []Named{input}, []Named{{"--checkpoint", "", nil}}, ""},
		{"an input read twice", []Named{input, {"input", filepath.Join(dir, "in-link"), nil}}, []Named{{"--reject-file", other, nil}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Distinct(tt.reads, tt.writes)
			if tt.same == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var se *SameFileError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.same) || !strings.Contains(err.Error(), "are the same file") {
				t.Fatalf("err = %v, want a SameFileError naming %q", err, tt.same)
			}
		})
	}
}

func mustGetwd(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// TestWriteFileThroughSymlink: the link stays a link, its target gets the
// data, and the target's mode is kept; a dangling link gets its target created.
func TestWriteFileThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target, link := filepath.Join(dir, "real.yaml"), filepath.Join(dir, "link.yaml")
	write(t, target, "old")
	if err := os.Chmod(target, 0o640); err != nil {
		t.Fatal(err)
	}
	symlink(t, target, link)
	if err := WriteFile(link, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("link replaced: %v %v", st.Mode(), err)
	}
	if got, _ := os.ReadFile(target); string(got) != "new" {
		t.Fatalf("target holds %q", got)
	}
	if st, _ := os.Stat(target); st.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v", st.Mode())
	}
	dangling := filepath.Join(dir, "dangling")
	symlink(t, "created.json", dangling)
	if err := WriteFile(dangling, []byte("c")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "created.json")); string(got) != "c" {
		t.Fatalf("dangling link's target holds %q", got)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 4 {
		t.Fatalf("files left behind: %v", ents)
	}
}

// TestTryLockNamesHolder: a second lock on the same file, also through a
// symbolic link, fails at once naming this process; after Unlock it succeeds.
func TestTryLockNamesHolder(t *testing.T) {
	dir := t.TempDir()
	ck := filepath.Join(dir, "ck.json")
	symlink(t, ck, filepath.Join(dir, "ck-link.json"))
	l, err := TryLock(ck)
	if err != nil {
		t.Fatal(err)
	}
	if l.Path() != ck+".lock" {
		t.Fatalf("lock file %s", l.Path())
	}
	for _, p := range []string{ck, filepath.Join(dir, "ck-link.json")} {
		_, err := TryLock(p)
		var le *LockedError
		if !errors.As(err, &le) || le.Holder == nil || le.Holder.PID != os.Getpid() || time.Since(le.Holder.Since) > time.Minute {
			t.Fatalf("TryLock(%s) = %v, want a LockedError naming pid %d", p, err, os.Getpid())
		}
		if !strings.Contains(err.Error(), "locked by another process: pid ") {
			t.Fatalf("message %q", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := LockContext(ctx, ck, 10*time.Millisecond); !errors.As(err, new(*LockedError)) {
		t.Fatalf("LockContext while held = %v", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	l2, err := TryLock(filepath.Join(dir, "ck-link.json"))
	if err != nil {
		t.Fatalf("after Unlock: %v", err)
	}
	_ = l2.Unlock()
	if data, _ := os.ReadFile(ck + ".lock"); len(data) != 0 {
		t.Fatalf("released lock file still names a holder: %q", data)
	}
}

// TestLockLeavesForeignFileAlone: a file at PATH.lock that is not a lock file
// (the user's own) is locked but never written.
func TestLockLeavesForeignFileAlone(t *testing.T) {
	dir := t.TempDir()
	ck := filepath.Join(dir, "ck.json")
	write(t, ck+".lock", "my notes\n")
	l, err := TryLock(ck)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TryLock(ck); !errors.As(err, new(*LockedError)) {
		t.Fatalf("second lock: %v", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(ck + ".lock"); string(got) != "my notes\n" {
		t.Fatalf("the file was written: %q", got)
	}
}
