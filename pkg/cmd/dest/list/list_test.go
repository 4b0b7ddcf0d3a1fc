package list

import (
	"testing"

	"github.com/ldexport/ldexport/pkg/cmdtest"
	"github.com/ldexport/ldexport/pkg/output"
)

func TestNewCmdListTakesNoArguments(t *testing.T) {
	cmdtest.RunFlagTests(t, NewCmdList, []cmdtest.FlagTest[ListOptions]{
		{Args: "", Want: ListOptions{}},
		{Args: "--remote", Want: ListOptions{Remote: true}},
		{Args: "extra", WantErr: "unexpected argument"},
	})
}

func TestListOutput(t *testing.T) {
	cmdtest.AssertOutputs(t, "dest/list", func(t *testing.T, e *cmdtest.Env) error {
		e.Seed(t, cmdtest.Destinations()...)
		return cmdtest.Exec(e.Factory, NewCmdList)
	})
}

func TestListEmpty(t *testing.T) {
	for _, tt := range []struct {
		format output.Format
		want   string
	}{{output.JSON, "[]\n"}, {output.YAML, "[]\n"}, {output.Table, "NAME\tPROJECT\tENVIRONMENT\tREGION\tSTREAM\tROLE\n"}} {
		e := cmdtest.New(t)
		e.Factory.Globals.Output = tt.format
		if err := cmdtest.Exec(e.Factory, NewCmdList); err != nil {
			t.Fatal(err)
		}
		if e.Out.String() != tt.want {
			t.Errorf("%s: got %q, want %q", tt.format, e.Out.String(), tt.want)
		}
	}
	e := cmdtest.New(t)
	e.IO.SetStdoutTTY(true)
	if err := cmdtest.Exec(e.Factory, NewCmdList); err != nil {
		t.Fatal(err)
	}
	if e.Out.Len() != 0 || e.ErrOut.Len() == 0 {
		t.Errorf("empty list on a terminal should hint on stderr: out %q err %q", e.Out, e.ErrOut)
	}
}
