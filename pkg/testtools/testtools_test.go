package testtools_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ldexport/ldexport/pkg/testtools"
)

func TestDirIsBelowTheModuleRoot(t *testing.T) {
	dir, err := testtools.Dir("kinesalite")
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(filepath.Dir(dir))
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil || filepath.Base(filepath.Dir(dir)) != "tools" {
		t.Fatalf("Dir = %s: want tools/kinesalite beside go.mod", dir)
	}
}

func TestNodeMissingIsNotInstalled(t *testing.T) {
	if _, _, err := testtools.Node("no-such-tool", "no-such-package"); !errors.Is(err, testtools.ErrNotInstalled) {
		t.Errorf("a tool never installed: %v, want ErrNotInstalled", err)
	}
	t.Setenv("PATH", t.TempDir())
	if _, _, err := testtools.Node("kinesalite", "kinesalite"); !errors.Is(err, testtools.ErrNotInstalled) {
		t.Errorf("no node on PATH: %v, want ErrNotInstalled", err)
	}
}

// recorder is a testing.TB that notes how a test would have ended.
type recorder struct {
	testing.TB
	ended string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Fatalf(format string, a ...any) { r.ended = "fail: " + fmt.Sprintf(format, a...) }
func (r *recorder) Skipf(format string, a ...any)  { r.ended = "skip: " + fmt.Sprintf(format, a...) }

func TestUnavailable(t *testing.T) {
	missing := fmt.Errorf("%w: node is not on PATH", testtools.ErrNotInstalled)
	broken := errors.New("the launcher exited before it was ready")
	tests := []struct {
		ci   string
		err  error
		want string
	}{
		{"", missing, "skip: kinesalite: not installed: node is not on PATH"},
		{"true", missing, "fail: kinesalite: not installed: node is not on PATH"},
		{"", broken, "fail: kinesalite: the launcher exited before it was ready"},
		{"true", broken, "fail: kinesalite: the launcher exited before it was ready"},
	}
	for _, tt := range tests {
		t.Setenv("CI", tt.ci)
		r := &recorder{}
		testtools.Unavailable(r, "kinesalite", tt.err)
		if r.ended != tt.want {
			t.Errorf("CI=%q, %v: %q, want %q", tt.ci, tt.err, r.ended, tt.want)
		}
	}
}
