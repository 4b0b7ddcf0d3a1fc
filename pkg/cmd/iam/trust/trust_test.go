package trust

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/cmdtest"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/golden"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/store"
)

func testFactory(t *testing.T, dests ...store.Destination) (*cmdutil.Factory, *bytes.Buffer) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	s := store.New(t.TempDir() + "/config.yaml")
	for _, d := range dests {
		if err := s.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	return &cmdutil.Factory{
		IOStreams: ios,
		Globals:   &cmdutil.GlobalOptions{Output: output.Table},
		Store:     func() (*store.Store, error) { return s, nil },
	}, out
}

func prod(externalID string) store.Destination {
	return store.Destination{
		Name: "prod", Project: "default", Environment: "production", Region: "us-east-1", StreamName: "ld-events",
		StreamARN: "arn:aws:kinesis:us-east-1:123456789012:stream/ld-events",
		RoleARN:   "arn:aws:iam::123456789012:role/ld-export", AccountID: "123456789012", ExternalID: externalID,
	}
}

func TestNewCmdTrustFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    TrustOptions
		wantErr string
	}{
		{name: "no flags", args: nil, want: TrustOptions{}},
		{name: "restricted", args: []string{"--restricted"}, want: TrustOptions{Restricted: true}},
		{name: "external id", args: []string{"--external-id", "abc"}, want: TrustOptions{ExternalID: "abc", ExternalIDSet: true}},
		{name: "dest", args: []string{"--dest", "prod", "--restricted"}, want: TrustOptions{Dest: "prod", Restricted: true}},
		{name: "argument", args: []string{"prod"}, wantErr: "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := testFactory(t)
			got, err := cmdtest.ParseArgs(f, NewCmdTrust, tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || cmdutil.ExitCode(err) != 2 {
					t.Fatalf("err = %v, want exit 2 containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Output = output.Table // the global -o
			cmdtest.WantValues(t, got, &tt.want)
		})
	}
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
			if !json.Valid(out.Bytes()) {
				t.Fatalf("stdout is not just JSON:\n%s", out)
			}
			golden.Assert(t, "testdata/"+tt.golden, out.Bytes())
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
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || cmdutil.ExitCode(err) != tt.wantCode {
				t.Fatalf("err = %v (exit %d), want exit %d containing %q", err, cmdutil.ExitCode(err), tt.wantCode, tt.wantErr)
			}
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
