// Package golden compares test output with files under the module's
// testdata/ folder; `go test ./... -update` rewrites them.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// Path returns testdata/<name> at the module root (the folder holding go.mod).
func Path(t testing.TB, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", filepath.FromSlash(name))
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("golden: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Assert fails t unless got equals testdata/<name>; with -update it writes got there.
func Assert(t testing.TB, name string, got []byte) {
	t.Helper()
	path := Path(t, name)
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
		t.Fatalf("golden file %s: %v (run the test with -update to create it)", name, err)
	}
	if string(want) != string(got) {
		t.Errorf("output differs from testdata/%s (run with -update if the change is intended)\n--- want\n%s\n--- got\n%s", name, want, got)
	}
}
