package store

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/fileguard"
)

func dest(name, env string) Destination {
	return Destination{
		Name: name, Project: "default", Environment: env, Region: "us-east-1",
		StreamName: "ld-events", StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/ld-events",
		RoleARN: "arn:aws:iam::123456789012:role/ld-export", AccountID: "123456789012",
		CreatedAt: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC),
	}
}

func tempStore(t *testing.T) *Store {
	t.Helper()
	return New(filepath.Join(t.TempDir(), "ldexport", "config.yaml"))
}

func TestAddGetListDelete(t *testing.T) {
	s := tempStore(t)
	if ds, err := s.List(); err != nil || len(ds) != 0 {
		t.Fatalf("empty store: %v %v", ds, err)
	}
	for _, d := range []Destination{dest("staging", "staging"), dest("prod", "production")} {
		if err := s.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Get("prod")
	if err != nil || got != dest("prod", "production") {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	ds, _ := s.List()
	if len(ds) != 2 || ds[0].Name != "prod" || ds[1].Name != "staging" {
		t.Fatalf("List not sorted by name: %+v", ds)
	}
	if err := s.Delete("prod"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("prod"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after delete: %v", err)
	}
	if err := s.Delete("prod"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete twice: %v", err)
	}
}

func TestAddRejectsDuplicateNameAndEnvironment(t *testing.T) {
	s := tempStore(t)
	if err := s.Add(dest("prod", "production")); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(dest("prod", "other")); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate name: %v", err)
	}
	if err := s.Add(dest("prod2", "production")); !errors.Is(err, ErrEnvTaken) {
		t.Errorf("second destination for the environment: %v", err)
	}
	other := dest("other-project", "production")
	other.Project = "mobile"
	if err := s.Add(other); err != nil {
		t.Errorf("same environment key in another project: %v", err)
	}
}

func TestReplace(t *testing.T) {
	s := tempStore(t)
	d := dest("prod", "production")
	if err := s.Add(d); err != nil {
		t.Fatal(err)
	}
	d.RoleARN = "arn:aws:iam::123456789012:role/new"
	if err := s.Replace(d); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get("prod"); got.RoleARN != d.RoleARN {
		t.Errorf("role after Replace = %s", got.RoleARN)
	}
	if err := s.Replace(dest("nope", "x")); !errors.Is(err, ErrNotFound) {
		t.Errorf("Replace unknown: %v", err)
	}
}

func TestFileAndFolderModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX modes")
	}
	s := tempStore(t)
	if err := s.Add(dest("prod", "production")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("store mode = %o, want 600", fi.Mode().Perm())
	}
	di, _ := os.Stat(filepath.Dir(s.Path()))
	if di.Mode().Perm() != 0o700 {
		t.Errorf("folder mode = %o, want 700", di.Mode().Perm())
	}
	// A store a user made readable by others is narrowed on the next write.
	if err := os.Chmod(s.Path(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(dest("staging", "staging")); err != nil {
		t.Fatal(err)
	}
	fi, _ = os.Stat(s.Path())
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after rewrite = %o, want 600", fi.Mode().Perm())
	}
}

func TestCorruptStoreIsReportedAndNeverOverwritten(t *testing.T) {
	cases := map[string]string{
		"not yaml":         "destinations: [unclosed\n",
		"unknown field":    "version: 1\ndestinations:\n  - name: a\n    colour: blue\n",
		"no version":       "destinations: []\n",
		"newer version":    "version: 99\ndestinations: []\n",
		"wrong field type": "version: 1\ndestinations: {a: b}\n",
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			s := tempStore(t)
			if err := os.MkdirAll(filepath.Dir(s.Path()), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(s.Path(), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := s.List()
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), s.Path()) {
				t.Fatalf("List: %v, want a ParseError naming the file", err)
			}
			if err := s.Add(dest("prod", "production")); !errors.As(err, &pe) {
				t.Fatalf("Add on a corrupt store: %v, want ParseError", err)
			}
			after, _ := os.ReadFile(s.Path())
			if string(after) != content {
				t.Errorf("corrupt store was overwritten:\n%s", after)
			}
		})
	}
}

func TestEmptyFileIsEmptyStore(t *testing.T) {
	s := tempStore(t)
	_ = os.MkdirAll(filepath.Dir(s.Path()), 0o700)
	if err := os.WriteFile(s.Path(), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(dest("prod", "production")); err != nil {
		t.Fatal(err)
	}
	if ds, _ := s.List(); len(ds) != 1 {
		t.Errorf("got %d destinations", len(ds))
	}
}

func TestValidateName(t *testing.T) {
	for name, ok := range map[string]bool{
		"prod": true, "a": true, "Prod_1.eu-west": true, strings.Repeat("a", 64): true,
		"": false, "-prod": false, "_x": false, "has space": false, "a/b": false, strings.Repeat("a", 65): false, "ünïcode": false,
	} {
		if err := ValidateName(name); (err == nil) != ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

// TestConcurrentWriterProcesses starts 8 processes that each add one
// destination to the same store at once; the file lock must let all 8 land.
func TestConcurrentWriterProcesses(t *testing.T) {
	if path := os.Getenv("LDEXPORT_TEST_STORE_WRITER"); path != "" {
		t.Skip("helper process")
	}
	s := tempStore(t)
	const writers = 8
	cmds := make([]*exec.Cmd, writers)
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0], "-test.run=^TestWriterProcess$")
		cmds[i].Env = append(os.Environ(), "LDEXPORT_TEST_STORE_WRITER="+s.Path(), fmt.Sprintf("LDEXPORT_TEST_STORE_WRITER_ID=%d", i))
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	ds, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != writers {
		t.Fatalf("found %d destinations, want %d: %+v", len(ds), writers, ds)
	}
	seen := map[string]bool{}
	for _, d := range ds {
		seen[d.Name] = true
	}
	for i := 0; i < writers; i++ {
		if !seen[fmt.Sprintf("w%d", i)] {
			t.Errorf("writer %d's destination is missing", i)
		}
	}
}

// TestWriterProcess is the body of one writer of TestConcurrentWriterProcesses.
func TestWriterProcess(t *testing.T) {
	path := os.Getenv("LDEXPORT_TEST_STORE_WRITER")
	if path == "" {
		t.Skip("run by TestConcurrentWriterProcesses")
	}
	id := os.Getenv("LDEXPORT_TEST_STORE_WRITER_ID")
	if err := New(path).Add(dest("w"+id, "env"+id)); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentGoroutines(t *testing.T) {
	s := tempStore(t)
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func(i int) {
			errs <- New(s.Path()).Add(dest(fmt.Sprintf("g%d", i), fmt.Sprintf("e%d", i)))
		}(i)
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if ds, _ := s.List(); len(ds) != 8 {
		t.Errorf("found %d destinations, want 8", len(ds))
	}
}

// FuzzLoad feeds arbitrary bytes to the store parser: it must never panic,
// must reject with a ParseError naming the file, and whatever it accepts must
// encode and parse back to the same destinations (what Update writes).
func FuzzLoad(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		s := New("fuzz/config.yaml")
		before, err := s.parse(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), "fuzz/config.yaml") {
				t.Fatalf("rejection is not a ParseError naming the file: %v", err)
			}
			return
		}
		out, err := encode(&File{Version: before.Version, Destinations: before.Destinations})
		if err != nil {
			t.Fatalf("encoding an accepted store: %v", err)
		}
		after, err := s.parse(out)
		if err != nil {
			t.Fatalf("re-reading an encoded store: %v\n%s", err, out)
		}
		if len(after.Destinations) != len(before.Destinations) {
			t.Fatalf("round trip changed the count: %d -> %d", len(before.Destinations), len(after.Destinations))
		}
		for i, b := range before.Destinations {
			a := after.Destinations[i]
			if !a.CreatedAt.Equal(b.CreatedAt) {
				t.Fatalf("createdAt changed: %v -> %v", b.CreatedAt, a.CreatedAt)
			}
			a.CreatedAt, b.CreatedAt = time.Time{}, time.Time{}
			if a != b {
				t.Fatalf("destination changed on round trip:\n%+v\n%+v", b, a)
			}
		}
	})
}

// TestHostileSymlinkedStore: a config file that is a symbolic link (as
// dotfile managers make) is written through to its target, the link stays,
// and writers through the link and through the target share one lock, so
// concurrent writers on both paths all land.
func TestHostileSymlinkedStore(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "dotfiles", "ldexport.yaml")
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "config", "ldexport", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(link), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	// The link dangles: the first write creates its target.
	if err := New(link).Add(dest("first", "first")); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for i := range 8 {
		p := link
		if i%2 == 1 {
			p = target
		}
		go func() { errs <- New(p).Add(dest(fmt.Sprintf("g%d", i), fmt.Sprintf("e%d", i))) }()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the config link was replaced by a regular file (%v, %v)", st.Mode(), err)
	}
	ds, err := New(target).List()
	if err != nil || len(ds) != 9 {
		t.Fatalf("target holds %d destinations (%v), want 9", len(ds), err)
	}
	if st, err := os.Stat(target); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("target mode %v (%v), want 0600", st.Mode(), err)
	}
	if _, err := os.Stat(link + ".lock"); !os.IsNotExist(err) {
		t.Errorf("a second lock file next to the link: %v", err)
	}
}

// TestHostileStoreLockNamesHolder: a writer that cannot get the store's lock
// in time says who holds it.
func TestHostileStoreLockNamesHolder(t *testing.T) {
	s := tempStore(t)
	if err := s.Add(dest("a", "a")); err != nil {
		t.Fatal(err)
	}
	l, err := fileguard.TryLock(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	s.lockTimeout = 50 * time.Millisecond
	err = s.Add(dest("b", "b"))
	if !errors.Is(err, ErrLockTimer) || !strings.Contains(err.Error(), fmt.Sprintf("held by pid %d on ", os.Getpid())) {
		t.Fatalf("err = %v, want a lock timeout naming pid %d", err, os.Getpid())
	}
}
