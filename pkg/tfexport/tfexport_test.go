package tfexport

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/golden"
	"github.com/ldexport/ldexport/pkg/policy"
	"github.com/ldexport/ldexport/pkg/store"
)

func dest() store.Destination {
	return store.Destination{
		Name: "eu-staging", Project: "mobile", Environment: "staging", Region: "eu-west-1",
		StreamName: "ld-staging", StreamARN: "arn:aws:kinesis:eu-west-1:210987654321:stream/ld-staging",
		RoleARN: "arn:aws:iam::210987654321:role/data/ld-export", AccountID: "210987654321",
		ExternalID: "ld-mobile-staging", KMSKeyARN: "arn:aws:kms:eu-west-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab",
	}
}

func TestRenderGolden(t *testing.T) {
	d := dest()
	out, err := Render(d, Options{On: true, Trust: policy.TrustPolicy(true, d.ExternalID)})
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "testdata/tfexport/eu-staging.tf", out)
	// The same documents as `iam policy` and `iam trust` print.
	for _, doc := range []any{policy.PermissionsPolicy(d.Region, d.AccountID, d.StreamName, d.KMSKeyARN), policy.TrustPolicy(true, d.ExternalID)} {
		js, _ := policy.Marshal(doc)
		for _, line := range strings.Split(strings.TrimSpace(string(js)), "\n") {
			if !strings.Contains(string(out), "    "+line+"\n") {
				t.Fatalf("policy line %q missing from the heredoc", line)
			}
		}
	}
	for _, want := range []string{`role_arn    = aws_iam_role.eu-staging.arn`, `path        = "/data/"`, `name        = "ld-export"`, `on = true`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// TestRenderIsTerraformFmtClean runs `terraform fmt -check` (which parses the
// HCL) on the output when terraform is installed.
func TestRenderIsTerraformFmtClean(t *testing.T) {
	tf, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("terraform is not installed")
	}
	d := dest()
	for _, o := range []Options{{Trust: policy.TrustPolicy(false, "")}, {On: true, Trust: policy.TrustPolicy(true, d.ExternalID)}} {
		out, err := Render(d, o)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(tf, "fmt", "-check", "-")
		cmd.Stdin = bytes.NewReader(out)
		cmd.Env = []string{"TF_CLI_CONFIG_FILE=/dev/null", "CHECKPOINT_DISABLE=1", "HOME=" + t.TempDir()}
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("terraform fmt -check: %v\n%s\n%s", err, msg, out)
		}
	}
}

func TestLabel(t *testing.T) {
	for in, want := range map[string]string{"prod": "prod", "a-b_c": "a-b_c", "a_b": "a_b", "dest_1st": "dest_1st",
		"eu.staging": "eu_staging_d5651b5e", "1st": "dest_1st_e01ddf65", "a.b": "a_b_2e7336dc"} {
		if got := resourceLabel(in); got != want {
			t.Errorf("resourceLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// Destinations whose names differ only in what a label cannot hold get
// different labels, so their exports can share one Terraform configuration.
func TestLabelsOfDistinctNamesDiffer(t *testing.T) {
	names := []string{"a.b", "a_b", "a..b", "a._b", "a_.b", "a__b", "1st", "dest_1st", "1.st", "1_st", "dest_1_st", "x.y.z", "x_y.z", "x.y_z", "x_y_z"}
	seen := map[string]string{}
	for _, n := range names {
		l := resourceLabel(n)
		if other, ok := seen[l]; ok {
			t.Errorf("resourceLabel(%q) = resourceLabel(%q) = %q", n, other, l)
		}
		seen[l] = n
		if resourceLabel(n) != l {
			t.Errorf("resourceLabel(%q) is not deterministic", n)
		}
	}
}

func TestHeredocEscapesInterpolation(t *testing.T) {
	got := heredoc([]byte(`{"a": "${x} %{y}"}`), "  ")
	if !strings.Contains(got, `"$${x} %%{y}"`) {
		t.Fatalf("heredoc %q does not escape ${ and %%{", got)
	}
}
