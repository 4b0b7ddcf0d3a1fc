package check_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/ldexport/ldexport/pkg/cmdtest"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/ldexport/ldexport/pkg/awsquerytest"
	"github.com/ldexport/ldexport/pkg/cmd/dest/check"
	"github.com/ldexport/ldexport/pkg/cmd/root"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/kinesisbackend"
	"github.com/ldexport/ldexport/pkg/preflight"
)

func TestNewCmdCheckFlags(t *testing.T) {
	cmdtest.RunFlagTests(t, check.NewCmdCheck, []cmdtest.FlagTest[check.CheckOptions]{
		{Args: "prod", Want: check.CheckOptions{Name: "prod", Timeout: time.Minute}},
		{Args: "prod --events-per-month 120000000", Want: check.CheckOptions{Name: "prod", EventsPerMonth: 120_000_000, Timeout: time.Minute}},
		{Args: "prod --events-per-month 50_000_000", Want: check.CheckOptions{Name: "prod", EventsPerMonth: 50_000_000, Timeout: time.Minute}},
		{Args: "prod --timeout 5s", Want: check.CheckOptions{Name: "prod", Timeout: 5 * time.Second}},
		{Args: "prod --events-per-month 0", WantErr: "--events-per-month: invalid count"},
		{Args: "prod --events-per-month -5", WantErr: "--events-per-month: invalid count"},
		{Args: "prod --events-per-month lots", WantErr: "--events-per-month: invalid count"},
		{Args: "prod --timeout 0s", WantErr: "--timeout: must be more than 0"},
		{Args: "", WantErr: "name the destination"},
	})
}

type harness struct {
	t      *testing.T
	config string
	k      kinesisbackend.Kinesis
	// aws, when set, answers STS and IAM; Kinesis then goes to k
	// without the destination knowing it is an emulator.
	aws *awsquerytest.Server
}

func newHarness(t *testing.T, b kinesisbackend.Backend, streams ...string) *harness {
	cmdtest.EmulatorCredentials(t, "AKIDCALLER")
	return &harness{t: t, config: filepath.Join(t.TempDir(), "config.yaml"), k: b.Start(t, streams...)}
}

func (h *harness) run(args ...string) (string, string, int) {
	h.t.Helper()
	return cmdtest.Execute(root.Execute, h.fake, append([]string{"--config", h.config}, args...)...)
}

// fake sends STS and IAM calls to h.aws and Kinesis calls to h.k,
// when h.aws is set.
func (h *harness) fake(f *cmdutil.Factory) {
	if h.aws != nil {
		creds := credentials.NewStaticCredentialsProvider("AKIDCALLER", "local", "")
		f.STS = func(ctx context.Context, region string) (*sts.Client, error) {
			return sts.New(sts.Options{Region: region, BaseEndpoint: aws.String(h.aws.URL), Credentials: creds}), nil
		}
		f.IAM = func(ctx context.Context, _ string) (*iam.Client, error) {
			return iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(h.aws.URL), Credentials: creds}), nil
		}
		f.Kinesis = func(ctx context.Context, region, endpointURL string) (*kinesis.Client, error) {
			return h.k.Client, nil
		}
	}
}

func (h *harness) create(args ...string) {
	h.t.Helper()
	if _, stderr, code := h.run(append([]string{"dest", "create"}, args...)...); code != 0 {
		h.t.Fatalf("dest create: exit %d: %s", code, stderr)
	}
}

func decode(t *testing.T, out string) preflight.Report {
	t.Helper()
	var rep preflight.Report
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("output is not the report JSON: %v\n%s", err, out)
	}
	return rep
}

func statuses(rep preflight.Report) string {
	var parts []string
	for _, c := range rep.Checks {
		parts = append(parts, c.Name+"="+string(c.Status))
	}
	return strings.Join(parts, " ")
}

func TestDestCheck(t *testing.T) {
	kinesisbackend.Each(t, testDestCheck)
}

func testDestCheck(t *testing.T, b kinesisbackend.Backend) {
	h := newHarness(t, b, "ld-events:2")
	h.create("local", "--env", "test", "--stream", "ld-events", "--role-arn", "arn:aws:iam::123456789012:role/ld-export", "--region", "us-east-1", "--endpoint-url", h.k.Endpoint)
	h.create("gone", "--env", "other", "--stream", "no-such-stream", "--role-arn", "arn:aws:iam::123456789012:role/ld-export", "--region", "us-east-1", "--endpoint-url", h.k.Endpoint)

	t.Run("stream checks pass, IAM checks skip", func(t *testing.T) {
		out, stderr, code := h.run("dest", "check", "local", "--events-per-month", "120_000_000", "-o", "json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		rep := decode(t, out)
		want := "credentials=skip account=skip stream=pass capacity=warn encryption=pass role=skip trust=skip permissions=skip"
		if got := statuses(rep); got != want || !rep.OK || rep.Destination != "local" {
			t.Fatalf("checks %s (ok %v), want %s (ok true)", got, rep.OK, want)
		}
		if want := (preflight.Endpoints{Kinesis: h.k.Endpoint}); rep.Endpoints != want || !strings.Contains(out, `"iam": "AWS"`) {
			t.Errorf("endpoints %+v, want %+v:\n%s", rep.Endpoints, want, out)
		}
		if d := rep.Checks[3].Detail; !strings.Contains(d, "provisioned with 2 open shards") || !strings.Contains(d, "need 3") {
			t.Errorf("capacity detail %q", d)
		}
		for _, i := range []int{5, 6, 7} {
			if !strings.Contains(rep.Checks[i].Detail, "local endpoint") || !strings.Contains(rep.Checks[i].Detail, "IAM would be real AWS: set AWS_ENDPOINT_URL_IAM") {
				t.Errorf("%s detail %q does not say why", rep.Checks[i].Name, rep.Checks[i].Detail)
			}
		}
	})

	t.Run("plain lines when piped", func(t *testing.T) {
		out, _, code := h.run("dest", "check", "local")
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if code != 0 || len(lines) != 8 || !strings.HasPrefix(lines[2], "pass  stream       stream ld-events is ACTIVE") || strings.Contains(out, "\x1b[") {
			t.Fatalf("exit %d, output:\n%s", code, out)
		}
	})

	t.Run("missing stream", func(t *testing.T) {
		out, stderr, code := h.run("dest", "check", "gone", "-o", "json")
		if code != 1 {
			t.Fatalf("exit %d, want 1", code)
		}
		rep := decode(t, out)
		want := "credentials=skip account=skip stream=fail capacity=skip encryption=skip role=skip trust=skip permissions=skip"
		if got := statuses(rep); got != want || rep.OK {
			t.Fatalf("checks %s (ok %v), want %s (ok false)", got, rep.OK, want)
		}
		if !strings.Contains(rep.Checks[2].Detail, "stream no-such-stream not found at endpoint "+h.k.Endpoint) || !strings.Contains(rep.Checks[2].Detail, "fix:") {
			t.Errorf("stream detail %q", rep.Checks[2].Detail)
		}
		if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "1 of 8 checks failed: stream") {
			t.Errorf("stderr %q, want one line naming the failed check", stderr)
		}
	})
}

// The fake AWS below answers the STS and IAM query APIs (form POST with
// Action=...) in their documented XML: GetCallerIdentityResponse,
// GetRoleResponse (the trust policy URL-encoded in AssumeRolePolicyDocument,
// as IAM returns it) and SimulatePrincipalPolicyResponse; errors are
// <ErrorResponse> documents with 403 (AccessDenied) or 404 (NoSuchEntity).

const (
	account   = "000000000000" // kinesistest's and kinesalite's account, so the stream ARN matches
	roleARN   = "arn:aws:iam::000000000000:role/ld-export"
	goodTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::554582317989:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-123"}}}]}`
)

func callerIdentity(acct string) awsquerytest.Handler {
	return awsquerytest.OK(fmt.Sprintf(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::%s:user/alice</Arn>
    <UserId>AIDAEXAMPLE</UserId>
    <Account>%s</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>`, acct, acct))
}

func getRole(trust string) awsquerytest.Handler {
	return func(form url.Values) (int, string) {
		if form.Get("RoleName") != "ld-export" {
			return awsquerytest.Error(http.StatusNotFound, "NoSuchEntity", "The role with name "+form.Get("RoleName")+" cannot be found.")
		}
		return http.StatusOK, fmt.Sprintf(`<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <GetRoleResult>
    <Role>
      <Path>/</Path>
      <AssumeRolePolicyDocument>%s</AssumeRolePolicyDocument>
      <MaxSessionDuration>3600</MaxSessionDuration>
      <RoleId>AROAEXAMPLE</RoleId>
      <RoleName>ld-export</RoleName>
      <Arn>%s</Arn>
      <CreateDate>2026-11-01T00:00:00Z</CreateDate>
    </Role>
  </GetRoleResult>
  <ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata>
</GetRoleResponse>`, url.QueryEscape(trust), roleARN)
	}
}

// simulate answers SimulatePrincipalPolicy: allowed for the listed actions,
// implicitDeny for the others, for each requested action.
func simulate(allowed ...string) awsquerytest.Handler {
	return func(form url.Values) (int, string) {
		var members strings.Builder
		for i := 1; form.Get(fmt.Sprintf("ActionNames.member.%d", i)) != ""; i++ {
			action := form.Get(fmt.Sprintf("ActionNames.member.%d", i))
			decision := "implicitDeny"
			for _, a := range allowed {
				if a == action {
					decision = "allowed"
				}
			}
			fmt.Fprintf(&members, `<member><EvalActionName>%s</EvalActionName><EvalResourceName>%s</EvalResourceName><EvalDecision>%s</EvalDecision><MatchedStatements/><MissingContextValues/></member>`,
				action, form.Get("ResourceArns.member.1"), decision)
		}
		return http.StatusOK, fmt.Sprintf(`<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <SimulatePrincipalPolicyResult>
    <IsTruncated>false</IsTruncated>
    <EvaluationResults>%s</EvaluationResults>
  </SimulatePrincipalPolicyResult>
  <ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata>
</SimulatePrincipalPolicyResponse>`, members.String())
	}
}

func TestDestCheckIAM(t *testing.T) {
	good := map[string]awsquerytest.Handler{
		"GetCallerIdentity":       callerIdentity(account),
		"GetRole":                 getRole(goodTrust),
		"SimulatePrincipalPolicy": simulate("kinesis:PutRecord", "kinesis:PutRecords"),
	}
	with := func(action string, h awsquerytest.Handler) map[string]awsquerytest.Handler {
		m := map[string]awsquerytest.Handler{}
		for k, v := range good {
			m[k] = v
		}
		m[action] = h
		return m
	}
	tests := []struct {
		name       string
		actions    map[string]awsquerytest.Handler
		externalID string
		want       string
		check      string
		detail     string
		exit       int
	}{
		{"a fully good set-up", good, "ext-123",
			"credentials=pass account=pass stream=pass capacity=pass encryption=pass role=pass trust=pass permissions=pass",
			"permissions", "allow kinesis:PutRecord and kinesis:PutRecords on arn:aws:kinesis:us-east-1:000000000000:stream/ld-events", 0},
		{"trust names the wrong account", with("GetRole", getRole(strings.ReplaceAll(goodTrust, "554582317989", "111111111111"))), "ext-123",
			"credentials=pass account=pass stream=pass capacity=pass encryption=pass role=pass trust=fail permissions=pass",
			"trust", "it trusts arn:aws:iam::111111111111:root; fix: ldexport iam apply --dest prod", 1},
		{"trust lacks the destination's external ID", with("GetRole", getRole(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::554582317989:root"},"Action":"sts:AssumeRole"}]}`)), "ext-123",
			"credentials=pass account=pass stream=pass capacity=pass encryption=pass role=pass trust=fail permissions=pass",
			"trust", "no sts:ExternalId condition, but the destination has external ID ext-123", 1},
		{"a policy that only allows PutRecord", with("SimulatePrincipalPolicy", simulate("kinesis:PutRecord")), "ext-123",
			"credentials=pass account=pass stream=pass capacity=pass encryption=pass role=pass trust=pass permissions=fail",
			"permissions", "do not allow kinesis:PutRecords (implicitDeny on arn:aws:kinesis:us-east-1:000000000000:stream/ld-events)", 1},
		{"caller may not simulate", with("SimulatePrincipalPolicy", awsquerytest.AccessDenied("User: arn:aws:iam::000000000000:user/alice is not authorized to perform: iam:SimulatePrincipalPolicy")), "ext-123",
			"credentials=pass account=pass stream=pass capacity=pass encryption=pass role=pass trust=pass permissions=skip",
			"permissions", "caller lacks iam:SimulatePrincipalPolicy", 0},
		{"caller may not read the role", with("GetRole", awsquerytest.AccessDenied("not authorized to perform: iam:GetRole")), "ext-123",
			"credentials=pass account=pass stream=pass capacity=pass encryption=pass role=skip trust=skip permissions=skip",
			"trust", "caller lacks iam:GetRole", 0},
		{"role missing", with("GetRole", func(url.Values) (int, string) {
			return awsquerytest.Error(http.StatusNotFound, "NoSuchEntity", "The role with name ld-export cannot be found.")
		}), "ext-123",
			"credentials=pass account=pass stream=pass capacity=pass encryption=pass role=fail trust=skip permissions=skip",
			"role", "role ld-export does not exist in account 000000000000; fix: ldexport iam apply --dest prod", 1},
		{"caller in another account", with("GetCallerIdentity", callerIdentity("222222222222")), "ext-123",
			"credentials=pass account=warn stream=pass capacity=pass encryption=pass role=skip trust=skip permissions=skip",
			"role", "the caller is in account 222222222222, the role in 000000000000", 0},
		{"no credentials", with("GetCallerIdentity", func(url.Values) (int, string) {
			return awsquerytest.Error(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
		}), "ext-123",
			"credentials=fail account=skip stream=pass capacity=pass encryption=pass role=skip trust=skip permissions=skip",
			"credentials", "InvalidClientTokenId", 1},
	}
	kinesisbackend.Each(t, func(t *testing.T, b kinesisbackend.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := newHarness(t, b, "ld-events:1")
				h.aws = awsquerytest.NewServer(t, tt.actions)
				args := []string{"prod", "--env", "production", "--stream", "ld-events", "--role-arn", roleARN, "--region", "us-east-1"}
				if tt.externalID != "" {
					args = append(args, "--external-id", tt.externalID)
				}
				h.create(args...)
				out, stderr, code := h.run("dest", "check", "prod", "--events-per-month", "50_000_000", "-o", "json")
				if code != tt.exit {
					t.Errorf("exit %d, want %d (stderr %q)", code, tt.exit, stderr)
				}
				rep := decode(t, out)
				if got := statuses(rep); got != tt.want {
					t.Fatalf("checks\n %s\nwant\n %s\n%s", got, tt.want, out)
				}
				if rep.OK != (tt.exit == 0) {
					t.Errorf("ok %v with exit %d", rep.OK, tt.exit)
				}
				for _, c := range rep.Checks {
					if c.Name == tt.check && !strings.Contains(c.Detail, tt.detail) {
						t.Errorf("%s detail %q, want it to contain %q", c.Name, c.Detail, tt.detail)
					}
				}
				for _, call := range h.aws.Calls() {
					if call.Get("Action") == "SimulatePrincipalPolicy" && (call.Get("PolicySourceArn") != roleARN || call.Get("ResourceArns.member.1") != "arn:aws:kinesis:us-east-1:000000000000:stream/ld-events") {
						t.Errorf("SimulatePrincipalPolicy asked %v", call)
					}
				}
			})
		}
	})
}
