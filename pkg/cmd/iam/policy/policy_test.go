package policy

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/cmdtest"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/store"
)

// testFactory returns a Factory with buffers and a temp store holding the
// destinations given.
func testFactory(t *testing.T, region string, dests ...store.Destination) (*cmdutil.Factory, *bytes.Buffer) {
	t.Helper()
	e := cmdtest.New(t)
	e.Seed(t, dests...)
	e.Factory.Globals.Region = region
	return e.Factory, e.Out
}

func dest(name, region, partition string) store.Destination {
	return store.Destination{
		Name: name, Project: "default", Environment: name, Region: region, StreamName: "ld-events",
		StreamARN: "arn:" + partition + ":kinesis:" + region + ":123456789012:stream/ld-events",
		RoleARN:   "arn:" + partition + ":iam::123456789012:role/ld-export", AccountID: "123456789012",
	}
}

func TestNewCmdPolicyFlags(t *testing.T) {
	east, west := cmdutil.GlobalOptions{Region: "us-east-1"}, cmdutil.GlobalOptions{Region: "eu-west-1"} // the global --region / AWS_REGION
	cmdtest.RunFlagTests(t, NewCmdPolicy, []cmdtest.FlagTest[PolicyOptions]{
		{Name: "dest", Args: "--dest prod", Want: PolicyOptions{Dest: "prod", RegionFrom: "--region"}},
		{Name: "dest ignores AWS_REGION", Globals: west, Args: "--dest prod", Want: PolicyOptions{Dest: "prod", RegionFrom: "--region"}},
		{Name: "dest and kms", Args: "--dest prod --kms-key-arn k", Want: PolicyOptions{Dest: "prod", KMSKeyARN: "k", RegionFrom: "--region"}},
		{Name: "flags", Globals: east, Args: "--account-id 123456789012 --stream s", Want: PolicyOptions{Region: "us-east-1", RegionFrom: "--region", AccountID: "123456789012", Stream: "s"}},
		{Name: "no region", Args: "--account-id 123456789012 --stream s", WantErr: "--region is required"},
		{Name: "no stream", Globals: east, Args: "--account-id 123456789012", WantErr: "--stream is required"},
		{Name: "no account", Globals: east, Args: "--stream s", WantErr: "--account-id is required"},
		{Name: "nothing", WantErr: "is required"},
		{Name: "dest and stream", Args: "--dest prod --stream s", WantErr: "--dest and --stream"},
		{Name: "dest and account", Args: "--dest prod --account-id 123456789012", WantErr: "--dest and --account-id"},
	})
}

func TestPolicyGolden(t *testing.T) {
	kms := dest("kms", "us-east-1", "aws")
	kms.KMSKeyARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	dests := []store.Destination{dest("prod", "us-east-1", "aws"), kms, dest("china", "cn-north-1", "aws-cn"), dest("gov", "us-gov-west-1", "aws-us-gov")}
	tests := []struct {
		golden string
		region string
		args   []string
	}{
		{"iam/policy-plain.json", "", []string{"--dest", "prod"}},
		{"iam/policy-plain.json", "us-east-1", []string{"--account-id", "123456789012", "--stream", "ld-events"}},
		{"iam/policy-kms.json", "", []string{"--dest", "kms"}},
		{"iam/policy-kms.json", "", []string{"--dest", "prod", "--kms-key-arn", kms.KMSKeyARN}},
		{"iam/policy-china.json", "", []string{"--dest", "china"}},
		{"iam/policy-china.json", "cn-north-1", []string{"--account-id", "123456789012", "--stream", "ld-events"}},
		{"iam/policy-govcloud.json", "", []string{"--dest", "gov"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden+" "+strings.Join(tt.args, " "), func(t *testing.T) {
			f, out := testFactory(t, tt.region, dests...)
			if err := cmdtest.Exec(f, NewCmdPolicy, tt.args...); err != nil {
				t.Fatal(err)
			}
			cmdtest.AssertJSONGolden(t, tt.golden, out.Bytes())
		})
	}
}

func TestPolicyYAML(t *testing.T) {
	f, out := testFactory(t, "", dest("prod", "us-east-1", "aws"))
	f.Globals.Output = output.YAML
	if err := cmdtest.Exec(f, NewCmdPolicy, "--dest", "prod"); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "Version: \"2012-10-17\"\nStatement:\n") {
		t.Errorf("YAML output:\n%s", out)
	}
}

func TestPolicyInvalidInput(t *testing.T) {
	tests := []struct {
		name     string
		region   string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"bad region", "moon-1", []string{"--account-id", "123456789012", "--stream", "s"}, 2, "--region: "},
		{"bad account", "us-east-1", []string{"--account-id", "1234", "--stream", "s"}, 2, "--account-id: "},
		{"bad stream", "us-east-1", []string{"--account-id", "123456789012", "--stream", "a b"}, 2, "--stream: "},
		{"bad kms key", "us-east-1", []string{"--account-id", "123456789012", "--stream", "s", "--kms-key-arn", "key"}, 2, "--kms-key-arn: "},
		{"kms key of another partition", "cn-north-1", []string{"--account-id", "123456789012", "--stream", "s", "--kms-key-arn", "arn:aws:kms:us-east-1:123456789012:key/k"}, 2, "--kms-key-arn: "},
		{"bad dest name", "", []string{"--dest", "-x"}, 2, "--dest: "},
		{"unknown dest", "", []string{"--dest", "nope"}, 1, "--dest: destination not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, out := testFactory(t, tt.region)
			err := cmdtest.Exec(f, NewCmdPolicy, tt.args...)
			cmdtest.WantError(t, err, tt.wantCode, tt.wantErr)
			if strings.Contains(err.Error(), "\n") || out.Len() != 0 {
				t.Errorf("want one error line and no stdout; got %q and %q", err, out)
			}
		})
	}
}
