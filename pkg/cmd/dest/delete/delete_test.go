package delete

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/cmdtest"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/launchdarkly"
	"github.com/ldexport/ldexport/pkg/store"
)

func TestNewCmdDeleteNeedsYesWithoutTerminal(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		tty      bool
		wantRun  bool
		wantYes  bool
		wantExit int
	}{
		{"piped with --yes", []string{"prod", "--yes"}, false, true, true, 0},
		{"piped with -y", []string{"prod", "-y"}, false, true, true, 0},
		{"piped without --yes", []string{"prod"}, false, false, false, 2},
		{"terminal prompts", []string{"prod"}, true, true, false, 0},
		{"no name", []string{"--yes"}, false, false, false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			e.IO.SetStdinTTY(tt.tty)
			e.IO.SetStderrTTY(tt.tty)
			got, err := cmdtest.ParseArgs(e.Factory, NewCmdDelete, tt.args...)
			if cmdutil.ExitCode(err) != tt.wantExit {
				t.Fatalf("exit %d (%v), want %d", cmdutil.ExitCode(err), err, tt.wantExit)
			}
			if (got != nil) != tt.wantRun {
				t.Fatalf("ran = %v, want %v", got != nil, tt.wantRun)
			}
			if got != nil && (got.Name != "prod" || got.Yes != tt.wantYes) {
				t.Errorf("options %+v", got)
			}
		})
	}
}

func TestDeleteRun(t *testing.T) {
	tests := []struct {
		name      string
		yes       bool
		answer    string
		wantErr   error
		wantGone  bool
		wantInErr string
	}{
		{"--yes", true, "", nil, true, "Deleted destination prod"},
		{"answered y", false, "y\n", nil, true, "Delete destination prod"},
		{"answered yes", false, "YES\n", nil, true, "Deleted"},
		{"answered n", false, "n\n", cmdutil.ErrCancel, false, "Not deleted"},
		{"no answer", false, "", cmdutil.ErrCancel, false, "Not deleted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			e.Seed(t, cmdtest.Destinations()...)
			e.In.WriteString(tt.answer)
			err := deleteRun(context.Background(), &DeleteOptions{IO: e.IO, Store: e.Factory.Store, Name: "prod", Yes: tt.yes})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			_, getErr := store.New(e.StorePath).Get("prod")
			if gone := errors.Is(getErr, store.ErrNotFound); gone != tt.wantGone {
				t.Errorf("deleted = %v, want %v", gone, tt.wantGone)
			}
			if _, err := store.New(e.StorePath).Get("eu-staging"); err != nil {
				t.Errorf("the other destination was touched: %v", err)
			}
			if !strings.Contains(e.ErrOut.String(), tt.wantInErr) {
				t.Errorf("stderr %q lacks %q", e.ErrOut, tt.wantInErr)
			}
		})
	}
}

func TestDeleteUnknownExits1(t *testing.T) {
	e := cmdtest.New(t)
	err := deleteRun(context.Background(), &DeleteOptions{IO: e.IO, Store: e.Factory.Store, Name: "nope", Yes: true})
	if cmdutil.ExitCode(err) != 1 || !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
}

// TestDeleteRemoteSaysTheMissingTokenBeforeAsking: `dest delete --remote` of
// a linked destination asked "Delete ...? [y/N]" and only after a yes found
// that no LaunchDarkly token was set (exit 2). The usage error now comes
// first, nothing is asked and nothing deleted.
func TestDeleteRemoteSaysTheMissingTokenBeforeAsking(t *testing.T) {
	e := cmdtest.New(t)
	d := cmdtest.Destinations()[0]
	d.LaunchDarklyID, d.LaunchDarklyVersion = "610addeadbeefaa86ec9a7d4", 1
	e.Seed(t, d)
	e.In.WriteString("y\n")
	err := deleteRun(context.Background(), &DeleteOptions{IO: e.IO, Store: e.Factory.Store, LaunchDarkly: e.Factory.LaunchDarkly, Name: "prod", Remote: true})
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !errors.Is(err, launchdarkly.ErrNoToken) {
		t.Fatalf("err %v: want exit 2, no token", err)
	}
	if strings.Contains(e.ErrOut.String(), "Delete destination") {
		t.Errorf("asked %q before the usage error", e.ErrOut)
	}
	if _, err := store.New(e.StorePath).Get("prod"); err != nil {
		t.Errorf("deleted: %v", err)
	}
}
