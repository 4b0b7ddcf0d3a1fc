package cmdtest

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/spf13/cobra"
)

// NewCmd is the shape of every command constructor: NewCmdX(f, runF).
type NewCmd[O any] func(*cmdutil.Factory, func(context.Context, *O) error) *cobra.Command

// ParseFlags builds a command with newCmd, runs it on args (split on spaces)
// with a runF that captures its options instead of acting, and returns them
// (nil when parsing or Validate failed) with the error. The Factory has
// buffer streams and empty globals: parsing alone needs nothing else.
func ParseFlags[O any](newCmd NewCmd[O], args string) (*O, error) {
	ios, _, _, _ := iostreams.Test()
	return ParseArgs(&cmdutil.Factory{IOStreams: ios, Globals: &cmdutil.GlobalOptions{}}, newCmd, strings.Fields(args)...)
}

// ParseArgs is ParseFlags with the test's own Factory (globals, a store, a
// terminal) and args as they are.
func ParseArgs[O any](f *cmdutil.Factory, newCmd NewCmd[O], args ...string) (*O, error) {
	var got *O
	err := execute(newCmd(f, func(_ context.Context, o *O) error { got = o; return nil }), args)
	return got, err
}

// Exec runs the command newCmd builds with f on args all the way, as the
// program would: Complete, Validate, then its run function.
func Exec[O any](f *cmdutil.Factory, newCmd NewCmd[O], args ...string) error {
	return execute(newCmd(f, nil), args)
}

func execute(cmd *cobra.Command, args []string) error {
	cmd.SetArgs(append([]string{}, args...)) // never nil: cobra would read os.Args
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return cmd.ExecuteContext(context.Background())
}

// Values returns the exported fields of the options struct o points to that
// hold values (flags, arguments, globals), leaving out its dependencies
// (functions, pointers, interfaces): what a flag test compares.
func Values(o any) map[string]any {
	v := reflect.ValueOf(o).Elem()
	out := map[string]any{}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		switch f.Type.Kind() {
		case reflect.Func, reflect.Pointer, reflect.Interface:
			continue
		}
		if f.IsExported() {
			out[f.Name] = v.Field(i).Interface()
		}
	}
	return out
}

// WantValues fails t unless got's Values are want's, naming the fields that differ.
func WantValues[O any](t testing.TB, got, want *O) {
	t.Helper()
	if got == nil {
		t.Fatal("no options captured: the command did not reach its run function")
	}
	g, w := Values(got), Values(want)
	var diffs []string
	for k, wv := range w {
		if gv := g[k]; !reflect.DeepEqual(gv, wv) {
			diffs = append(diffs, fmt.Sprintf("%s = %#v, want %#v", k, gv, wv))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("options differ:\n  %s", strings.Join(diffs, "\n  "))
	}
}

// WantUsageError fails t unless err is a usage error (exit 2), on one line,
// whose message contains msg.
func WantUsageError(t testing.TB, err error, msg string) {
	t.Helper()
	WantError(t, err, cmdutil.ExitUsage, msg)
}

// WantError fails t unless err is one line, ends the program with exit code,
// and contains msg.
func WantError(t testing.TB, err error, code int, msg string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), msg) || cmdutil.ExitCode(err) != code {
		t.Fatalf("error %v (exit %d), want exit %d containing %q", err, cmdutil.ExitCode(err), code, msg)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
}

// FlagTest is one case of a command's flag test: the arguments (split on
// spaces) and the global options they are parsed with, and the options they
// give (compared with WantValues) or a usage error containing WantErr.
type FlagTest[O any] struct {
	Name    string // the subtest's name; empty: Args
	Args    string
	Globals cmdutil.GlobalOptions
	Want    O
	WantErr string
}

// RunFlagTests runs each case through ParseArgs, on a Factory with buffer
// streams and the case's globals, as a subtest.
func RunFlagTests[O any](t *testing.T, newCmd NewCmd[O], tests []FlagTest[O]) {
	t.Helper()
	for _, tt := range tests {
		name := tt.Name
		if name == "" {
			name = tt.Args
		}
		t.Run(name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			g := tt.Globals
			got, err := ParseArgs(&cmdutil.Factory{IOStreams: ios, Globals: &g}, newCmd, strings.Fields(tt.Args)...)
			if tt.WantErr != "" {
				WantUsageError(t, err, tt.WantErr)
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			WantValues(t, got, &tt.Want)
		})
	}
}
