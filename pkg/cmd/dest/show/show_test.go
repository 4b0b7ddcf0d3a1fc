package show

import (
	"errors"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/cmdtest"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/store"
)

func TestNewCmdShowParsesName(t *testing.T) {
	cmdtest.RunFlagTests(t, NewCmdShow, []cmdtest.FlagTest[ShowOptions]{
		{Args: "prod", Want: ShowOptions{Name: "prod"}},
		{Args: "", WantErr: "name the destination"},
		{Args: "a b", WantErr: "too many arguments"},
	})
}

func TestShowOutput(t *testing.T) {
	cmdtest.AssertOutputs(t, "dest/show", func(t *testing.T, e *cmdtest.Env) error {
		e.Seed(t, cmdtest.Destinations()...)
		return cmdtest.Exec(e.Factory, NewCmdShow, "eu-staging")
	})
}

func TestShowJSONOmitsEmptyOptionalKeys(t *testing.T) {
	e := cmdtest.New(t)
	e.Seed(t, cmdtest.Destinations()...)
	e.Factory.Globals.Output = output.JSON
	if err := cmdtest.Exec(e.Factory, NewCmdShow, "prod"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"externalId", "kmsKeyArn", "endpointUrl"} {
		if strings.Contains(e.Out.String(), k) {
			t.Errorf("empty %s printed: %s", k, e.Out)
		}
	}
}

func TestShowUnknownExits1(t *testing.T) {
	e := cmdtest.New(t)
	err := cmdtest.Exec(e.Factory, NewCmdShow, "nope")
	if !errors.Is(err, store.ErrNotFound) || cmdutil.ExitCode(err) != 1 || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown name: %v (exit %d)", err, cmdutil.ExitCode(err))
	}
}
