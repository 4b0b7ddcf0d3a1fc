package root

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/ldexport/ldexport/pkg/cmdtest"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/launchdarkly"
	"github.com/ldexport/ldexport/pkg/store"
)

// refuseServices replaces every constructor of f that leads to the network
// or the store with one that fails t: a usage error must come back from
// Validate, before any of them is called.
func refuseServices(t *testing.T, f *cmdutil.Factory) {
	called := func(what string) error {
		t.Errorf("%s was called before the usage error", what)
		return errors.New(what + " refused by the test")
	}
	f.Kinesis = func(context.Context, string, string) (*kinesis.Client, error) { return nil, called("Kinesis") }
	f.IAM = func(context.Context, string) (*iam.Client, error) { return nil, called("IAM") }
	f.STS = func(context.Context, string) (*sts.Client, error) { return nil, called("STS") }
	f.AWSConfig = func(context.Context, string) (aws.Config, error) { return aws.Config{}, called("AWSConfig") }
	f.LaunchDarkly = func() (*launchdarkly.Client, error) { return nil, called("LaunchDarkly") }
	f.Store = func() (*store.Store, error) { return nil, called("Store") }
}

// TestUsageErrorsReachNoService: every command checks its flags
// in Validate and answers a usage error (exit 2) before it makes a client,
// reads the AWS configuration or opens the store.
func TestUsageErrorsReachNoService(t *testing.T) {
	tests := []struct {
		args    string
		wantErr string
	}{
		{"dest create p --env e --stream a/b --role-arn " + roleARN + " --region us-east-1", "--stream: invalid stream name"},
		{"dest create p --stream s --role-arn " + roleARN, "--env is required"},
		{"dest create p --env e --stream s --role-arn " + roleARN + " --region us-east-1 --endpoint-url localhost:1", "--endpoint-url"},
		{"dest delete prod", "--yes is required"},
		{"dest export prod --format hcl", "--format"},
		{"dest export a/b", "invalid destination name"},
		{"dest pull --env bad/env", "--env"},
		{"dest push prod --on --off", "--on and --off"},
		{"dest list extra", "unexpected argument"},
		{"dest show", "name the destination"},
		{"dest check prod --timeout 0s", "--timeout: must be more than 0"},
		{"dest check prod --events-per-month 0", "--events-per-month"},
		{"dest test prod --timeout 0s", "--timeout: must be more than 0"},
		{"tail", "exactly one of --dest NAME or --stream S"},
		// A malformed --stream went to Kinesis (exit 1); a malformed NAME was
		// looked up in the store ("not found", exit 1).
		{"tail --stream a/b", "--stream: invalid stream name"},
		{"tail --dest a/b", "--dest: invalid destination name"},
		{"dest show a/b", "invalid destination name"},
		{"dest delete a/b --yes", "invalid destination name"},
		{"dest test a/b", "invalid destination name"},
		{"dest check a/b", "invalid destination name"},
		{"tail --stream s --max -1", "--max"},
		{"tail --dest prod --from 2999-01-01T00:00:00Z", "is in the future"},
		{"iam apply", "--dest is required"},
		{"iam apply --dest prod --role-name a/b", "--role-name"},
		{"iam apply --dest prod --trust-from-launchdarkly --restricted", "--trust-from-launchdarkly"},
		{"iam policy --region us-east-1 --account-id 1234 --stream s", "--account-id"},
		{"iam policy --dest prod --stream s", "--dest and --stream"},
		{"iam trust --external-id a", "--external-id"},
		{"iam trust --from-launchdarkly", "--from-launchdarkly needs"},
		{"shards --events-per-month lots", "--events-per-month"},
		{"shards --events-per-month 9e18 --peak-factor 1e9", "lower them"},
		{"gen --count lots", "--count"},
		{"completion tcsh", "unsupported shell"},
		{"send --dest a/b", "--dest: invalid destination name"},
		{"send --stream a/b", "--stream: invalid stream name"},
		{"send --stream s --dest prod", "exactly one of --dest NAME or --stream S"},
		// A bad key path went to Kinesis first (exit 1 with an unreachable endpoint).
		{"send --stream s --partition-key a..b", "--partition-key"},
		{"send --stream s --concurrency 0", "--concurrency"},
		{"send --stream s --checkpoint ck", "--checkpoint cannot be used with standard input"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			e := cmdtest.New(t)
			refuseServices(t, e.Factory)
			if code := e.Run(Execute, strings.Fields(tt.args)...); code != cmdutil.ExitUsage {
				t.Fatalf("exit %d, want 2; stderr %q", code, e.ErrOut)
			}
			if !strings.Contains(e.ErrOut.String(), tt.wantErr) {
				t.Errorf("stderr %q lacks %q", e.ErrOut, tt.wantErr)
			}
		})
	}
}
