package test_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/cmdtest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/ldexport/ldexport/pkg/awsquerytest"
	"github.com/ldexport/ldexport/pkg/cmd/dest/test"
	"github.com/ldexport/ldexport/pkg/cmd/root"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/eventgen"
	"github.com/ldexport/ldexport/pkg/kinesalite"
	"github.com/ldexport/ldexport/pkg/kinesisbackend"
	"github.com/ldexport/ldexport/pkg/kpl"
	"github.com/ldexport/ldexport/pkg/store"
)

func TestNewCmdTestFlags(t *testing.T) {
	cmdtest.RunFlagTests(t, test.NewCmdTest, []cmdtest.FlagTest[test.TestOptions]{
		{Args: "prod", Want: test.TestOptions{Name: "prod", Timeout: 30 * time.Second}},
		{Args: "prod --verify --timeout 5s --assume-role", Want: test.TestOptions{Name: "prod", Verify: true, Timeout: 5 * time.Second, AssumeRole: true}},
		{Args: "prod --assume-role --allow-real-aws", Want: test.TestOptions{Name: "prod", Timeout: 30 * time.Second, AssumeRole: true, AllowRealAWS: true}},
		{Args: "", WantErr: "name the destination"},
		{Args: "a b", WantErr: "too many arguments"},
		{Args: "prod --timeout 0s", WantErr: "--timeout: must be more than 0"},
		{Args: "prod --timeout soon", WantErr: "invalid argument"},
	})
}

func TestBuildTestEvent(t *testing.T) {
	d := store.Destination{Project: "default", Environment: "production"}
	got, err := test.BuildTestEvent(d, time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), "abc")
	if err != nil {
		t.Fatal(err)
	}
	// The IDs eventgen derives from the keys default and production.
	want := `{"project":"f0ad5645921c0d969301f258","environment":"11f17f41904222a88fe30a1c","event":{"kind":"feature","creationDate":1795687200000,"contextKeys":{"user":"LaunchDarklyDataExportTestEvent"},"context":{"kind":"user","key":"LaunchDarklyDataExportTestEvent"},"key":"LaunchDarklyDataExportTestEvent","value":true,"default":false,"version":1,"variation":0,"ldexportTestId":"abc"},"version":1}`
	if string(got) != want {
		t.Errorf("BuildTestEvent =\n%s\nwant\n%s", got, want)
	}
}

// harness is a factory over a temporary store, with a destination "local"
// whose stream lives in a local Kinesis behind a recording proxy.
type harness struct {
	t      *testing.T
	config string
	k      kinesisbackend.Kinesis
	proxy  *kinesisProxy
	stsURL string
}

// kinesisProxy passes requests to the local Kinesis, remembers the operation and the
// access key of each request's signature ("PutRecord AKID"), and can rewrite
// the data GetRecords returns.
type kinesisProxy struct {
	*httptest.Server
	mu         sync.Mutex
	accessKeys []string
	rewrite    atomic.Pointer[func(data []byte) []byte]
}

// rewriteRecords makes GetRecords answer fn(data) for each record's data
// until the test ends.
func (p *kinesisProxy) rewriteRecords(t *testing.T, fn func(data []byte) []byte) {
	p.rewrite.Store(&fn)
	t.Cleanup(func() { p.rewrite.Store(nil) })
}

func newKinesisProxy(t *testing.T, target string) *kinesisProxy {
	u, _ := url.Parse(target)
	p := &kinesisProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(r *http.Response) error {
		rewrite := p.rewrite.Load()
		if rewrite == nil || !strings.HasSuffix(r.Request.Header.Get("X-Amz-Target"), ".GetRecords") {
			return nil
		}
		var body map[string]any
		raw, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(raw, &body); err != nil {
			return err
		}
		for _, rec := range body["Records"].([]any) {
			m := rec.(map[string]any)
			data, err := base64.StdEncoding.DecodeString(m["Data"].(string))
			if err != nil {
				return err
			}
			m["Data"] = base64.StdEncoding.EncodeToString((*rewrite)(data))
		}
		raw, _ = json.Marshal(body)
		r.Body = io.NopCloser(bytes.NewReader(raw))
		r.ContentLength = int64(len(raw))
		r.Header.Set("Content-Length", fmt.Sprint(len(raw)))
		r.Header.Del("X-Amz-Crc32")
		return nil
	}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		if _, after, ok := strings.Cut(auth, "Credential="); ok {
			key, _, _ := strings.Cut(after, "/")
			_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
			p.mu.Lock()
			p.accessKeys = append(p.accessKeys, op+" "+key)
			p.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *kinesisProxy) keys() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.accessKeys...)
}

func newHarness(t *testing.T, b kinesisbackend.Backend, streams ...string) *harness {
	cmdtest.EmulatorCredentials(t, "AKIDCALLER")
	k := b.Start(t, streams...)
	return &harness{t: t, config: filepath.Join(t.TempDir(), "config.yaml"), k: k, proxy: newKinesisProxy(t, k.Endpoint)}
}

func (h *harness) run(args ...string) (string, string, int) {
	h.t.Helper()
	return cmdtest.Execute(root.Execute, func(f *cmdutil.Factory) {
		if h.stsURL != "" {
			f.STS = func(ctx context.Context, region string) (*sts.Client, error) {
				return sts.New(sts.Options{Region: region, BaseEndpoint: aws.String(h.stsURL), Credentials: credentials.NewStaticCredentialsProvider("AKIDCALLER", "local", "")}), nil
			}
		}
	}, append([]string{"--config", h.config}, args...)...)
}

func (h *harness) create(name, stream string, extra ...string) {
	h.t.Helper()
	args := append([]string{"dest", "create", name, "--env", "env-" + name, "--stream", stream, "--role-arn", "arn:aws:iam::123456789012:role/ld-export",
		"--region", "us-east-1", "--endpoint-url", h.proxy.URL}, extra...)
	if _, stderr, code := h.run(args...); code != 0 {
		h.t.Fatalf("dest create: exit %d: %s", code, stderr)
	}
}

func TestDestTest(t *testing.T) {
	kinesisbackend.Each(t, testDestTest)
}

func testDestTest(t *testing.T, b kinesisbackend.Backend) {
	h := newHarness(t, b, "ld-events:2")
	h.create("local", "ld-events")
	h.create("gone", "no-such-stream")

	t.Run("sent and found by tail --grep", func(t *testing.T) {
		out, stderr, code := h.run("dest", "test", "local")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(out, "Sent the test event to stream ld-events (destination local)") || !strings.Contains(out, "shardId-00000000000") || !strings.Contains(out, "sequenceNumber\t") {
			t.Errorf("output lacks the shard and sequence number:\n%s", out)
		}
		tailOut, stderr, code := h.run("tail", "--dest", "local", "--grep", test.TestEventKey)
		if code != 0 {
			t.Fatalf("tail: exit %d: %s", code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(tailOut), "\n")
		if len(lines) != 1 {
			t.Fatalf("tail --grep found %d lines, want 1:\n%s", len(lines), tailOut)
		}
		var ev struct {
			Project, Environment string
			Version              int
			Event                struct {
				Kind         string
				Key          string
				CreationDate int64
				ContextKeys  map[string]string
				Context      map[string]string
			}
		}
		if err := json.Unmarshal([]byte(lines[0]), &ev); err != nil {
			t.Fatalf("tail printed a line that is not JSON: %v", err)
		}
		projectID, envID, _ := eventgen.ExportIDs("default", "env-local")
		if ev.Project != projectID || ev.Environment != envID || ev.Version != 1 || ev.Event.Kind != "feature" || ev.Event.Key != test.TestEventKey ||
			ev.Event.ContextKeys["user"] != test.TestEventKey || ev.Event.Context["kind"] != "user" || ev.Event.Context["key"] != test.TestEventKey {
			t.Errorf("the test event is not LaunchDarkly's shape: %s", lines[0])
		}
		if age := time.Since(time.UnixMilli(ev.Event.CreationDate)); age < 0 || age > time.Minute {
			t.Errorf("creationDate %d is %v old", ev.Event.CreationDate, age)
		}
	})

	t.Run("verify as JSON", func(t *testing.T) {
		out, stderr, code := h.run("dest", "test", "local", "--verify", "-o", "json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var res test.Result
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if !res.Verified || res.Destination != "local" || res.Stream != "ld-events" || res.ShardID == "" || res.SequenceNumber == "" || len(res.TestID) != 32 || res.AssumedRole {
			t.Errorf("result %+v", res)
		}
		found := 0
		for _, r := range kinesalite.ReadStream(t, h.k.Client, "ld-events") {
			if bytes.Contains(r.Data, []byte(res.TestID)) {
				found++
				if r.ShardID != res.ShardID || r.SequenceNumber != res.SequenceNumber || r.PartitionKey != res.PartitionKey {
					t.Errorf("record stored at %s/%s key %s; printed %s/%s key %s", r.ShardID, r.SequenceNumber, r.PartitionKey, res.ShardID, res.SequenceNumber, res.PartitionKey)
				}
			}
		}
		if found != 1 {
			t.Errorf("the stream holds %d records with test id %s, want 1", found, res.TestID)
		}
	})

	t.Run("verify fails when the bytes read back differ", func(t *testing.T) {
		h.proxy.rewriteRecords(t, func([]byte) []byte { return []byte("corrupted") })
		_, stderr, code := h.run("dest", "test", "local", "--verify", "--timeout", "5s")
		if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "differs from the test event sent") {
			t.Fatalf("exit %d, stderr %q; want 1 and one line", code, stderr)
		}
	})

	// A consumer-side view of a producer that aggregates (the KPL, send
	// --aggregate): the test event is found among the user records.
	aggregated := func(data []byte) []byte {
		return kpl.Aggregate([]kpl.UserRecord{{PartitionKey: "other", Data: []byte(`{"other":1}`)}, {PartitionKey: "k", Data: data}})
	}
	t.Run("verify finds the test event inside an aggregated record", func(t *testing.T) {
		h.proxy.rewriteRecords(t, aggregated)
		out, stderr, code := h.run("dest", "test", "local", "--verify", "-o", "json")
		var res test.Result
		if code != 0 || json.Unmarshal([]byte(out), &res) != nil || !res.Verified {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
		}
	})

	t.Run("verify reports a corrupt aggregated record", func(t *testing.T) {
		h.proxy.rewriteRecords(t, func(data []byte) []byte {
			agg := aggregated(data)
			agg[len(agg)-3] ^= 1
			return agg
		})
		_, stderr, code := h.run("dest", "test", "local", "--verify", "--timeout", "5s")
		if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "corrupt KPL aggregated record: MD5 checksum does not match") {
			t.Fatalf("exit %d, stderr %q; want 1 and one line", code, stderr)
		}
	})

	t.Run("missing stream", func(t *testing.T) {
		out, stderr, code := h.run("dest", "test", "gone")
		if code != 1 || out != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "no-such-stream") || !strings.Contains(stderr, "ResourceNotFoundException") {
			t.Fatalf("exit %d, stdout %q, stderr %q; want 1 and one line", code, out, stderr)
		}
	})

	t.Run("unknown destination", func(t *testing.T) {
		_, stderr, code := h.run("dest", "test", "nope")
		if code != 1 || strings.Count(stderr, "\n") != 1 {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
}

// The fake STS answers the query API (form POST, Action=AssumeRole) with the
// documented AssumeRoleResponse XML, or a 403 <ErrorResponse> AccessDenied.
const assumeRoleXML = `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>ASIAROLEKEY</AccessKeyId>
      <SecretAccessKey>role-secret</SecretAccessKey>
      <SessionToken>role-token</SessionToken>
      <Expiration>2099-01-01T00:00:00Z</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/ld-export/ldexport-dest-test</Arn>
      <AssumedRoleId>AROAEXAMPLE:ldexport-dest-test</AssumedRoleId>
    </AssumedRoleUser>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata>
</AssumeRoleResponse>`

func TestDestTestAssumeRole(t *testing.T) {
	kinesisbackend.Each(t, testDestTestAssumeRole)
}

func testDestTestAssumeRole(t *testing.T, b kinesisbackend.Backend) {
	h := newHarness(t, b, "ld-events:1")
	h.create("local", "ld-events", "--external-id", "ext-123")

	t.Run("the role signs the PutRecord, the caller reads it back", func(t *testing.T) {
		fake := awsquerytest.NewServer(t, map[string]awsquerytest.Handler{"AssumeRole": awsquerytest.OK(assumeRoleXML)})
		h.stsURL = fake.URL
		before := len(h.proxy.keys())
		out, stderr, code := h.run("dest", "test", "local", "--assume-role", "--verify", "-o", "json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		calls := fake.Calls()
		if len(calls) != 1 || calls[0].Get("RoleArn") != "arn:aws:iam::123456789012:role/ld-export" || calls[0].Get("ExternalId") != "ext-123" || calls[0].Get("RoleSessionName") == "" {
			t.Errorf("AssumeRole calls %v", calls)
		}
		keys := h.proxy.keys()[before:]
		if len(keys) == 0 {
			t.Fatal("no Kinesis request went through the proxy")
		}
		puts, reads := 0, 0
		for _, k := range keys {
			op, key, _ := strings.Cut(k, " ")
			switch {
			case op == "PutRecord" && key == "ASIAROLEKEY":
				puts++
			case op == "PutRecord":
				t.Errorf("PutRecord was signed with %s, want the role's ASIAROLEKEY", key)
			case key == "AKIDCALLER":
				reads++
			default:
				// A role made by iam apply may only put records: reading back with it fails.
				t.Errorf("%s was signed with %s, want the caller's AKIDCALLER", op, key)
			}
		}
		if puts != 1 || reads == 0 {
			t.Errorf("%d PutRecord signed by the role and %d reads by the caller, want 1 and some: %v", puts, reads, keys)
		}
		var res test.Result
		if err := json.Unmarshal([]byte(out), &res); err != nil || !res.AssumedRole || !res.Verified {
			t.Errorf("result %s (%v)", out, err)
		}
	})

	t.Run("a role that does not trust the caller", func(t *testing.T) {
		fake := awsquerytest.NewServer(t, map[string]awsquerytest.Handler{
			"AssumeRole": awsquerytest.AccessDenied("User: arn:aws:iam::123456789012:user/me is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/ld-export"),
		})
		h.stsURL = fake.URL
		before := len(h.proxy.keys())
		out, stderr, code := h.run("dest", "test", "local", "--assume-role")
		if code != 1 || out != "" || strings.Count(stderr, "\n") != 1 {
			t.Fatalf("exit %d, stdout %q, stderr %q; want 1 and one line", code, out, stderr)
		}
		for _, want := range []string{"AccessDenied", "add your principal to the trust policy", "without --assume-role"} {
			if !strings.Contains(strings.ToLower(stderr), strings.ToLower(want)) {
				t.Errorf("stderr %q lacks %q", stderr, want)
			}
		}
		if n := len(h.proxy.keys()) - before; n != 0 {
			t.Errorf("%d Kinesis requests after AssumeRole was denied, want 0", n)
		}
	})
}

// A firewall's HTML 403 in front of Kinesis is one line that says what it
// means, not the SDK's XML/JSON parse error.
func TestDestTestAnswerThatIsNotAnAWSError(t *testing.T) {
	var requests atomic.Int64
	waf := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, "<html><body><h1>403 Forbidden</h1>Request blocked by policy.</body></html>")
	}))
	defer waf.Close()
	e := cmdtest.New(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDCALLER")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	if code := e.Run(root.Execute, "dest", "create", "waf", "--env", "test", "--stream", "ld-events", "--role-arn", "arn:aws:iam::123456789012:role/ld-export", "--region", "us-east-1", "--endpoint-url", waf.URL); code != 0 {
		t.Fatalf("dest create: exit %d: %s", code, e.ErrOut)
	}
	e.Reset()
	code := e.Run(root.Execute, "dest", "test", "waf")
	stderr := e.ErrOut.String()
	if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "access denied or credentials rejected: the answer is not an AWS one (HTTP 403") || strings.Contains(stderr, "deserialization") {
		t.Fatalf("exit %d, stderr %q; want 1 and one line saying what the 403 means", code, stderr)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1: a 403 is not retried", n)
	}
}
