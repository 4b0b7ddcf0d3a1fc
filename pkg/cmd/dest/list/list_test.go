package list

import (
	"context"
	"testing"

	"github.com/ldexport/ldexport/pkg/cmdtest"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/golden"
	"github.com/ldexport/ldexport/pkg/output"
)

func TestNewCmdListTakesNoArguments(t *testing.T) {
	e := cmdtest.New(t)
	called := false
	cmd := NewCmdList(e.Factory, func(context.Context, *ListOptions) error { called = true; return nil })
	cmd.SetArgs([]string{})
	if err := cmd.Execute(); err != nil || !called {
		t.Fatalf("no args: err %v, called %v", err, called)
	}
	cmd = NewCmdList(e.Factory, func(context.Context, *ListOptions) error { t.Fatal("run with bad args"); return nil })
	cmd.SetArgs([]string{"extra"})
	cmd.SetErr(e.ErrOut)
	if err := cmd.Execute(); cmdutil.ExitCode(err) != 2 {
		t.Errorf("extra argument: %v", err)
	}
}

func TestListOutput(t *testing.T) {
	tests := []struct {
		golden string
		format output.Format
		tty    bool
	}{
		{"dest/list.tsv", output.Table, false},
		{"dest/list.table", output.Table, true},
		{"dest/list.json", output.JSON, false},
		{"dest/list.yaml", output.YAML, false},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			e := cmdtest.New(t)
			e.Seed(t, cmdtest.Destinations()...)
			e.Factory.Globals.Output = tt.format
			e.IO.SetStdoutTTY(tt.tty)
			if err := listRun(&ListOptions{Factory: e.Factory}); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, "testdata/"+tt.golden, e.Out.Bytes())
		})
	}
}

func TestListEmpty(t *testing.T) {
	for _, tt := range []struct {
		format output.Format
		want   string
	}{{output.JSON, "[]\n"}, {output.YAML, "[]\n"}, {output.Table, "NAME\tPROJECT\tENVIRONMENT\tREGION\tSTREAM\tROLE\n"}} {
		e := cmdtest.New(t)
		e.Factory.Globals.Output = tt.format
		if err := listRun(&ListOptions{Factory: e.Factory}); err != nil {
			t.Fatal(err)
		}
		if e.Out.String() != tt.want {
			t.Errorf("%s: got %q, want %q", tt.format, e.Out.String(), tt.want)
		}
	}
	e := cmdtest.New(t)
	e.IO.SetStdoutTTY(true)
	if err := listRun(&ListOptions{Factory: e.Factory}); err != nil {
		t.Fatal(err)
	}
	if e.Out.Len() != 0 || e.ErrOut.Len() == 0 {
		t.Errorf("empty list on a terminal should hint on stderr: out %q err %q", e.Out, e.ErrOut)
	}
}
