package apply

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/ldexport/ldexport/pkg/cmdtest"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/golden"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/launchdarkly"
	"github.com/ldexport/ldexport/pkg/ldfake"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/policy"
	"github.com/ldexport/ldexport/pkg/store"
)

const account = "123456789012"

// fakeAWS is an httptest server that answers the IAM and STS query APIs the
// way AWS documents them: form-encoded POSTs (Action=...&Version=2010-05-08
// for IAM, Version=2011-06-15 for STS), XML results wrapped in
// <ActionResponse><ActionResult>, XML errors in <ErrorResponse> with HTTP
// 404 (NoSuchEntity) or 403 (AccessDenied), and policy documents returned
// URL-encoded. There is no IAM emulator to test against, so the real SDK
// clients are pointed at this server. It keeps just enough state (roles,
// policies with versions, attachments) to check idempotence.
type fakeAWS struct {
	mu        sync.Mutex
	account   string
	partition string // of the ARNs it makes
	actions   []string
	forms     map[string]url.Values // last request of each action
	roles     map[string]*fakeRole  // by name
	policies  map[string]*fakePolicy
	attached  map[string][]string // role name → policy ARNs
	deny      map[string]bool     // actions answered with AccessDenied
}

type fakeRole struct{ path, name, trust string }

type fakePolicy struct {
	name, defaultID string
	versions        []fakeVersion
	next            int
}

type fakeVersion struct {
	id, doc string
	created time.Time
}

func newFakeAWS() *fakeAWS {
	return &fakeAWS{account: account, partition: "aws", forms: map[string]url.Values{}, roles: map[string]*fakeRole{}, policies: map[string]*fakePolicy{}, attached: map[string][]string{}, deny: map[string]bool{}}
}

// iamEncode encodes a document as IAM returns it (RFC 3986 percent-encoding).
func iamEncode(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (f *fakeAWS) roleXML(r *fakeRole) string {
	return fmt.Sprintf("<Role><Path>%s</Path><RoleName>%s</RoleName><RoleId>AROAFAKE</RoleId><Arn>arn:%s:iam::%s:role%s%s</Arn><CreateDate>2026-11-26T10:00:00Z</CreateDate><AssumeRolePolicyDocument>%s</AssumeRolePolicyDocument></Role>",
		esc(r.path), esc(r.name), f.partition, f.account, esc(r.path), esc(r.name), iamEncode(r.trust))
}

func policyXML(arn string, p *fakePolicy) string {
	return fmt.Sprintf("<Policy><PolicyName>%s</PolicyName><PolicyId>ANPAFAKE</PolicyId><Arn>%s</Arn><Path>/</Path><DefaultVersionId>%s</DefaultVersionId><AttachmentCount>0</AttachmentCount><IsAttachable>true</IsAttachable><CreateDate>2026-11-26T10:00:00Z</CreateDate><UpdateDate>2026-11-26T10:00:00Z</UpdateDate></Policy>",
		esc(p.name), esc(arn), p.defaultID)
}

func versionXML(v fakeVersion, isDefault, withDoc bool) string {
	doc := ""
	if withDoc {
		doc = "<Document>" + iamEncode(v.doc) + "</Document>"
	}
	return fmt.Sprintf("<PolicyVersion>%s<VersionId>%s</VersionId><IsDefaultVersion>%t</IsDefaultVersion><CreateDate>%s</CreateDate></PolicyVersion>",
		doc, v.id, isDefault, v.created.UTC().Format(time.RFC3339))
}

func (p *fakePolicy) addVersion(doc string, created time.Time, setDefault bool) fakeVersion {
	p.next++
	v := fakeVersion{id: fmt.Sprintf("v%d", p.next), doc: doc, created: created}
	p.versions = append(p.versions, v)
	if setDefault {
		p.defaultID = v.id
	}
	return v
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	action, version := r.PostForm.Get("Action"), r.PostForm.Get("Version")
	f.actions = append(f.actions, action)
	f.forms[action] = r.PostForm
	ns := "https://iam.amazonaws.com/doc/2010-05-08/"
	if version == "2011-06-15" {
		ns = "https://sts.amazonaws.com/doc/2011-06-15/"
	} else if version != "2010-05-08" {
		http.Error(w, "unknown version "+version, http.StatusBadRequest)
		return
	}
	if f.deny[action] {
		writeError(w, http.StatusForbidden, "AccessDenied", "User: arn:aws:iam::"+f.account+":user/dev is not authorized to perform: iam:"+action)
		return
	}
	result, status, code := f.handle(action, r.PostForm)
	if code != "" {
		writeError(w, status, code, result)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%sResponse xmlns="%s">`, action, ns)
	if result != "" {
		fmt.Fprintf(w, "<%sResult>%s</%sResult>", action, result, action)
	}
	fmt.Fprintf(w, "<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></%sResponse>", action)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>req-1</RequestId></ErrorResponse>", code, esc(msg))
}

// handle answers one action: the result's inner XML, or an error message
// with its HTTP status and code.
func (f *fakeAWS) handle(action string, form url.Values) (string, int, string) {
	notFound := func(what string) (string, int, string) {
		return "The " + what + " cannot be found.", http.StatusNotFound, "NoSuchEntity"
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	switch action {
	case "GetCallerIdentity":
		return fmt.Sprintf("<Arn>arn:aws:iam::%s:user/dev</Arn><UserId>AIDAFAKE</UserId><Account>%s</Account>", f.account, f.account), 0, ""
	case "GetRole":
		r, ok := f.roles[form.Get("RoleName")]
		if !ok {
			return notFound("role " + form.Get("RoleName"))
		}
		return f.roleXML(r), 0, ""
	case "CreateRole":
		r := &fakeRole{path: form.Get("Path"), name: form.Get("RoleName"), trust: form.Get("AssumeRolePolicyDocument")}
		if r.path == "" {
			r.path = "/"
		}
		f.roles[r.name] = r
		return f.roleXML(r), 0, ""
	case "UpdateAssumeRolePolicy":
		r, ok := f.roles[form.Get("RoleName")]
		if !ok {
			return notFound("role")
		}
		r.trust = form.Get("PolicyDocument")
		return "", 0, ""
	case "GetPolicy":
		p, ok := f.policies[form.Get("PolicyArn")]
		if !ok {
			return notFound("policy")
		}
		return policyXML(form.Get("PolicyArn"), p), 0, ""
	case "CreatePolicy":
		arn := "arn:" + f.partition + ":iam::" + f.account + ":policy/" + form.Get("PolicyName")
		p := &fakePolicy{name: form.Get("PolicyName")}
		p.addVersion(form.Get("PolicyDocument"), now, true)
		f.policies[arn] = p
		return policyXML(arn, p), 0, ""
	case "GetPolicyVersion":
		p, ok := f.policies[form.Get("PolicyArn")]
		if !ok {
			return notFound("policy")
		}
		for _, v := range p.versions {
			if v.id == form.Get("VersionId") {
				return versionXML(v, v.id == p.defaultID, true), 0, ""
			}
		}
		return notFound("version")
	case "ListPolicyVersions":
		p, ok := f.policies[form.Get("PolicyArn")]
		if !ok {
			return notFound("policy")
		}
		var b strings.Builder
		b.WriteString("<Versions>")
		for _, v := range p.versions {
			b.WriteString("<member>" + strings.TrimSuffix(strings.TrimPrefix(versionXML(v, v.id == p.defaultID, false), "<PolicyVersion>"), "</PolicyVersion>") + "</member>")
		}
		b.WriteString("</Versions><IsTruncated>false</IsTruncated>")
		return b.String(), 0, ""
	case "CreatePolicyVersion":
		p, ok := f.policies[form.Get("PolicyArn")]
		if !ok {
			return notFound("policy")
		}
		if len(p.versions) >= 5 {
			return "A managed policy can have up to 5 versions.", http.StatusConflict, "LimitExceeded"
		}
		v := p.addVersion(form.Get("PolicyDocument"), now, form.Get("SetAsDefault") == "true")
		return versionXML(v, v.id == p.defaultID, false), 0, ""
	case "DeletePolicyVersion":
		p, ok := f.policies[form.Get("PolicyArn")]
		if !ok {
			return notFound("policy")
		}
		for i, v := range p.versions {
			if v.id == form.Get("VersionId") {
				if v.id == p.defaultID {
					return "Cannot delete the default version.", http.StatusConflict, "DeleteConflict"
				}
				p.versions = append(p.versions[:i], p.versions[i+1:]...)
				return "", 0, ""
			}
		}
		return notFound("version")
	case "ListAttachedRolePolicies":
		if _, ok := f.roles[form.Get("RoleName")]; !ok {
			return notFound("role")
		}
		var b strings.Builder
		b.WriteString("<AttachedPolicies>")
		for _, arn := range f.attached[form.Get("RoleName")] {
			b.WriteString("<member><PolicyName>" + esc(arn[strings.LastIndex(arn, "/")+1:]) + "</PolicyName><PolicyArn>" + esc(arn) + "</PolicyArn></member>")
		}
		b.WriteString("</AttachedPolicies><IsTruncated>false</IsTruncated>")
		return b.String(), 0, ""
	case "AttachRolePolicy":
		name := form.Get("RoleName")
		if _, ok := f.roles[name]; !ok {
			return notFound("role")
		}
		f.attached[name] = append(f.attached[name], form.Get("PolicyArn"))
		return "", 0, ""
	}
	return "unknown action " + action, http.StatusBadRequest, "InvalidAction"
}

func (f *fakeAWS) takeActions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.actions
	f.actions = nil
	return a
}

var writeActions = map[string]bool{"CreateRole": true, "UpdateAssumeRolePolicy": true, "CreatePolicy": true, "CreatePolicyVersion": true, "DeletePolicyVersion": true, "AttachRolePolicy": true}

func prodDest(roleARN, externalID string) store.Destination {
	return store.Destination{
		Name: "prod", Project: "default", Environment: "production", Region: "us-east-1", StreamName: "ld-events",
		StreamARN: "arn:aws:kinesis:us-east-1:" + account + ":stream/ld-events",
		RoleARN:   roleARN, AccountID: account, ExternalID: externalID,
		CreatedAt: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC),
	}
}

// testFactory points real SDK clients at the fake server, with static
// credentials, and keeps destinations in a temp store.
func testFactory(t *testing.T, fake *fakeAWS, d store.Destination) (*cmdutil.Factory, *store.Store, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	creds := credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRETTEST", "")
	ios, _, out, errOut := iostreams.Test()
	s := store.New(t.TempDir() + "/config.yaml")
	if err := s.Add(d); err != nil {
		t.Fatal(err)
	}
	f := &cmdutil.Factory{
		IOStreams: ios,
		Globals:   &cmdutil.GlobalOptions{Output: output.Table},
		Store:     func() (*store.Store, error) { return s, nil },
		IAM: func(ctx context.Context, region string) (*iam.Client, error) {
			return iam.New(iam.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1}), nil
		},
		STS: func(ctx context.Context, region string) (*sts.Client, error) {
			return sts.New(sts.Options{Region: region, Credentials: creds, BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1}), nil
		},
		// apply only asks the Kinesis client where it would go.
		Kinesis: func(ctx context.Context, region, endpointURL string) (*kinesis.Client, error) {
			o := kinesis.Options{Region: region, Credentials: creds}
			if endpointURL != "" {
				o.BaseEndpoint = aws.String(endpointURL)
			}
			return kinesis.New(o), nil
		},
	}
	return f, s, out, errOut
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := policy.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestNewCmdApplyFlags(t *testing.T) {
	cmdtest.RunFlagTests(t, NewCmdApply, []cmdtest.FlagTest[ApplyOptions]{
		{Args: "--dest prod", Want: ApplyOptions{Dest: "prod", Timeout: 2 * time.Minute}},
		{Args: "--dest prod --role-name r --policy-name p --restricted --dry-run --timeout 5s", Want: ApplyOptions{Dest: "prod", RoleName: "r", PolicyName: "p", Restricted: true, DryRun: true, Timeout: 5 * time.Second}},
		{Args: "--dest prod --trust-from-launchdarkly --allow-real-aws", Want: ApplyOptions{Dest: "prod", TrustFromLaunchDarkly: true, AllowRealAWS: true, Timeout: 2 * time.Minute}},
		{Args: "--dest prod --timeout 0s", WantErr: "--timeout: must be more than 0"},
		{Args: "", WantErr: "--dest is required"},
		{Args: "--dest prod --role-name a/b", WantErr: "--role-name: "},
		{Args: "--dest prod --role-name " + strings.Repeat("r", 65), WantErr: "--role-name: "},
		{Args: "--dest prod --policy-name=", WantErr: "--policy-name: "},
		{Args: "--dest prod --launchdarkly-account 12", WantErr: "--launchdarkly-account: "},
		{Args: "--dest prod --trust-from-launchdarkly --restricted", WantErr: "--trust-from-launchdarkly uses LaunchDarkly's own trust policy"},
		// As in `iam trust`, --launchdarkly-account names LaunchDarkly's account
		// in the role's partition; LaunchDarkly's generated policy must name it.
		{Args: "--dest prod --trust-from-launchdarkly --launchdarkly-account 123456789012", Want: ApplyOptions{Dest: "prod", TrustFromLaunchDarkly: true, LaunchDarklyAccount: "123456789012", Timeout: 2 * time.Minute}},
	})
}

func TestApply(t *testing.T) {
	const roleARN = "arn:aws:iam::" + account + ":role/ld-export"
	const policyARN = "arn:aws:iam::" + account + ":policy/ldexport-prod-put-records"
	d := prodDest(roleARN, "ld-prod-7f3a")
	wantTrust := mustMarshal(t, policy.TrustPolicy(false, "ld-prod-7f3a"))
	wantPerm := mustMarshal(t, policy.PermissionsPolicy("us-east-1", account, "ld-events", ""))
	oldPerm := mustMarshal(t, policy.PermissionsPolicy("us-east-1", account, "old-stream", ""))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	// upToDate is the state a first run leaves behind.
	upToDate := func(f *fakeAWS) {
		f.roles["ld-export"] = &fakeRole{path: "/", name: "ld-export", trust: wantTrust}
		p := &fakePolicy{name: "ldexport-prod-put-records"}
		p.addVersion(wantPerm, t0, true)
		f.policies[policyARN] = p
		f.attached["ld-export"] = []string{policyARN}
	}

	tests := []struct {
		name        string
		setup       func(*fakeAWS)
		args        []string
		wantActions []string
		wantCode    int
		wantErr     string
		check       func(t *testing.T, f *fakeAWS, out string)
	}{
		{
			name:        "first run creates policy and role and attaches",
			wantActions: []string{"GetCallerIdentity", "GetPolicy", "CreatePolicy", "GetRole", "CreateRole", "AttachRolePolicy"},
			check: func(t *testing.T, f *fakeAWS, out string) {
				r := f.roles["ld-export"]
				if r == nil || r.path != "/" || !policy.Equal([]byte(r.trust), []byte(wantTrust)) {
					t.Errorf("role = %+v", r)
				}
				p := f.policies[policyARN]
				if p == nil || len(p.versions) != 1 || p.versions[0].doc != wantPerm {
					t.Errorf("policy = %+v", p)
				}
				if !reflect.DeepEqual(f.attached["ld-export"], []string{policyARN}) {
					t.Errorf("attached = %v", f.attached)
				}
				for _, want := range []string{"policy       " + policyARN + ": created", "role         " + roleARN + ": created", "attachment   ldexport-prod-put-records → ld-export: attached", "Role ARN: " + roleARN} {
					if !strings.Contains(out, want) {
						t.Errorf("output lacks %q:\n%s", want, out)
					}
				}
			},
		},
		{
			name:        "second run writes nothing",
			setup:       upToDate,
			wantActions: []string{"GetCallerIdentity", "GetPolicy", "GetPolicyVersion", "GetRole", "ListAttachedRolePolicies"},
		},
		{
			name: "changed trust policy is updated, nothing else",
			setup: func(f *fakeAWS) {
				upToDate(f)
				f.roles["ld-export"].trust = mustMarshal(t, policy.TrustPolicy(false, ""))
			},
			wantActions: []string{"GetCallerIdentity", "GetPolicy", "GetPolicyVersion", "GetRole", "UpdateAssumeRolePolicy", "ListAttachedRolePolicies"},
			check: func(t *testing.T, f *fakeAWS, out string) {
				if !policy.Equal([]byte(f.roles["ld-export"].trust), []byte(wantTrust)) {
					t.Errorf("trust = %s", f.roles["ld-export"].trust)
				}
			},
		},
		{
			name: "changed document with five versions prunes the oldest non-default",
			setup: func(f *fakeAWS) {
				upToDate(f)
				p := &fakePolicy{name: "ldexport-prod-put-records"}
				p.addVersion(oldPerm, t0, true) // v1: the default, and the oldest
				for i := 1; i < 5; i++ {
					p.addVersion(oldPerm, t0.Add(time.Duration(i)*time.Hour), false)
				}
				f.policies[policyARN] = p
			},
			wantActions: []string{"GetCallerIdentity", "GetPolicy", "GetPolicyVersion", "ListPolicyVersions", "DeletePolicyVersion", "CreatePolicyVersion", "GetRole", "ListAttachedRolePolicies"},
			check: func(t *testing.T, f *fakeAWS, out string) {
				if got := f.forms["DeletePolicyVersion"].Get("VersionId"); got != "v2" {
					t.Errorf("deleted %s, want v2 (the oldest that is not the default)", got)
				}
				if got := f.forms["CreatePolicyVersion"].Get("SetAsDefault"); got != "true" {
					t.Errorf("SetAsDefault = %q", got)
				}
				p := f.policies[policyARN]
				if p.defaultID != "v6" || len(p.versions) != 5 {
					t.Errorf("default %s with %d versions, want v6 of 5", p.defaultID, len(p.versions))
				}
			},
		},
		{
			name:        "dry run reads only",
			args:        []string{"--dry-run"},
			wantActions: []string{"GetCallerIdentity", "GetPolicy", "GetRole"},
			check: func(t *testing.T, f *fakeAWS, out string) {
				if len(f.roles) != 0 || len(f.policies) != 0 {
					t.Errorf("dry run changed state: %v %v", f.roles, f.policies)
				}
				for _, want := range []string{"would create", "would attach"} {
					if !strings.Contains(out, want) {
						t.Errorf("output lacks %q:\n%s", want, out)
					}
				}
			},
		},
		{
			name: "dry run with drift reads only",
			args: []string{"--dry-run", "--restricted"},
			setup: func(f *fakeAWS) {
				upToDate(f)
				f.policies[policyARN].versions[0].doc = oldPerm
				f.attached["ld-export"] = nil
			},
			wantActions: []string{"GetCallerIdentity", "GetPolicy", "GetPolicyVersion", "ListPolicyVersions", "GetRole", "ListAttachedRolePolicies"},
			check: func(t *testing.T, f *fakeAWS, out string) {
				for _, want := range []string{"would update: new default version", "would update the trust policy", "would attach"} {
					if !strings.Contains(out, want) {
						t.Errorf("output lacks %q:\n%s", want, out)
					}
				}
			},
		},
		{
			name:        "access denied names the action and the permission",
			setup:       func(f *fakeAWS) { f.deny["CreateRole"] = true },
			wantActions: []string{"GetCallerIdentity", "GetPolicy", "CreatePolicy", "GetRole", "CreateRole"},
			wantCode:    1,
			wantErr:     "IAM CreateRole on arn:aws:iam::123456789012:role/ld-export: access denied (",
		},
		{
			name:        "credentials of another account",
			setup:       func(f *fakeAWS) { f.account = "999999999999" },
			wantActions: []string{"GetCallerIdentity"},
			wantCode:    1,
			wantErr:     "the AWS credentials are for account 999999999999",
		},
		{
			name: "other IAM errors fail on one line",
			setup: func(f *fakeAWS) {
				upToDate(f)
				f.policies[policyARN].defaultID = "v9"
			},
			wantActions: []string{"GetCallerIdentity", "GetPolicy", "GetPolicyVersion"},
			wantCode:    1,
			wantErr:     "IAM GetPolicyVersion on " + policyARN + ": ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeAWS()
			if tt.setup != nil {
				tt.setup(fake)
			}
			f, _, out, _ := testFactory(t, fake, d)
			err := cmdtest.Exec(f, NewCmdApply, append([]string{"--dest", "prod"}, tt.args...)...)
			if tt.wantErr != "" {
				cmdtest.WantError(t, err, tt.wantCode, tt.wantErr)
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			got := fake.takeActions()
			if !reflect.DeepEqual(got, tt.wantActions) {
				t.Errorf("actions = %v\nwant      %v", got, tt.wantActions)
			}
			if strings.Contains(strings.Join(tt.args, " "), "--dry-run") {
				for _, a := range got {
					if writeActions[a] {
						t.Errorf("dry run sent %s", a)
					}
				}
			}
			if tt.check != nil {
				tt.check(t, fake, out.String())
			}
		})
	}
}

// TestApplyTwice runs apply twice against the same server: the second run
// sends no write.
func TestApplyTwice(t *testing.T) {
	fake := newFakeAWS()
	// An external ID with characters that URL encoding changes ("+", "/", "=").
	f, _, _, _ := testFactory(t, fake, prodDest("arn:aws:iam::"+account+":role/service/ld-export", "a+b/c=d@e:f"))
	if err := cmdtest.Exec(f, NewCmdApply, "--dest", "prod", "--restricted"); err != nil {
		t.Fatal(err)
	}
	if got := fake.forms["CreateRole"].Get("Path"); got != "/service/" {
		t.Errorf("CreateRole Path = %q, want the destination's /service/", got)
	}
	fake.takeActions()
	if err := cmdtest.Exec(f, NewCmdApply, "--dest", "prod", "--restricted"); err != nil {
		t.Fatal(err)
	}
	var writes []string
	for _, a := range fake.takeActions() {
		if writeActions[a] {
			writes = append(writes, a)
		}
	}
	if len(writes) != 0 {
		t.Errorf("second run wrote: %v", writes)
	}
}

// TestApplyUpdatesStoredRoleARN checks that --role-name's role ARN is stored
// in the destination, and that -o json reports the steps.
func TestApplyUpdatesStoredRoleARN(t *testing.T) {
	fake := newFakeAWS()
	f, s, out, _ := testFactory(t, fake, prodDest("arn:aws:iam::"+account+":role/ld-export", ""))
	f.Globals.Output = output.JSON
	if err := cmdtest.Exec(f, NewCmdApply, "--dest", "prod", "--role-name", "ld-export-2", "--policy-name", "ld-put"); err != nil {
		t.Fatal(err)
	}
	d, err := s.Get("prod")
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:iam::" + account + ":role/ld-export-2"; d.RoleARN != want {
		t.Errorf("stored role ARN %s, want %s", d.RoleARN, want)
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	var resources []string
	for _, st := range rep.Steps {
		resources = append(resources, st.Resource)
	}
	sort.Strings(resources)
	if rep.PolicyARN != "arn:aws:iam::"+account+":policy/ld-put" || !reflect.DeepEqual(resources, []string{"account", "attachment", "destination", "policy", "role"}) {
		t.Errorf("report = %+v", rep)
	}
}

func TestSameDocument(t *testing.T) {
	doc := mustMarshal(t, policy.TrustPolicy(false, "a+b c"))
	tests := []struct {
		name   string
		stored string
		want   bool
	}{
		{"URL-encoded as IAM returns it", iamEncode(doc), true},
		{"plain JSON", doc, true},
		{"other document", iamEncode(mustMarshal(t, policy.TrustPolicy(true, "a+b c"))), false},
		{"garbage", "%zz", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sameDocument(tt.stored, doc); got != tt.want {
				t.Errorf("sameDocument = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAWSError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"access denied", &smithy.GenericAPIError{Code: "AccessDenied", Message: "no"}, "IAM GetRole on arn:aws:iam::123456789012:role/r: access denied (AccessDenied: no); fix: grant the caller iam:GetRole on it"},
		{"access denied exception", &smithy.GenericAPIError{Code: "AccessDeniedException"}, "IAM GetRole on arn:aws:iam::123456789012:role/r: access denied (AccessDeniedException); fix: grant the caller iam:GetRole on it"},
		{"no credentials", errors.New("operation error STS: GetCallerIdentity, get identity: get credentials: failed"), "IAM GetRole on arn:aws:iam::123456789012:role/r: no usable AWS credentials ("},
		{"other", &smithy.GenericAPIError{Code: "ServiceFailure", Message: "boom"}, "IAM GetRole on arn:aws:iam::123456789012:role/r: the service failed (ServiceFailure: boom); fix: retry later"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := awsError(context.Background(), "iam:GetRole", "arn:aws:iam::123456789012:role/r", tt.err)
			if !strings.HasPrefix(err.Error(), tt.want) || cmdutil.ExitCode(err) != 1 {
				t.Errorf("awsError = %q (exit %d), want prefix %q, exit 1", err, cmdutil.ExitCode(err), tt.want)
			}
		})
	}
}

// TestApplyGolden keeps what apply prints on a first run, a second run and
// a dry run in testdata/iam.
func TestApplyGolden(t *testing.T) {
	fake := newFakeAWS()
	f, _, out, _ := testFactory(t, fake, prodDest("arn:aws:iam::"+account+":role/ld-export", "ld-prod-7f3a"))
	for _, tt := range []struct {
		golden string
		args   []string
	}{
		{"iam/apply-dry-run.txt", []string{"--dry-run"}},
		{"iam/apply-first-run.txt", nil},
		{"iam/apply-second-run.txt", nil},
	} {
		out.Reset()
		if err := cmdtest.Exec(f, NewCmdApply, append([]string{"--dest", "prod"}, tt.args...)...); err != nil {
			t.Fatal(err)
		}
		golden.Assert(t, "testdata/"+tt.golden, out.Bytes())
	}
}

func TestApplyTrustFromLaunchDarkly(t *testing.T) {
	fake := newFakeAWS()
	f, _, _, _ := testFactory(t, fake, prodDest("arn:aws:iam::"+account+":role/ld-export", ""))
	ld := ldfake.Start(t, "tok")
	f.LaunchDarkly = func() (*launchdarkly.Client, error) {
		return launchdarkly.New(launchdarkly.Config{Host: ld.URL, Token: "tok"})
	}
	if err := cmdtest.Exec(f, NewCmdApply, "--dest", "prod", "--trust-from-launchdarkly"); err != nil {
		t.Fatal(err)
	}
	role := fake.roles["ld-export"]
	if role == nil {
		t.Fatal("role not created")
	}
	var doc struct {
		Statement []struct {
			Principal map[string]string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(role.trust), &doc); err != nil || len(doc.Statement) != 1 {
		t.Fatalf("trust %s: %v", role.trust, err)
	}
	if doc.Statement[0].Principal["AWS"] != policy.LaunchDarklyRestrictedPrincipal || doc.Statement[0].Condition["StringEquals"]["sts:ExternalId"] != ldfake.ExternalID("default", "production") {
		t.Fatalf("trust %s is not LaunchDarkly's generated policy", role.trust)
	}
	fake.takeActions()
	if err := cmdtest.Exec(f, NewCmdApply, "--dest", "prod", "--trust-from-launchdarkly"); err != nil {
		t.Fatal(err)
	}
	for _, a := range fake.takeActions() {
		if writeActions[a] {
			t.Errorf("second run with LaunchDarkly's trust policy wrote %s", a)
		}
	}
}

func TestApplyRefusesOtherPartitionsWithoutLaunchDarklyAccount(t *testing.T) {
	d := prodDest("arn:aws-us-gov:iam::"+account+":role/ld-export", "")
	d.Region = "us-gov-west-1"
	d.StreamARN = "arn:aws-us-gov:kinesis:us-gov-west-1:" + account + ":stream/ld-events"
	f, _, _, _ := testFactory(t, newFakeAWS(), d)
	err := cmdtest.Exec(f, NewCmdApply, "--dest", "prod", "--dry-run")
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "cannot assume roles in another partition") {
		t.Fatalf("aws-us-gov without --launchdarkly-account: %v", err)
	}
}

func TestApplyWarnsAboutTheExternalIDAfterSuccess(t *testing.T) {
	f, _, _, errOut := testFactory(t, newFakeAWS(), prodDest("arn:aws:iam::"+account+":role/ld-export", "ld-prod-7f3a"))
	if err := cmdtest.Exec(f, NewCmdApply, "--dest", "prod"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "LaunchDarkly must present that ID") {
		t.Fatalf("stderr %q: want the external-ID warning", errOut)
	}
}

// TestHostileTrustFromLaunchDarklyWildcardPrincipal: an off-spec generated
// trust policy whose principal is "*" would let any AWS account assume the
// role; it is refused, and no role is created.
func TestHostileTrustFromLaunchDarklyWildcardPrincipal(t *testing.T) {
	for _, principal := range []string{`"*"`, `{"AWS":"*"}`, `{"AWS":["arn:aws:iam::554582317989:root","*"]}`} {
		fake := newFakeAWS()
		f, _, _, _ := testFactory(t, fake, prodDest("arn:aws:iam::"+account+":role/ld-export", ""))
		srv := serveTrustPolicy(t, f, principal)
		err := cmdtest.Exec(f, NewCmdApply, "--dest", "prod", "--trust-from-launchdarkly")
		srv.Close()
		if err == nil || fake.roles["ld-export"] != nil {
			t.Errorf("principal %s: err %v, role %+v: want refused, no role", principal, err, fake.roles["ld-export"])
		}
	}
}

// trustServer is a LaunchDarkly that answers generate-trust-policy with one
// statement whose Principal is principal (JSON) and counts the requests.
type trustServer struct {
	*httptest.Server
	requests atomic.Int32
}

// serveTrustPolicy starts a trustServer and points f's LaunchDarkly at it.
func serveTrustPolicy(t *testing.T, f *cmdutil.Factory, principal string) *trustServer {
	t.Helper()
	ts := &trustServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"awsTrustPolicy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":%s,"Action":["sts:AssumeRole"]}]}}`, principal)
	}))
	t.Cleanup(ts.Close)
	f.LaunchDarkly = func() (*launchdarkly.Client, error) {
		return launchdarkly.New(launchdarkly.Config{Host: ts.URL, Token: "tok"})
	}
	return ts
}

// govDest is prod with its role and stream in aws-us-gov.
func govDest() store.Destination {
	d := prodDest("arn:aws-us-gov:iam::"+account+":role/ld-export", "")
	d.Region = "us-gov-west-1"
	d.StreamARN = "arn:aws-us-gov:kinesis:us-gov-west-1:" + account + ":stream/ld-events"
	return d
}

// TestApplyTrustFromLaunchDarklyKeepsThePartitionRule: with
// --trust-from-launchdarkly, a role in aws-us-gov was set up to trust
// LaunchDarkly's commercial account, which can never assume it; `iam trust`
// refuses that. Now apply refuses it the same way (exit 2, before asking
// LaunchDarkly or AWS) unless --launchdarkly-account names LaunchDarkly's
// account in that partition, and then the generated policy must name it.
func TestApplyTrustFromLaunchDarklyKeepsThePartitionRule(t *testing.T) {
	const govLD = "210987654321"
	tests := []struct {
		name      string
		principal string
		args      []string
		wantCode  int
		wantErr   string
		wantLD    int32 // requests LaunchDarkly gets
		wantTrust string
	}{
		{name: "no --launchdarkly-account", principal: `{"AWS":"arn:aws:iam::554582317989:root"}`, args: nil,
			wantCode: cmdutil.ExitUsage, wantErr: "cannot assume roles in another partition"},
		{name: "generated policy in the commercial partition", principal: `{"AWS":"arn:aws:iam::554582317989:root"}`, args: []string{"--launchdarkly-account", govLD},
			wantCode: cmdutil.ExitRuntime, wantErr: `in partition "aws", but the role is in partition aws-us-gov`, wantLD: 1},
		{name: "generated policy names another account", principal: `{"AWS":["arn:aws-us-gov:iam::111122223333:root"]}`, args: []string{"--launchdarkly-account", govLD},
			wantCode: cmdutil.ExitRuntime, wantErr: "not --launchdarkly-account " + govLD, wantLD: 1},
		{name: "generated policy names the account given", principal: `{"AWS":"arn:aws-us-gov:iam::` + govLD + `:root"}`, args: []string{"--launchdarkly-account", govLD},
			wantLD: 1, wantTrust: "arn:aws-us-gov:iam::" + govLD + ":root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeAWS()
			fake.partition = "aws-us-gov"
			f, _, _, _ := testFactory(t, fake, govDest())
			ld := serveTrustPolicy(t, f, tt.principal)
			err := cmdtest.Exec(f, NewCmdApply, append([]string{"--dest", "prod", "--trust-from-launchdarkly"}, tt.args...)...)
			if code := cmdutil.ExitCode(err); code != tt.wantCode || (tt.wantErr != "" && !strings.Contains(fmt.Sprint(err), tt.wantErr)) {
				t.Fatalf("exit %d, err %v: want exit %d with %q", code, err, tt.wantCode, tt.wantErr)
			}
			if got := ld.requests.Load(); got != tt.wantLD {
				t.Errorf("LaunchDarkly got %d requests, want %d", got, tt.wantLD)
			}
			role := fake.roles["ld-export"]
			if tt.wantTrust == "" {
				if role != nil || len(fake.actions) != 0 {
					t.Errorf("refused run reached AWS: actions %v, role %+v", fake.actions, role)
				}
				return
			}
			if role == nil || !strings.Contains(role.trust, tt.wantTrust) {
				t.Fatalf("role %+v: want the generated trust policy naming %s", role, tt.wantTrust)
			}
		})
	}
}

// TestApplyRefusesRealAWSBeforeAskingLaunchDarkly: a destination on a local
// Kinesis emulator with IAM bound for real AWS is refused (exit 2); with
// --trust-from-launchdarkly the refusal came only after LaunchDarkly had been
// asked for its trust policy.
func TestApplyRefusesRealAWSBeforeAskingLaunchDarkly(t *testing.T) {
	d := prodDest("arn:aws:iam::"+account+":role/ld-export", "")
	d.EndpointURL = "http://127.0.0.1:4567"
	f, _, _, _ := testFactory(t, newFakeAWS(), d)
	f.IAM = func(ctx context.Context, region string) (*iam.Client, error) {
		return iam.New(iam.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRETTEST", "")}), nil
	}
	ld := serveTrustPolicy(t, f, `{"AWS":"arn:aws:iam::554582317989:root"}`)
	err := cmdtest.Exec(f, NewCmdApply, "--dest", "prod", "--trust-from-launchdarkly")
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(fmt.Sprint(err), "--allow-real-aws") {
		t.Fatalf("err %v: want exit 2 naming --allow-real-aws", err)
	}
	if n := ld.requests.Load(); n != 0 {
		t.Errorf("LaunchDarkly got %d requests before the usage rule was checked", n)
	}
}
