// Package testtools finds the programs tests run beside Go — the npm
// packages `make tools` installs under tools/ (kinesalite, kinesis-mock,
// aws-kinesis-agg) and the node that runs them, or python3 with moto — and
// decides what a test does when one is missing: skip on a developer's
// machine, fail under CI=true, where everything must be installed.
package testtools

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// ErrNotInstalled wraps every "this tool is missing" error; Unavailable
// skips for it (outside CI) and fails for anything else.
var ErrNotInstalled = errors.New("not installed")

// Dir returns tools/<name> in the module that holds the working directory.
func Dir(name string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "tools", name), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Node returns the node binary and tools/<name>, checking that `make tools`
// installed installed (a path below its node_modules, such as "kinesalite"
// or "kinesis-local/main.js"). What is missing is an ErrNotInstalled that
// says how to install it.
func Node(name, installed string) (node, dir string, err error) {
	if dir, err = Dir(name); err != nil {
		return "", "", err
	}
	if node, err = exec.LookPath("node"); err != nil {
		return "", "", fmt.Errorf("%w: node is not on PATH (install Node.js 18+, then `make tools`)", ErrNotInstalled)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", installed)); err != nil {
		return "", "", fmt.Errorf("%w: run `make tools` (npm ci in %s)", ErrNotInstalled, dir)
	}
	return node, dir, nil
}

// Missing skips t, or fails it under CI=true, saying what is missing.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
		return
	}
	t.Skipf(format, args...)
}

// Unavailable ends t when tool could not be started: Missing when err is
// ErrNotInstalled, a failure for any other error.
func Unavailable(t testing.TB, tool string, err error) {
	t.Helper()
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("%s: %v", tool, err)
		return
	}
	Missing(t, "%s: %v", tool, err)
}
