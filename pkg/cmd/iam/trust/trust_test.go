package trust

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/cmdtest"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/launchdarkly"
	"github.com/ldexport/ldexport/pkg/ldfake"
	"github.com/ldexport/ldexport/pkg/policy"
	"github.com/ldexport/ldexport/pkg/store"
)

func testFactory(t *testing.T, dests ...store.Destination) (*cmdutil.Factory, *bytes.Buffer) {
	t.Helper()
	e := cmdtest.New(t)
	e.Seed(t, dests...)
	return e.Factory, e.Out
}

func prod(externalID string) store.Destination {
	return store.Destination{
		Name: "prod", Project: "default", Environment: "production", Region: "us-east-1", StreamName: "ld-events",
		StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/ld-events",
		RoleARN:   "arn:aws:iam::123456789012:role/ld-export", AccountID: "123456789012", ExternalID: externalID,
	}
}

func TestNewCmdTrustFlags(t *testing.T) {
	cmdtest.RunFlagTests(t, NewCmdTrust, []cmdtest.FlagTest[TrustOptions]{
		{Name: "no flags", Args: "", Want: TrustOptions{}},
		{Args: "--restricted", Want: TrustOptions{Restricted: true}},
		{Args: "--external-id abc", Want: TrustOptions{ExternalID: "abc", ExternalIDSet: true}},
		{Args: "--dest prod --restricted", Want: TrustOptions{Dest: "prod", Restricted: true}},
		{Args: "--from-launchdarkly --project p --env e", Want: TrustOptions{FromLaunchDarkly: true, Project: "p", Environment: "e"}},
		{Args: "prod", WantErr: "unexpected argument"},
		{Args: "--from-launchdarkly --external-id abc --dest prod", WantErr: "drop --external-id"},
		{Args: "--from-launchdarkly --project p", WantErr: "--from-launchdarkly needs --dest NAME, or --project P and --env E"},
		{Args: "--project p --env e", WantErr: "--project and --env go with --from-launchdarkly"},
		{Args: "--launchdarkly-account 12", WantErr: "--launchdarkly-account: "},
	})
}

func TestTrustGolden(t *testing.T) {
	tests := []struct {
		golden string
		dest   store.Destination
		args   []string
	}{
		{"iam/trust-default.json", prod(""), nil},
		{"iam/trust-default.json", prod(""), []string{"--dest", "prod"}},
		{"iam/trust-restricted.json", prod(""), []string{"--restricted"}},
		{"iam/trust-external-id.json", prod(""), []string{"--external-id", "ld-prod-7f3a"}},
		{"iam/trust-external-id.json", prod("ld-prod-7f3a"), []string{"--dest", "prod"}},
		{"iam/trust-external-id.json", prod("other-id"), []string{"--dest", "prod", "--external-id", "ld-prod-7f3a"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden+" "+strings.Join(tt.args, " "), func(t *testing.T) {
			f, out := testFactory(t, tt.dest)
			if err := cmdtest.Exec(f, NewCmdTrust, tt.args...); err != nil {
				t.Fatal(err)
			}
			cmdtest.AssertJSONGolden(t, tt.golden, out.Bytes())
		})
	}
}

func TestTrustInvalidInput(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"external id too short", []string{"--external-id", "a"}, 2, "--external-id: "},
		{"external id explicitly empty", []string{"--external-id", ""}, 2, "--external-id: "},
		{"external id with a space", []string{"--external-id", "a b"}, 2, "--external-id: "},
		{"external id too long", []string{"--external-id", strings.Repeat("a", 1225)}, 2, "--external-id: "},
		{"unknown dest", []string{"--dest", "nope"}, 1, "destination not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, out := testFactory(t, prod(""))
			err := cmdtest.Exec(f, NewCmdTrust, tt.args...)
			cmdtest.WantError(t, err, tt.wantCode, tt.wantErr)
			if out.Len() != 0 {
				t.Errorf("stdout not empty: %q", out)
			}
		})
	}
}

func TestTrustLongestExternalID(t *testing.T) {
	id := strings.Repeat("a", 1224)
	f, out := testFactory(t)
	if err := cmdtest.Exec(f, NewCmdTrust, "--external-id", id); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct {
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Statement[0].Condition["StringEquals"]["sts:ExternalId"]; got != id {
		t.Errorf("external ID of %d characters, want 1224", len(got))
	}
}

// TestFromLaunchDarklyWarnsAcrossPartitions: LaunchDarkly's generated policy
// (commercial account) was printed for a destination whose role is in
// aws-us-gov without a word, while `iam trust` refuses that offline and
// `iam apply --trust-from-launchdarkly` refuses to apply it. It is still
// printed (it is what LaunchDarkly says), with one warning line on stderr
// and no suggestion to apply it.
func TestFromLaunchDarklyWarnsAcrossPartitions(t *testing.T) {
	gov := prod("")
	gov.Name, gov.Environment, gov.Region = "gov", "gov", "us-gov-west-1"
	gov.RoleARN = "arn:aws-us-gov:iam::123456789012:role/ld-export"
	gov.StreamARN = "arn:aws-us-gov:kinesis:us-gov-west-1:123456789012:stream/ld-events"
	for _, tt := range []struct {
		dest, wantWarning string
	}{
		{"prod", ""},
		{"gov", `Warning: LaunchDarkly's generated trust policy names "arn:aws:iam::554582317989:role/LaunchDarkly-data-export", in partition "aws", but the role is in partition aws-us-gov`},
	} {
		e := cmdtest.New(t)
		e.Seed(t, prod(""), gov)
		ld := ldfake.Start(t, "tok")
		e.Factory.LaunchDarkly = func() (*launchdarkly.Client, error) {
			return launchdarkly.New(launchdarkly.Config{Host: ld.URL, Token: "tok"})
		}
		if err := cmdtest.Exec(e.Factory, NewCmdTrust, "--from-launchdarkly", "--dest", tt.dest); err != nil {
			t.Fatalf("--dest %s: %v", tt.dest, err)
		}
		if !strings.Contains(e.Out.String(), policy.LaunchDarklyRestrictedPrincipal) {
			t.Errorf("--dest %s: stdout %q: want LaunchDarkly's policy", tt.dest, e.Out)
		}
		gotWarning := strings.Contains(e.ErrOut.String(), "Warning: ")
		if tt.wantWarning == "" && gotWarning || tt.wantWarning != "" && (!strings.Contains(e.ErrOut.String(), tt.wantWarning) || strings.Count(e.ErrOut.String(), "\n") != 1) {
			t.Errorf("--dest %s: stderr %q: want warning %q", tt.dest, e.ErrOut, tt.wantWarning)
		}
	}
}
