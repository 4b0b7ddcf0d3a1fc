package cmdtest

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/spf13/cobra"
)

// ParseFlags builds a command with newCmd, runs it on args (split on spaces)
// with a runF that captures its options instead of acting, and returns them
// (nil when parsing failed) with the error. The Factory has buffer streams
// and empty globals: parsing alone needs nothing else.
func ParseFlags[O any](newCmd func(*cmdutil.Factory, func(context.Context, *O) error) *cobra.Command, args string) (*O, error) {
	ios, _, _, _ := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Globals: &cmdutil.GlobalOptions{}}
	var got *O
	cmd := newCmd(f, func(_ context.Context, o *O) error { got = o; return nil })
	cmd.SetArgs(strings.Fields(args))
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err := cmd.Execute()
	return got, err
}

// WantUsageError fails t unless err is a usage error (exit 2) whose message contains msg.
func WantUsageError(t testing.TB, err error, msg string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), msg) || cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Fatalf("error %v (exit %d), want exit 2 containing %q", err, cmdutil.ExitCode(err), msg)
	}
}
