package export

import (
	"testing"

	"github.com/ldexport/ldexport/pkg/cmdtest"
)

func TestNewCmdExportFlags(t *testing.T) {
	got, err := cmdtest.ParseFlags(NewCmdExport, "prod")
	if err != nil || got.Format != "terraform" || got.On || got.Restricted {
		t.Fatalf("defaults: %+v %v", got, err)
	}
	got, err = cmdtest.ParseFlags(NewCmdExport, "prod --format api --on --restricted --launchdarkly-account 111122223333")
	if err != nil || got.Format != "api" || !got.On || !got.Restricted || got.LaunchDarklyAccount != "111122223333" {
		t.Fatalf("all flags: %+v %v", got, err)
	}
	_, err = cmdtest.ParseFlags(NewCmdExport, "prod --format hcl")
	cmdtest.WantUsageError(t, err, `--format: "hcl" is not terraform or api`)
	_, err = cmdtest.ParseFlags(NewCmdExport, "prod --launchdarkly-account 12")
	cmdtest.WantUsageError(t, err, "--launchdarkly-account")
}

func TestExportAPIBodyIsThePushBody(t *testing.T) {
	e := cmdtest.New(t)
	e.Seed(t, cmdtest.Destinations()...)
	if err := cmdtest.Exec(e.Factory, NewCmdExport, "prod", "--format", "api", "--on"); err != nil {
		t.Fatal(err)
	}
	want := `{
  "name": "prod",
  "kind": "kinesis",
  "config": {
    "region": "us-east-1",
    "roleArn": "arn:aws:iam::123456789012:role/ld-export",
    "streamName": "ld-events"
  },
  "on": true
}
`
	if e.Out.String() != want {
		t.Fatalf("api body:\n%s\nwant\n%s", e.Out, want)
	}
}
