package push

import (
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/cmdtest"
	"github.com/ldexport/ldexport/pkg/store"
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

func TestWarnings(t *testing.T) {
	ok := store.Destination{Name: "prod", Region: "us-east-1", StreamName: "s", RoleARN: "arn:aws:iam::123456789012:role/r"}
	if w := warnings(ok); len(w) != 0 {
		t.Fatalf("warnings for a plain destination: %v", w)
	}
	local := ok
	local.EndpointURL = "http://127.0.0.1:4567"
	cn := ok
	cn.RoleARN, cn.Region = "arn:aws-cn:iam::123456789012:role/r", "cn-north-1"
	ext := ok
	ext.ExternalID = "abc"
	for _, tt := range []struct {
		d    store.Destination
		want string
	}{{local, "sends to http://127.0.0.1:4567 locally"}, {cn, "partition aws-cn"}, {ext, `external ID "abc"`}} {
		if w := warnings(tt.d); len(w) != 1 || !strings.Contains(w[0], tt.want) {
			t.Errorf("warnings %v, want one saying %q", w, tt.want)
		}
	}
}
