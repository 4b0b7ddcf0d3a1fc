package version

import (
	"runtime/debug"
	"testing"

	"github.com/ldexport/ldexport/pkg/cmdutil"
)

func TestResolve(t *testing.T) {
	built := &debug.BuildInfo{
		Main:     debug.Module{Version: "v0.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "deadbeef"}, {Key: "vcs.time", Value: "2026-11-01T00:00:00Z"}},
	}
	tests := []struct {
		name  string
		ld    cmdutil.BuildInfo
		build *debug.BuildInfo
		want  Info
	}{
		{"ldflags win", cmdutil.BuildInfo{Version: "1.0.0", Commit: "abc", Date: "d"}, built, Info{"1.0.0", "abc", "d"}},
		{"module build info", cmdutil.BuildInfo{}, built, Info{"v0.4.0", "deadbeef", "2026-11-01T00:00:00Z"}},
		{"devel build", cmdutil.BuildInfo{}, &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, Info{"dev", "unknown", "unknown"}},
		{"no build info", cmdutil.BuildInfo{}, nil, Info{"dev", "unknown", "unknown"}},
	}
	for _, tt := range tests {
		got := Resolve(tt.ld, func() (*debug.BuildInfo, bool) { return tt.build, tt.build != nil })
		if got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
