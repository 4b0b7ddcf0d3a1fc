package push

import (
	"testing"

	"github.com/ldexport/ldexport/pkg/cmdtest"
)

func TestNewCmdPushFlags(t *testing.T) {
	for _, tt := range []struct {
		args              string
		on, setOn, dryRun bool
	}{
		{"prod", false, false, false},
		{"prod --on", true, true, false},
		{"prod --off", false, true, false},
		{"prod --dry-run --on", true, true, true},
	} {
		got, err := cmdtest.ParseFlags(NewCmdPush, tt.args)
		if err != nil {
			t.Fatalf("%s: %v", tt.args, err)
		}
		if got.Name != "prod" || got.On != tt.on || got.SetOn != tt.setOn || got.DryRun != tt.dryRun {
			t.Errorf("%s: options %+v", tt.args, *got)
		}
	}
	_, err := cmdtest.ParseFlags(NewCmdPush, "prod --on --off")
	cmdtest.WantUsageError(t, err, "--on and --off cannot be used together")
	_, err = cmdtest.ParseFlags(NewCmdPush, "")
	cmdtest.WantUsageError(t, err, "name the destination")
}
