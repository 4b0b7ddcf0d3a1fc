// Package version implements `ldexport version`.
package version

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/spf13/cobra"
)

// Info is the version as printed in JSON and YAML.
type Info struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"date"`
	// Modified says the binary was built from a working tree with
	// uncommitted changes (Go's vcs.modified); omitted when not known so.
	Modified bool `json:"modified,omitempty"`
}

// VersionOptions are the dependencies of `version`.
type VersionOptions struct {
	IO     *iostreams.IOStreams
	Output output.Format
	Build  cmdutil.BuildInfo
	// ReadBuildInfo is debug.ReadBuildInfo (tests replace it).
	ReadBuildInfo func() (*debug.BuildInfo, bool)
}

// NewCmdVersion returns `ldexport version`; runF replaces versionRun in tests.
func NewCmdVersion(f *cmdutil.Factory, runF func(context.Context, *VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{}
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Long: `Print the version, commit and build date. A release build has them from
-ldflags; a plain 'go build' or 'go install' takes them from what Go records
in the binary (module version, VCS revision and time, and "modified" when the
working tree had uncommitted changes).`,
		Example: `  ldexport version
  ldexport version -o json`,
		Args: cmdutil.NoArgs,
		RunE: cmdutil.RunE(f, opts, runF, versionRun),
	}
}

// Complete takes the build information, -o and the streams.
func (o *VersionOptions) Complete(f *cmdutil.Factory, _ *cobra.Command, _ []string) error {
	o.IO, o.Output, o.Build, o.ReadBuildInfo = f.IOStreams, f.Globals.Output, f.Build, debug.ReadBuildInfo
	return nil
}

// Validate has nothing to check: version takes no values.
func (o *VersionOptions) Validate() error { return nil }

func versionRun(_ context.Context, opts *VersionOptions) error {
	info := Resolve(opts.Build, opts.ReadBuildInfo)
	return output.Write(opts.IO, opts.Output, info, func() error {
		commit := info.Commit
		if info.Modified {
			commit += ", modified"
		}
		_, err := fmt.Fprintf(opts.IO.Out, "ldexport %s (commit %s, built %s)\n", info.Version, commit, info.Date)
		return err
	})
}

// Resolve fills what -ldflags did not set from the module's build info:
// `go install ...@v1.2.3` records the module version, and `go build` in a
// checkout records vcs.revision, vcs.time and vcs.modified.
func Resolve(b cmdutil.BuildInfo, read func() (*debug.BuildInfo, bool)) Info {
	info := Info{Version: b.Version, Commit: b.Commit, Date: b.Date}
	if bi, ok := read(); ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.time":
				if info.Date == "" {
					info.Date = s.Value
				}
			case "vcs.modified":
				info.Modified = b.Commit == "" && s.Value == "true"
			}
		}
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	if info.Commit == "" {
		info.Commit = "unknown"
	}
	if info.Date == "" {
		info.Date = "unknown"
	}
	return info
}
