package root

// The IAM and STS paths (iam apply, dest test --assume-role, dest check)
// against moto, an implementation of the AWS APIs nobody here wrote. moto
// stands in for IAM, STS and (for single records) Kinesis; the SDK's own
// AWS_ENDPOINT_URL sends every client there, as a user would.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/ldexport/ldexport/pkg/cmd/iam/apply"
	"github.com/ldexport/ldexport/pkg/cmdtest"
	"github.com/ldexport/ldexport/pkg/moto"
	"github.com/ldexport/ldexport/pkg/policy"
	"github.com/ldexport/ldexport/pkg/preflight"
)

func TestMain(m *testing.M) { moto.Main(m) }

const motoRole = "arn:aws:iam::" + moto.Account + ":role/ld-export"

// motoEnv is a test Env whose AWS clients all go to moto, with a stream
// ld-events and a destination "moto" for it.
func motoEnv(t *testing.T) (*cmdtest.Env, *moto.Server) {
	t.Helper()
	s := moto.Start(t)
	e := cmdtest.New(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_ENDPOINT_URL", s.Endpoint)
	ctx := context.Background()
	if _, err := s.Kinesis().CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("ld-events"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	run(t, e, 0, "dest", "create", "moto", "--env", "production", "--stream", "ld-events", "--role-arn", motoRole, "--external-id", "ext-7f3a", "--region", "us-east-1")
	return e, s
}

// run runs ldexport and fails the test unless it exits with want; it returns stdout.
func run(t *testing.T, e *cmdtest.Env, want int, args ...string) string {
	t.Helper()
	e.Reset()
	if code := e.Run(Execute, args...); code != want {
		t.Fatalf("ldexport %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, e.Out, e.ErrOut)
	}
	return e.Out.String()
}

func applyReport(t *testing.T, out string) apply.Report {
	t.Helper()
	var rep apply.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("iam apply -o json: %v\n%s", err, out)
	}
	return rep
}

func results(rep apply.Report) string {
	var parts []string
	for _, s := range rep.Steps {
		parts = append(parts, s.Resource+": "+s.Result)
	}
	return strings.Join(parts, "; ")
}

// decoded is an IAM document as IAM returns it: URL-encoded JSON.
func decoded(t *testing.T, doc string) []byte {
	t.Helper()
	plain, err := url.QueryUnescape(doc)
	if err != nil {
		t.Fatalf("document %q: %v", doc, err)
	}
	return []byte(plain)
}

func TestMotoIAMApply(t *testing.T) {
	e, s := motoEnv(t)
	ctx := context.Background()
	c := s.IAM()
	policyARN := "arn:aws:iam::" + moto.Account + ":policy/ldexport-moto-put-records"

	t.Run("dry run changes nothing", func(t *testing.T) {
		rep := applyReport(t, run(t, e, 0, "iam", "apply", "--dest", "moto", "--dry-run", "-o", "json"))
		if got, want := results(rep), "account: matches destination moto (caller arn:aws:sts::123456789012:user/moto); policy: would create; role: would create; attachment: would attach"; got != want {
			t.Errorf("steps %q, want %q", got, want)
		}
		roles, err := c.ListRoles(ctx, &iam.ListRolesInput{})
		if err != nil || len(roles.Roles) != 0 {
			t.Fatalf("after a dry run: %d roles (%v), want 0", len(roles.Roles), err)
		}
	})

	t.Run("apply creates; the role reads back as iam trust and iam policy print", func(t *testing.T) {
		rep := applyReport(t, run(t, e, 0, "iam", "apply", "--dest", "moto", "-o", "json"))
		if got := results(rep); !strings.Contains(got, "policy: created; role: created; attachment: attached") || rep.RoleARN != motoRole || rep.PolicyARN != policyARN {
			t.Fatalf("report %+v (%s)", rep, got)
		}
		trust := run(t, e, 0, "iam", "trust", "--dest", "moto")
		perms := run(t, e, 0, "iam", "policy", "--dest", "moto")

		role, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ld-export")})
		if err != nil {
			t.Fatal(err)
		}
		if got := decoded(t, aws.ToString(role.Role.AssumeRolePolicyDocument)); !policy.Equal(got, []byte(trust)) {
			t.Errorf("the role's trust policy\n%s\ndiffers from iam trust\n%s", got, trust)
		}
		if !strings.Contains(trust, `"sts:ExternalId": "ext-7f3a"`) {
			t.Errorf("iam trust lacks the external ID:\n%s", trust)
		}
		attached, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("ld-export")})
		if err != nil || len(attached.AttachedPolicies) != 1 || aws.ToString(attached.AttachedPolicies[0].PolicyArn) != policyARN {
			t.Fatalf("attached policies %+v (%v), want only %s", attached, err, policyARN)
		}
		got, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(policyARN)})
		if err != nil {
			t.Fatal(err)
		}
		ver, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(policyARN), VersionId: got.Policy.DefaultVersionId})
		if err != nil {
			t.Fatal(err)
		}
		if doc := decoded(t, aws.ToString(ver.PolicyVersion.Document)); !policy.Equal(doc, []byte(perms)) {
			t.Errorf("the attached policy\n%s\ndiffers from iam policy\n%s", doc, perms)
		}
	})

	t.Run("apply again changes nothing", func(t *testing.T) {
		rep := applyReport(t, run(t, e, 0, "iam", "apply", "--dest", "moto", "-o", "json"))
		if got, want := results(rep), "account: matches destination moto (caller arn:aws:sts::123456789012:user/moto); policy: unchanged (v1); role: trust policy unchanged; attachment: already attached"; got != want {
			t.Errorf("steps %q, want %q", got, want)
		}
	})

	t.Run("a drifted policy with five versions: the oldest goes, ours is the default", func(t *testing.T) {
		for i := 2; i <= 5; i++ {
			doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kinesis:PutRecord","Resource":"arn:aws:kinesis:us-east-1:123456789012:stream/drift-%d"}]}`, i)
			if _, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(policyARN), PolicyDocument: aws.String(doc), SetAsDefault: true}); err != nil {
				t.Fatalf("version %d: %v", i, err)
			}
		}
		rep := applyReport(t, run(t, e, 0, "iam", "apply", "--dest", "moto", "-o", "json"))
		if got := results(rep); !strings.Contains(got, "policy: deleted oldest version v1 (IAM keeps five); policy: updated: new default version v6 (was v5)") {
			t.Fatalf("steps %q", got)
		}
		list, err := c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(policyARN)})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, v := range list.Versions {
			id := aws.ToString(v.VersionId)
			if v.IsDefaultVersion {
				id += "*"
			}
			ids = append(ids, id)
		}
		if got := strings.Join(ids, " "); len(ids) != 5 || strings.Contains(got, "v1") || !strings.Contains(got, "v6*") {
			t.Errorf("versions %s, want v2..v5 and v6 as the default", got)
		}
	})
}

func TestMotoDestTestAssumeRole(t *testing.T) {
	e, _ := motoEnv(t)
	run(t, e, 0, "iam", "apply", "--dest", "moto")
	out := run(t, e, 0, "dest", "test", "moto", "--assume-role", "--verify", "-o", "json")
	var res struct {
		AssumedRole, Verified bool
		ShardID               string
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || !res.AssumedRole || !res.Verified || res.ShardID == "" {
		t.Fatalf("result %s (%v), want assumed, verified", out, err)
	}
}

func TestMotoDestCheck(t *testing.T) {
	e, s := motoEnv(t)
	run(t, e, 0, "iam", "apply", "--dest", "moto")
	out := run(t, e, 0, "dest", "check", "moto", "--events-per-month", "10M", "-o", "json")
	var rep preflight.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	want := "credentials=pass account=pass stream=pass capacity=pass encryption=pass role=pass trust=pass permissions=skip"
	var got []string
	for _, c := range rep.Checks {
		got = append(got, c.Name+"="+string(c.Status))
	}
	if strings.Join(got, " ") != want || !rep.OK {
		t.Fatalf("checks %s (ok %v), want %s\n%s", got, rep.OK, want, out)
	}
	if want := (preflight.Endpoints{Kinesis: s.Endpoint, IAM: s.Endpoint, STS: s.Endpoint}); rep.Endpoints != want {
		t.Errorf("endpoints %+v, want %+v", rep.Endpoints, want)
	}
	for _, i := range []int{0, 2, 5} {
		if !strings.Contains(rep.Checks[i].Detail, s.Endpoint) {
			t.Errorf("%s detail %q does not name the endpoint its call went to", rep.Checks[i].Name, rep.Checks[i].Detail)
		}
	}
	if d := rep.Checks[7].Detail; !strings.Contains(d, "does not implement SimulatePrincipalPolicy") || strings.Contains(d, "XML syntax error") {
		t.Errorf("permissions detail %q, want the reason it was skipped", d)
	}
}

// With IAM enforcement on, a caller whose policies lack one permission gets
// one line naming it.
func TestMotoIAMApplyDenied(t *testing.T) {
	e, s := motoEnv(t)
	ctx := context.Background()
	c := s.IAM()
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("deployer")}); err != nil {
		t.Fatal(err)
	}
	// Everything apply needs to read, nothing it needs to create.
	readOnly := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:GetCallerIdentity","iam:Get*","iam:List*"],"Resource":"*"}]}`
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("deployer"), PolicyName: aws.String("read-only"), PolicyDocument: aws.String(readOnly)}); err != nil {
		t.Fatal(err)
	}
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("deployer")})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", aws.ToString(key.AccessKey.AccessKeyId))
	t.Setenv("AWS_SECRET_ACCESS_KEY", aws.ToString(key.AccessKey.SecretAccessKey))
	s.EnforceIAM(t)

	run(t, e, 1, "iam", "apply", "--dest", "moto")
	stderr := e.ErrOut.String()
	for _, want := range []string{"IAM CreatePolicy on arn:aws:iam::123456789012:policy/ldexport-moto-put-records: access denied", "fix: grant the caller iam:CreatePolicy"} {
		if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, want) {
			t.Errorf("stderr %q, want one line containing %q", stderr, want)
		}
	}

	// moto answers a Kinesis denial with XML and HTTP 403, where Kinesis
	// speaks JSON: still one line that says access was denied, no retries.
	e.Reset()
	e.In.WriteString(`{"project":"p","environment":"e","event":{"kind":"custom","key":"k"},"version":1}` + "\n")
	run(t, e, 1, "send", "--dest", "moto", "--reject-file", t.TempDir()+"/rejects.ndjson")
	stderr = e.ErrOut.String()
	t.Logf("send: %s", stderr)
	if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "HTTP 403") || !strings.Contains(stderr, "access denied or credentials rejected") || strings.Contains(stderr, "cannot reach") {
		t.Errorf("send: stderr %q, want one line saying access was denied", stderr)
	}
}

// A destination on a local Kinesis emulator never sends its IAM calls to
// real AWS by accident; pointing IAM and STS at moto makes it work.
func TestMotoLocalKinesisIAMEndpoints(t *testing.T) {
	s := moto.Start(t)
	e := cmdtest.New(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	run(t, e, 0, "dest", "create", "local", "--env", "test", "--stream", "ld-events", "--role-arn", motoRole, "--region", "us-east-1", "--endpoint-url", s.Endpoint)

	run(t, e, 2, "iam", "apply", "--dest", "local")
	if stderr := e.ErrOut.String(); !strings.Contains(stderr, "IAM and STS calls would go to real AWS") || !strings.Contains(stderr, "--allow-real-aws") {
		t.Errorf("stderr %q", stderr)
	}
	run(t, e, 2, "dest", "test", "local", "--assume-role")
	if stderr := e.ErrOut.String(); !strings.Contains(stderr, "--assume-role: Kinesis is the local endpoint "+s.Endpoint+", but STS calls would go to real AWS") {
		t.Errorf("stderr %q", stderr)
	}

	t.Setenv("AWS_ENDPOINT_URL_IAM", s.Endpoint)
	t.Setenv("AWS_ENDPOINT_URL_STS", s.Endpoint)
	rep := applyReport(t, run(t, e, 0, "iam", "apply", "--dest", "local", "-o", "json"))
	if rep.RoleARN != motoRole {
		t.Errorf("role %s, want %s", rep.RoleARN, motoRole)
	}
	if _, err := s.IAM().GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("ld-export")}); err != nil {
		t.Errorf("the role is not in moto: %v", err)
	}

	// dest check no longer skips IAM and STS because a Kinesis endpoint is set.
	if _, err := s.Kinesis().CreateStream(context.Background(), &kinesis.CreateStreamInput{StreamName: aws.String("ld-events"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	var check preflight.Report
	if err := json.Unmarshal([]byte(run(t, e, 0, "dest", "check", "local", "-o", "json")), &check); err != nil {
		t.Fatal(err)
	}
	for _, c := range check.Checks {
		if c.Status == preflight.Skip && c.Name != preflight.CheckPermissions {
			t.Errorf("%s skipped: %s", c.Name, c.Detail)
		}
	}
}
