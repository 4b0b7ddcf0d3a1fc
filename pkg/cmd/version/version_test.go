package version

import (
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/cmdutil"
)

func TestResolve(t *testing.T) {
	built := &debug.BuildInfo{
		Main:     debug.Module{Version: "v0.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "deadbeef"}, {Key: "vcs.time", Value: "2026-11-01T00:00:00Z"}},
	}
	modified := &debug.BuildInfo{
		Main: debug.Module{Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "cafe"}, {Key: "vcs.time", Value: "2026-11-02T00:00:00Z"},
			{Key: "vcs.modified", Value: "true"}},
	}
	tests := []struct {
		name  string
		ld    cmdutil.BuildInfo
		build *debug.BuildInfo
		want  Info
	}{
		{"ldflags win", cmdutil.BuildInfo{Version: "1.0.0", Commit: "abc", Date: "d"}, built, Info{"1.0.0", "abc", "d", false}},
		{"module build info", cmdutil.BuildInfo{}, built, Info{"v0.4.0", "deadbeef", "2026-11-01T00:00:00Z", false}},
		{"modified working tree", cmdutil.BuildInfo{}, modified, Info{"dev", "cafe", "2026-11-02T00:00:00Z", true}},
		{"ldflags commit: modified unknown", cmdutil.BuildInfo{Commit: "abc"}, modified, Info{"dev", "abc", "2026-11-02T00:00:00Z", false}},
		{"devel build", cmdutil.BuildInfo{}, &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, Info{"dev", "unknown", "unknown", false}},
		{"no build info", cmdutil.BuildInfo{}, nil, Info{"dev", "unknown", "unknown", false}},
	}
	for _, tt := range tests {
		got := Resolve(tt.ld, func() (*debug.BuildInfo, bool) { return tt.build, tt.build != nil })
		if got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// TestPlainGoBuildPrintsTheRevision builds the binary as `go build` does with
// no -ldflags, in this checkout, and wants `version` to print the checkout's
// revision instead of "commit unknown".
func TestPlainGoBuildPrintsTheRevision(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "ldexport")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, "github.com/ldexport/ldexport/cmd/ldexport")
	build.Env = append(os.Environ(), "GOFLAGS=-buildvcs=true")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if bi, err := buildinfo.ReadFile(bin); err != nil || !slices.ContainsFunc(bi.Settings, func(s debug.BuildSetting) bool { return s.Key == "vcs.revision" }) {
		// Go stamps only a checkout whose .git is a folder, not a git worktree's .git file.
		t.Skipf("go build recorded no VCS revision here (%v)", err)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "(commit " + strings.TrimSpace(string(head)); !strings.Contains(string(out), want) {
		t.Errorf("version = %q, want it to contain %q", out, want)
	}
}
