// Package golden compares test output with golden files kept under the
// repository's root testdata/ folder; `go test ./... -update` rewrites them.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/ with the current output")

// Assert fails t unless got equals the golden file at relPath, a path
// relative to the module root (the nearest folder above the test with a
// go.mod). With -update it writes got to that file instead.
func Assert(t testing.TB, relPath string, got []byte) {
	t.Helper()
	path := filepath.Join(ModuleRoot(t), filepath.FromSlash(relPath))
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		line, g, w := firstDiff(got, want)
		t.Errorf("%s:%d: output differs from the golden file (run with -update to accept it)\n got: %q\nwant: %q", relPath, line, g, w)
	}
}

// ModuleRoot returns the nearest folder at or above the working directory
// that holds a go.mod.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("golden: no go.mod above the working directory")
		}
		dir = parent
	}
}

// firstDiff returns the 1-based number of the first line that differs, and
// that line of each.
func firstDiff(got, want []byte) (int, []byte, []byte) {
	gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; ; i++ {
		var g, w []byte
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if !bytes.Equal(g, w) || i >= len(gl) || i >= len(wl) {
			return i + 1, g, w
		}
	}
}
