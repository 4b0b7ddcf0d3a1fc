package check

import (
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/cmdtest"

	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/preflight"
)

func TestPrintChecksStyledOnATerminal(t *testing.T) {
	rep := preflight.Report{Destination: "d", Checks: []preflight.Check{{Name: "stream", Status: preflight.Pass, Detail: "ok"}, {Name: "permissions", Status: preflight.Fail, Detail: "denied"}}}
	for _, tty := range []bool{false, true} {
		ios, _, out, _ := iostreams.Test()
		ios.SetStdoutTTY(tty)
		ios.SetColorEnabled(tty)
		if err := printChecks(ios, rep); err != nil {
			t.Fatal(err)
		}
		styled := strings.Contains(out.String(), "\x1b[")
		if styled != tty {
			t.Errorf("tty %v: styled %v:\n%q", tty, styled, out.String())
		}
		if !tty && out.String() != "pass  stream       ok\nfail  permissions  denied\n" {
			t.Errorf("plain output %q", out.String())
		}
	}
}

// TestCheckReportGolden: the report of `dest check` in every output, with
// each status, a local Kinesis endpoint and AWS's own for IAM and STS.
func TestCheckReportGolden(t *testing.T) {
	rep := preflight.Report{Destination: "prod", OK: false, Endpoints: preflight.Endpoints{Kinesis: "http://127.0.0.1:4567"}, Checks: []preflight.Check{
		{Name: "credentials", Status: preflight.Pass, Detail: "arn:aws:iam::123456789012:user/ops (account 123456789012)"},
		{Name: "account", Status: preflight.Pass, Detail: "the caller is in the destination's account 123456789012"},
		{Name: "stream", Status: preflight.Pass, Detail: "ld-events is ACTIVE"},
		{Name: "capacity", Status: preflight.Warn, Detail: "2 open shards (provisioned); LaunchDarkly advises 3 for 120,000,000 events a month; fix: aws kinesis update-shard-count --stream-name ld-events --target-shard-count 3 --scaling-type UNIFORM_SCALING"},
		{Name: "encryption", Status: preflight.Skip, Detail: "no customer-managed KMS key recorded"},
		{Name: "role", Status: preflight.Pass, Detail: "arn:aws:iam::123456789012:role/ld-export exists"},
		{Name: "trust", Status: preflight.Fail, Detail: "the trust policy does not let LaunchDarkly's account 554582317989 assume the role; fix: ldexport iam apply --dest prod"},
		{Name: "permissions", Status: preflight.Skip, Detail: "the caller may not call iam:SimulatePrincipalPolicy"},
	}}
	cmdtest.AssertOutputs(t, "dest/check", func(_ *testing.T, e *cmdtest.Env) error {
		return printReport(e.IO, e.Factory.Globals.Output, rep)
	})
}
