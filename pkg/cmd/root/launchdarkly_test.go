package root

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/awsarn"
	"github.com/ldexport/ldexport/pkg/cmdtest"
	"github.com/ldexport/ldexport/pkg/ldfake"
	"github.com/ldexport/ldexport/pkg/store"
)

const ldToken = "api-5f2e9c1d-ldexport-test-token"

// ldEnv is a test Env whose LaunchDarkly is a fake that checks every request
// and response against the spec; all output is kept to check the token never
// shows.
type ldEnv struct {
	*cmdtest.Env
	t      *testing.T
	fake   *ldfake.Server
	output strings.Builder
}

func newLDEnv(t *testing.T) *ldEnv {
	e := &ldEnv{Env: cmdtest.New(t), t: t, fake: ldfake.Start(t, ldToken)}
	t.Setenv("LAUNCHDARKLY_ACCESS_TOKEN", ldToken)
	t.Setenv("LAUNCHDARKLY_API_HOST", e.fake.URL)
	t.Cleanup(func() {
		if strings.Contains(e.output.String(), ldToken) {
			t.Errorf("the access token appeared in ldexport's output")
		}
	})
	return e
}

// run runs ldexport and returns the exit code, stdout and stderr.
func (e *ldEnv) run(args ...string) (int, string, string) {
	e.t.Helper()
	e.Reset()
	code := e.Run(Execute, args...)
	out, errOut := e.Out.String(), e.ErrOut.String()
	e.output.WriteString(out + errOut)
	return code, out, errOut
}

func (e *ldEnv) mustRun(args ...string) (string, string) {
	e.t.Helper()
	code, out, errOut := e.run(args...)
	if code != 0 {
		e.t.Fatalf("ldexport %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out, errOut
}

func (e *ldEnv) stored(name string) store.Destination {
	e.t.Helper()
	d, err := store.New(e.StorePath).Get(name)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

// requestsSince returns "METHOD path" of the requests after the first n.
func (e *ldEnv) requestsSince(n int) []string {
	var out []string
	for _, r := range e.fake.Requests()[n:] {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

func TestLaunchDarklyFlow(t *testing.T) {
	e := newLDEnv(t)
	e.mustRun("dest", "create", "prod", "--env", "production", "--stream", "ld-events", "--role-arn", roleARN, "--region", "us-east-1")

	// --dry-run prints the body and sends nothing.
	out, _ := e.mustRun("dest", "push", "prod", "--dry-run")
	var body map[string]any
	if err := json.Unmarshal([]byte(out), &body); err != nil || body["kind"] != "kinesis" || body["name"] != "prod" {
		t.Fatalf("dry-run body %q: %v", out, err)
	}
	if cfg, _ := body["config"].(map[string]any); cfg["streamName"] != "ld-events" || cfg["roleArn"] != roleARN || cfg["region"] != "us-east-1" {
		t.Fatalf("dry-run config %v", body["config"])
	}
	if n := len(e.fake.Requests()); n != 0 {
		t.Fatalf("--dry-run sent %d requests", n)
	}

	// Create.
	out, _ = e.mustRun("dest", "push", "prod")
	d := e.stored("prod")
	remote := e.fake.Destinations()
	if len(remote) != 1 || d.LaunchDarklyID != remote[0].ID || d.LaunchDarklyVersion != 1 || remote[0].On {
		t.Fatalf("after create: local %+v, LaunchDarkly %+v", d, remote)
	}
	if !strings.Contains(out, "Created destination prod") {
		t.Fatalf("create said %q", out)
	}

	// Push again: nothing to change, nothing written.
	n := len(e.fake.Requests())
	out, _ = e.mustRun("dest", "push", "prod")
	if !strings.Contains(out, "Nothing to change") {
		t.Fatalf("second push said %q", out)
	}
	if got := e.requestsSince(n); len(got) != 1 || !strings.HasPrefix(got[0], "GET ") {
		t.Fatalf("second push sent %v, want one GET", got)
	}

	// Change the stream locally; push patches only that (and on).
	d.StreamName = "ld-events-2"
	if err := store.New(e.StorePath).Replace(withARN(d)); err != nil {
		t.Fatal(err)
	}
	n = len(e.fake.Requests())
	e.mustRun("dest", "push", "prod", "--on")
	reqs := e.fake.Requests()[n:]
	if len(reqs) != 2 || reqs[1].Method != http.MethodPatch {
		t.Fatalf("changed push sent %v, want GET then PATCH", e.requestsSince(n))
	}
	var patch []map[string]any
	if err := json.Unmarshal([]byte(reqs[1].Body), &patch); err != nil || len(patch) != 2 ||
		patch[0]["path"] != "/config/streamName" || patch[0]["value"] != "ld-events-2" || patch[1]["path"] != "/on" {
		t.Fatalf("patch %s, want only /config/streamName and /on", reqs[1].Body)
	}
	if d = e.stored("prod"); d.LaunchDarklyVersion != 2 {
		t.Fatalf("version after patch %d, want 2", d.LaunchDarklyVersion)
	}

	// Pull: one to add, one in conflict with a local destination.
	e.fake.Put(ldfake.Destination{Project: "mobile", Environment: "staging", Name: "mobile-staging", Kind: "kinesis",
		Config: map[string]any{"region": "eu-west-1", "roleArn": "arn:aws:iam::210987654321:role/ld-export", "streamName": "ld-staging"}, On: true})
	e.fake.Put(ldfake.Destination{Project: "default", Environment: "qa", Name: "qa", Kind: "kinesis",
		Config: map[string]any{"region": "us-east-1", "roleArn": roleARN, "streamName": "their-stream"}})
	e.mustRun("dest", "create", "qa", "--env", "qa", "--stream", "our-stream", "--role-arn", roleARN, "--region", "us-east-1")
	code, out, errOut := e.run("dest", "pull")
	if code != 1 || !strings.Contains(errOut, "1 conflict") || !strings.Contains(out, "their-stream") {
		t.Fatalf("pull: exit %d\n%s%s", code, out, errOut)
	}
	if qa := e.stored("qa"); qa.StreamName != "our-stream" || qa.LaunchDarklyID != "" {
		t.Fatalf("pull overwrote the conflicting local destination: %+v", qa)
	}
	added := e.stored("mobile-staging")
	if added.Region != "eu-west-1" || added.AccountID != "210987654321" || added.StreamARN != "arn:aws:kinesis:eu-west-1:210987654321:stream/ld-staging" || added.LaunchDarklyID == "" {
		t.Fatalf("pulled %+v", added)
	}

	// list --remote shows both sides.
	out, _ = e.mustRun("dest", "list", "--remote", "-o", "json")
	var rows []struct {
		Name, Project, Environment, State string
		On                                *bool
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, r := range rows {
		states[r.Project+"/"+r.Environment] = r.State
		if r.On == nil {
			t.Errorf("row %+v has no on/off", r)
		}
	}
	if states["default/production"] != "linked" || states["default/qa"] != "differs" || states["mobile/staging"] != "linked" {
		t.Fatalf("list --remote states %v", states)
	}

	// delete --remote deletes in LaunchDarkly, then locally.
	e.mustRun("dest", "delete", "prod", "--remote", "--yes")
	for _, r := range e.fake.Destinations() {
		if r.ID == d.LaunchDarklyID {
			t.Fatalf("LaunchDarkly still has %+v", r)
		}
	}
	if _, err := store.New(e.StorePath).Get("prod"); err == nil {
		t.Fatal("prod is still in the store")
	}

	// Without --remote a linked destination's deletion says LaunchDarkly keeps it.
	_, errOut = e.mustRun("dest", "delete", "mobile-staging", "--yes")
	if !strings.Contains(errOut, "LaunchDarkly still has it") {
		t.Fatalf("delete of a linked destination said %q", errOut)
	}
}

func TestLaunchDarklyRateLimitAndConflictThroughCommands(t *testing.T) {
	e := newLDEnv(t)
	e.mustRun("dest", "create", "prod", "--env", "production", "--stream", "ld-events", "--role-arn", roleARN, "--region", "us-east-1")
	e.fake.Fail(ldfake.OpList, ldfake.Fault{Status: 429, Header: http.Header{"Retry-After": {"0"}}})
	e.fake.Fail(ldfake.OpCreate, ldfake.Fault{Status: 429, Header: http.Header{"Retry-After": {"0"}}})
	e.mustRun("dest", "push", "prod")

	d := e.stored("prod")
	d.Region = "us-west-2"
	if err := store.New(e.StorePath).Replace(withARN(d)); err != nil {
		t.Fatal(err)
	}
	e.fake.Fail(ldfake.OpPatch, ldfake.Fault{Status: 409})
	e.mustRun("dest", "push", "prod")
	if r := e.fake.Destinations()[0]; r.Config["region"] != "us-west-2" || r.Version != 2 {
		t.Fatalf("after a 409 and a retry LaunchDarkly has %+v", r)
	}

	e.fake.Fail(ldfake.OpPatch, ldfake.Fault{Status: 409}, ldfake.Fault{Status: 409})
	d.Region = "eu-west-1"
	if err := store.New(e.StorePath).Replace(withARN(e.withLink(d))); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := e.run("dest", "push", "prod")
	if code != 1 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "optimistic_locking_error") {
		t.Fatalf("two 409s: exit %d, stderr %q: want exit 1 and LaunchDarkly's code on one line", code, errOut)
	}
}

// withARN gives d the stream ARN of its region, account and stream, as the
// store requires after a test changed one of them.
func withARN(d store.Destination) store.Destination {
	d.StreamARN = awsarn.StreamARN(d.Region, d.AccountID, d.StreamName)
	return d
}

// withLink copies the stored link into d (push records it after d was read).
func (e *ldEnv) withLink(d store.Destination) store.Destination {
	s := e.stored(d.Name)
	d.LaunchDarklyID, d.LaunchDarklyVersion = s.LaunchDarklyID, s.LaunchDarklyVersion
	return d
}

func TestLaunchDarklyAuthErrors(t *testing.T) {
	e := newLDEnv(t)
	e.mustRun("dest", "create", "prod", "--env", "production", "--stream", "ld-events", "--role-arn", roleARN, "--region", "us-east-1")

	e.fake.Fail(ldfake.OpList, ldfake.Fault{Status: 403})
	code, _, errOut := e.run("dest", "push", "prod")
	if code != 1 || !strings.Contains(errOut, "lacks access") {
		t.Fatalf("403: exit %d, %q", code, errOut)
	}

	t.Setenv("LAUNCHDARKLY_ACCESS_TOKEN", "wrong-"+ldToken)
	code, _, errOut = e.run("dest", "pull")
	if code != 1 || !strings.Contains(errOut, "the access token was refused") || strings.Contains(errOut, ldToken) {
		t.Fatalf("401: exit %d, %q", code, errOut)
	}

	t.Setenv("LAUNCHDARKLY_ACCESS_TOKEN", "")
	code, _, errOut = e.run("dest", "pull")
	if code != 2 || !strings.Contains(errOut, "LAUNCHDARKLY_ACCESS_TOKEN") {
		t.Fatalf("no token: exit %d, %q", code, errOut)
	}

	t.Setenv("LAUNCHDARKLY_ACCESS_TOKEN", "api")
	code, _, errOut = e.run("dest", "pull")
	if code != 2 || !strings.Contains(errOut, "too short for a LaunchDarkly access token") || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("a 3-character token: exit %d, %q", code, errOut)
	}

	t.Setenv("LAUNCHDARKLY_ACCESS_TOKEN", ldToken)
	code, _, errOut = e.run("dest", "pull", "--ld-api-host", "app.launchdarkly.com")
	if code != 2 || !strings.Contains(errOut, "--ld-api-host") {
		t.Fatalf("bad host: exit %d, %q", code, errOut)
	}
}

func TestTrustFromLaunchDarkly(t *testing.T) {
	e := newLDEnv(t)
	e.mustRun("dest", "create", "prod", "--env", "production", "--stream", "ld-events", "--role-arn", roleARN, "--region", "us-east-1")
	out, errOut := e.mustRun("iam", "trust", "--from-launchdarkly", "--dest", "prod")
	var doc struct {
		Version   string
		Statement []struct {
			Principal map[string]string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Version != "2012-10-17" || len(doc.Statement) != 1 {
		t.Fatalf("printed %q: %v", out, err)
	}
	if got := doc.Statement[0].Condition["StringEquals"]["sts:ExternalId"]; got != ldfake.ExternalID("default", "production") {
		t.Fatalf("external ID %q", got)
	}
	if !strings.Contains(errOut, "differs from the offline one") || !strings.Contains(errOut, "Principal") || !strings.Contains(errOut, "Condition") {
		t.Fatalf("stderr %q: want the differences named", errOut)
	}
	reqs := e.fake.Requests()
	if len(reqs) != 1 || reqs[0].Path != "/api/v2/destinations/projects/default/environments/production/generate-trust-policy" {
		t.Fatalf("requests %v", e.requestsSince(0))
	}
}

func TestOfflineTrustIsFaithful(t *testing.T) {
	e := newLDEnv(t)
	e.mustRun("dest", "create", "cn", "--env", "production", "--stream", "ld-events", "--role-arn", "arn:aws-cn:iam::123456789012:role/ld-export", "--region", "cn-north-1")
	for _, args := range [][]string{
		{"iam", "trust", "--dest", "cn"},
		{"dest", "export", "cn", "--format", "terraform"},
	} {
		code, out, errOut := e.run(args...)
		if code != 2 || out != "" || !strings.Contains(errOut, "aws-cn") || !strings.Contains(errOut, "AssumeRole does not cross partitions") || !strings.Contains(errOut, "--launchdarkly-account") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q: want exit 2 saying why", args, code, out, errOut)
		}
	}
	out, _ := e.mustRun("iam", "trust", "--dest", "cn", "--launchdarkly-account", "111122223333")
	if !strings.Contains(out, `"AWS": "arn:aws-cn:iam::111122223333:root"`) {
		t.Errorf("trust with a LaunchDarkly account in aws-cn: %s", out)
	}

	_, errOut := e.mustRun("dest", "create", "x", "--env", "x", "--stream", "s", "--role-arn", roleARN, "--region", "us-east-1", "--external-id", "abc")
	if !strings.Contains(errOut, "LaunchDarkly's Kinesis destination has no external-ID field") {
		t.Errorf("dest create --external-id said %q", errOut)
	}
	out, errOut = e.mustRun("iam", "trust", "--external-id", "abc")
	if !strings.Contains(errOut, "LaunchDarkly must present that ID") || !strings.Contains(out, `"sts:ExternalId": "abc"`) {
		t.Errorf("iam trust --external-id: stdout %q stderr %q", out, errOut)
	}
	if len(e.fake.Requests()) != 0 {
		t.Errorf("offline commands reached LaunchDarkly: %v", e.requestsSince(0))
	}
}

func TestLaunchDarklyCommandUsageErrors(t *testing.T) {
	e := newLDEnv(t)
	e.mustRun("dest", "create", "prod", "--env", "production", "--stream", "ld-events", "--role-arn", roleARN, "--region", "us-east-1")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"dest", "push", "prod", "--on", "--off"}, "--on and --off"},
		{[]string{"dest", "push", "bad name"}, "invalid destination name"},
		{[]string{"dest", "export", "prod", "--format", "xml"}, `--format: "xml"`},
		{[]string{"iam", "trust", "--from-launchdarkly"}, "--from-launchdarkly needs"},
		{[]string{"iam", "trust", "--project", "p"}, "go with --from-launchdarkly"},
		{[]string{"iam", "trust", "--from-launchdarkly", "--project", "p q", "--env", "e"}, "--project: invalid project key"},
		{[]string{"iam", "trust", "--launchdarkly-account", "12"}, "--launchdarkly-account"},
		{[]string{"iam", "apply", "--dest", "prod", "--trust-from-launchdarkly", "--restricted"}, "drop --restricted"},
	} {
		code, _, errOut := e.run(tt.args...)
		if code != 2 || !strings.Contains(strings.SplitN(errOut, "\n", 2)[0], tt.want) {
			t.Errorf("%v: exit %d, stderr %q: want exit 2 and %q on the first line", tt.args, code, errOut, tt.want)
		}
	}
	code, _, errOut := e.run("dest", "push", "nope")
	if code != 1 || !strings.Contains(errOut, "not found") {
		t.Errorf("push of an unknown destination: exit %d %q", code, errOut)
	}
}

func TestPushLinksOrRefusesWhatLaunchDarklyAlreadyHas(t *testing.T) {
	e := newLDEnv(t)
	e.mustRun("dest", "create", "prod", "--env", "production", "--stream", "ld-events", "--role-arn", roleARN, "--region", "us-east-1")
	e.mustRun("dest", "create", "qa", "--env", "qa", "--stream", "ld-qa", "--role-arn", roleARN, "--region", "us-east-1")
	// An earlier push whose answer was lost: same name, same environment.
	same := e.fake.Put(ldfake.Destination{Project: "default", Environment: "production", Name: "prod", Kind: "kinesis",
		Config: map[string]any{"region": "us-east-1", "roleArn": roleARN, "streamName": "old-stream"}})
	other := e.fake.Put(ldfake.Destination{Project: "default", Environment: "qa", Name: "someone-elses", Kind: "kinesis",
		Config: map[string]any{"region": "us-east-1", "roleArn": roleARN, "streamName": "theirs"}})

	out, _ := e.mustRun("dest", "push", "prod")
	if d := e.stored("prod"); d.LaunchDarklyID != same.ID || d.LaunchDarklyVersion != 2 || !strings.Contains(out, "Linked") {
		t.Fatalf("push over a lost create: %q, stored %+v", out, d)
	}
	if len(e.fake.Destinations()) != 2 {
		t.Fatalf("push created a duplicate: %+v", e.fake.Destinations())
	}

	code, _, errOut := e.run("dest", "push", "qa")
	if code != 1 || !strings.Contains(errOut, other.ID) || !strings.Contains(errOut, "dest pull") {
		t.Fatalf("push into an environment LaunchDarkly already exports: exit %d %q", code, errOut)
	}

	e.mustRun("dest", "create", "dev", "--env", "dev", "--stream", "ld-dev", "--role-arn", roleARN, "--region", "us-east-1")
	pubsub := e.fake.Put(ldfake.Destination{Project: "default", Environment: "dev", Name: "to-pubsub", Kind: "google-pubsub",
		Config: map[string]any{"project": "p", "topic": "t"}})
	code, _, errOut = e.run("dest", "push", "dev")
	if code != 1 || !strings.Contains(errOut, "google-pubsub") || !strings.Contains(errOut, pubsub.ID) {
		t.Fatalf("push into an environment with another kind of destination: exit %d %q", code, errOut)
	}

	// Deleted in LaunchDarkly's UI: the next push creates it again and says so.
	if _, err := http.DefaultClient.Do(mustRequest(t, http.MethodDelete, e.fake.URL+"/api/v2/destinations/default/production/"+same.ID)); err != nil {
		t.Fatal(err)
	}
	_, errOut = e.mustRun("dest", "push", "prod")
	if d := e.stored("prod"); d.LaunchDarklyID == same.ID || d.LaunchDarklyID == "" || !strings.Contains(errOut, "was no longer in LaunchDarkly, so prod was created again") {
		t.Fatalf("push after a remote delete: %q, stored %+v", errOut, d)
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", ldToken)
	req.Header.Set("LD-API-Version", ldfake.APIVersion)
	return req
}

// TestHostilePushStaleLinkNeverDuplicates: the linked destination was
// deleted in LaunchDarkly and someone else has since created one in that
// environment; push created a second one (LaunchDarkly allows one per
// environment) instead of checking the list as an unlinked push does.
func TestHostilePushStaleLinkNeverDuplicates(t *testing.T) {
	e := newLDEnv(t)
	e.mustRun("dest", "create", "prod", "--env", "production", "--stream", "ld-events", "--role-arn", roleARN, "--region", "us-east-1")
	e.mustRun("dest", "push", "prod")
	old := e.stored("prod").LaunchDarklyID
	if _, err := http.DefaultClient.Do(mustRequest(t, http.MethodDelete, e.fake.URL+"/api/v2/destinations/default/production/"+old)); err != nil {
		t.Fatal(err)
	}
	other := e.fake.Put(ldfake.Destination{Project: "default", Environment: "production", Name: "someone-elses", Kind: "kinesis",
		Config: map[string]any{"region": "us-east-1", "roleArn": roleARN, "streamName": "theirs"}})
	code, _, errOut := e.run("dest", "push", "prod")
	if code != 1 || !strings.Contains(errOut, other.ID) || len(e.fake.Destinations()) != 1 {
		t.Fatalf("push with a stale link into an exported environment: exit %d %q, LaunchDarkly has %+v", code, errOut, e.fake.Destinations())
	}
}
