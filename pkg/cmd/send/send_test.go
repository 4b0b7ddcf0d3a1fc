package send

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/output"
)

func TestNewCmdSendFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		wantErr string
		check   func(*testing.T, *SendOptions)
	}{
		{"stream and files", "a.ndjson - --stream s", "", func(t *testing.T, o *SendOptions) {
			if o.Stream != "s" || len(o.Files) != 2 || o.OnInvalid != "fail" || o.RetryTimeout != 10*time.Minute || o.PartitionKey != "random" || o.Concurrency != 8 {
				t.Errorf("%+v", o)
			}
		}},
		{"dest", "--dest prod --on-invalid skip --retry-timeout 1m --partition-key event.contextKeys.user", "", func(t *testing.T, o *SendOptions) {
			if o.Dest != "prod" || o.OnInvalid != "skip" || o.RetryTimeout != time.Minute || o.PartitionKey != "event.contextKeys.user" {
				t.Errorf("%+v", o)
			}
		}},
		{"no target", "a.ndjson", "exactly one of --dest NAME or --stream S", nil},
		{"both targets", "--dest a --stream b", "exactly one of --dest NAME or --stream S", nil},
		{"bad stream", "--stream bad/name", "--stream", nil},
		{"bad on-invalid", "--stream s --on-invalid drop", `--on-invalid: "drop" is not fail or skip`, nil},
		{"bad retry timeout", "--stream s --retry-timeout 0s", "--retry-timeout", nil},
		{"bad concurrency", "--stream s --concurrency 0", "--concurrency", nil},
		{"field key with raw", "--stream s --raw --partition-key a.b", "cannot be used with --raw", nil},
		{"aggregate", "--stream s --aggregate", "", func(t *testing.T, o *SendOptions) {
			if !o.Aggregate || o.AggregateMaxBytes != 51_200 {
				t.Errorf("%+v", o)
			}
		}},
		{"aggregate max", "--stream s --aggregate --aggregate-max-bytes 1048000", "", func(t *testing.T, o *SendOptions) {
			if !o.Aggregate || o.AggregateMaxBytes != 1_048_000 {
				t.Errorf("%+v", o)
			}
		}},
		{"aggregate max without aggregate", "--stream s --aggregate-max-bytes 4096", "--aggregate-max-bytes needs --aggregate", nil},
		{"aggregate max too small", "--stream s --aggregate --aggregate-max-bytes 100", "--aggregate-max-bytes: aggregate size 100 must be 1024 to", nil},
		{"aggregate max too large", "--stream s --aggregate --aggregate-max-bytes 2000000", "--aggregate-max-bytes: aggregate size 2000000 must be 1024 to", nil},
		{"aggregate with balance", "--stream s --aggregate --balance", "cannot be used with --balance", nil},
		{"empty checkpoint path", "a.ndjson --stream s --checkpoint=", "--checkpoint: empty path", nil},
		{"empty reject-file path", "a.ndjson --stream s --reject-file=", "--reject-file: empty path", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := &cmdutil.Factory{IOStreams: ios, Globals: &cmdutil.GlobalOptions{}}
			var got *SendOptions
			cmd := NewCmdSend(f, func(_ context.Context, o *SendOptions) error { got = o; return nil })
			cmd.SetArgs(strings.Fields(tt.args))
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr != "" {
				var fe *cmdutil.FlagError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &fe) {
					t.Fatalf("err = %v, want flag error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
		})
	}
}

// fakeKinesis stores records in memory; fail decides a whole-request error.
type fakeKinesis struct {
	mu     sync.Mutex
	stored [][]byte
	keys   []string
	fail   func(n int) error
	calls  int
}

func (f *fakeKinesis) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		if err := f.fail(f.calls); err != nil {
			return nil, err
		}
	}
	out := &kinesis.PutRecordsOutput{}
	for _, e := range in.Records {
		f.stored = append(f.stored, e.Data)
		f.keys = append(f.keys, aws.ToString(e.PartitionKey))
		out.Records = append(out.Records, types.PutRecordsResultEntry{SequenceNumber: aws.String("1"), ShardId: aws.String("shardId-000000000000")})
	}
	return out, nil
}

type result struct {
	err     error
	stdout  string
	stderr  string
	summary Summary
}

func runWith(t *testing.T, opts *SendOptions, stdin string, api *fakeKinesis, limit int) result {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	f := &cmdutil.Factory{IOStreams: ios, Globals: &cmdutil.GlobalOptions{Output: output.JSON}, Now: func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) }}
	opts.Factory = f
	if opts.OnInvalid == "" {
		opts.OnInvalid = "fail"
	}
	if opts.RetryTimeout == 0 {
		opts.RetryTimeout = time.Minute
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = 4
	}
	inputs, err := openInputs(opts.Files, ios.In)
	if err != nil {
		return result{err: err}
	}
	defer inputs.close()
	var r result
	if api == nil {
		r.err = run(context.Background(), opts, target{stream: "s", region: "us-east-1"}, inputs, nil, limit)
	} else {
		r.err = run(context.Background(), opts, target{stream: "s", region: "us-east-1"}, inputs, api, limit)
	}
	r.stdout, r.stderr = out.String(), errOut.String()
	if err := decodeSummary(r.stdout, &r.summary); err != nil {
		t.Fatalf("summary: %v\n%s", err, r.stdout)
	}
	s := r.summary
	if s.Records != s.Sent+s.Failed+s.Invalid {
		t.Fatalf("records %d != sent %d + failed %d + invalid %d", s.Records, s.Sent, s.Failed, s.Invalid)
	}
	return r
}

func lines(n int) []string {
	ls := make([]string, n)
	for i := range ls {
		ls[i] = fmt.Sprintf(`{"event":{"kind":"custom","contextKeys":{"user":"u%d"}},"n":%d}`, i%7, i)
	}
	return ls
}

func sorted(bs [][]byte) []string {
	s := make([]string, len(bs))
	for i, b := range bs {
		s[i] = string(b)
	}
	sort.Strings(s)
	return s
}

func TestRunDeliversEverything(t *testing.T) {
	api := &fakeKinesis{}
	ls := lines(1200)
	r := runWith(t, &SendOptions{}, strings.Join(ls, "\n")+"\n", api, 1<<20)
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := append([]string(nil), ls...)
	sort.Strings(want)
	if fmt.Sprint(sorted(api.stored)) != fmt.Sprint(want) {
		t.Fatal("stored records differ from the input")
	}
	if r.summary.Sent != 1200 || r.summary.Requests < 3 {
		t.Fatalf("%+v", r.summary)
	}
}

func TestRunPartitionKeyField(t *testing.T) {
	api := &fakeKinesis{}
	input := `{"event":{"contextKeys":{"user":"alice"}}}` + "\n" + `{"event":{}}` + "\n" + `{"event":{"contextKeys":{"user":42}}}` + "\n"
	r := runWith(t, &SendOptions{PartitionKey: "event.contextKeys.user"}, input, api, 1<<20)
	if r.err != nil {
		t.Fatal(r.err)
	}
	byData := map[string]string{}
	for i, d := range api.stored {
		byData[string(d)] = api.keys[i]
	}
	if k := byData[`{"event":{"contextKeys":{"user":"alice"}}}`]; k != "alice" {
		t.Errorf("key %q", k)
	}
	if k := byData[`{"event":{"contextKeys":{"user":42}}}`]; k != "42" {
		t.Errorf("key %q", k)
	}
	if k := byData[`{"event":{}}`]; len(k) != 32 {
		t.Errorf("missing field: key %q, want a random 32-char key", k)
	}
}

func TestRunInvalidFail(t *testing.T) {
	api := &fakeKinesis{}
	dir := t.TempDir()
	t.Chdir(dir)
	ls := lines(700)
	ls[650] = `{"broken":`
	r := runWith(t, &SendOptions{}, strings.Join(ls, "\n"), api, 1<<20)
	if cmdutil.ExitCode(r.err) != 2 || r.err.Error() != `-:651: invalid JSON at byte 10: unexpected end of JSON input` {
		t.Fatalf("err = %v (exit %d)", r.err, cmdutil.ExitCode(r.err))
	}
	if len(api.stored) != 650 || r.summary.Sent != 650 || r.summary.Invalid != 1 || r.summary.Records != 651 {
		t.Fatalf("stored %d, summary %+v", len(api.stored), r.summary)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files created: %v", ents)
	}
}

func TestRunInvalidSkip(t *testing.T) {
	api := &fakeKinesis{}
	dir := t.TempDir()
	t.Chdir(dir)
	input := "{\"a\":1}\n[1,2]\n{\"b\":2}\r\nnot json\n" + `{"big":"` + strings.Repeat("x", 200) + `"}` + "\n{\"c\":3}"
	r := runWith(t, &SendOptions{OnInvalid: "skip"}, input, api, 100)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.summary.Sent != 3 || r.summary.Invalid != 3 {
		t.Fatalf("%+v", r.summary)
	}
	name := fmt.Sprintf("ldexport-rejects-20261126T100000Z-%d.ndjson", os.Getpid())
	wantStderr := []string{"-:2: not a JSON object", "-:4: invalid JSON", "-:5: line of 210 bytes exceeds the stream's record size limit of 100 bytes", "Rejected lines written to " + name}
	for _, w := range wantStderr {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	}
	got, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "[1,2]\nnot json\n"+`{"big":"`+strings.Repeat("x", 200)+`"}`+"\n" {
		t.Fatalf("reject file %q", got)
	}
}

func TestRunRecordWithKeyOverLimit(t *testing.T) {
	api := &fakeKinesis{}
	rejects := filepath.Join(t.TempDir(), "rej.ndjson")
	line := `{"k":"` + strings.Repeat("x", 80) + `"}` // 88 bytes: fits 100, not with a 32-char random key
	r := runWith(t, &SendOptions{OnInvalid: "skip", RejectFile: rejects}, line+"\n", api, 100)
	if r.err != nil || r.summary.Invalid != 1 {
		t.Fatalf("err %v summary %+v", r.err, r.summary)
	}
	got, _ := os.ReadFile(rejects)
	if string(got) != line+"\n" {
		t.Fatalf("reject file %q", got)
	}
	if !strings.Contains(r.stderr, "-:1: record of 120 bytes with its partition key exceeds") {
		t.Fatalf("stderr %s", r.stderr)
	}
}

func TestRunFatalErrorRejectsUndelivered(t *testing.T) {
	api := &fakeKinesis{fail: func(n int) error {
		if n >= 2 {
			return &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "Stream s under account 000000000000 not found."}
		}
		return nil
	}}
	rejects := filepath.Join(t.TempDir(), "rej.ndjson")
	ls := lines(3000)
	r := runWith(t, &SendOptions{RejectFile: rejects, Concurrency: 1}, strings.Join(ls, "\n"), api, 1<<20)
	if cmdutil.ExitCode(r.err) != 1 || !strings.HasPrefix(r.err.Error(), `Kinesis PutRecords on stream "s" in us-east-1: not found (ResourceNotFoundException`) {
		t.Fatalf("err = %v", r.err)
	}
	got, _ := os.ReadFile(rejects)
	rejected := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	if int64(len(rejected)) != r.summary.Failed || r.summary.Sent != int64(len(api.stored)) || r.summary.Sent == 0 {
		t.Fatalf("%d rejected lines, summary %+v", len(rejected), r.summary)
	}
	// Sent plus rejected lines are exactly the input lines read.
	all := append(sorted(api.stored), rejected...)
	sort.Strings(all)
	read := append([]string(nil), ls[:r.summary.Records]...)
	sort.Strings(read)
	if fmt.Sprint(all) != fmt.Sprint(read) {
		t.Fatal("sent + rejected differ from the lines read")
	}
	// The error line says why the run stopped; the records it left are not
	// named one by one (nothing is wrong with them), only the file is.
	if strings.Contains(r.stderr, "not sent") || !strings.Contains(r.stderr, "Rejected lines written to "+rejects) {
		t.Errorf("stderr:\n%s", r.stderr[:min(len(r.stderr), 500)])
	}
}

func TestRunDryRun(t *testing.T) {
	r := runWith(t, &SendOptions{DryRun: true, OnInvalid: "skip", RejectFile: filepath.Join(t.TempDir(), "r")}, "{}\n{\"a\":1}\nx\n", nil, 1<<20)
	if r.err != nil || r.summary.Sent != 2 || r.summary.Invalid != 1 || r.summary.Requests != 0 {
		t.Fatalf("err %v summary %+v", r.err, r.summary)
	}
}

func TestRunMissingFile(t *testing.T) {
	r := runWith(t, &SendOptions{Files: []string{filepath.Join(t.TempDir(), "nope.ndjson")}}, "", &fakeKinesis{}, 1<<20)
	if cmdutil.ExitCode(r.err) != 2 || !strings.Contains(r.err.Error(), "nope.ndjson") {
		t.Fatalf("err = %v", r.err)
	}
}

func decodeSummary(s string, v *Summary) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}

// blockingKinesis stores the first request, then cancels the run (an
// interrupt) and stalls every later request until its context ends.
type blockingKinesis struct {
	fakeKinesis
	cancel context.CancelFunc
}

func (b *blockingKinesis) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, o ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	b.mu.Lock()
	first := b.calls == 0
	b.mu.Unlock()
	if first {
		return b.fakeKinesis.PutRecords(ctx, in, o...)
	}
	b.cancel()
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api := &blockingKinesis{cancel: cancel}
	ios, in, out, _ := iostreams.Test()
	ls := lines(3000)
	in.WriteString(strings.Join(ls, "\n"))
	rejects := filepath.Join(t.TempDir(), "rej.ndjson")
	opts := &SendOptions{
		Factory:   &cmdutil.Factory{IOStreams: ios, Globals: &cmdutil.GlobalOptions{Output: output.JSON}, Now: time.Now},
		OnInvalid: "fail", RejectFile: rejects, RetryTimeout: time.Minute, Concurrency: 2,
	}
	inputs, err := openInputs(nil, ios.In)
	if err != nil {
		t.Fatal(err)
	}
	err = run(ctx, opts, target{stream: "s", region: "us-east-1"}, inputs, api, 1<<20)
	if cmdutil.ExitCode(err) != 130 || !strings.HasPrefix(err.Error(), "interrupted: ") {
		t.Fatalf("err = %v (exit %d)", err, cmdutil.ExitCode(err))
	}
	var s Summary
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(rejects)
	rejected := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	if s.Records != s.Sent+s.Failed || s.Failed != int64(len(rejected)) || s.Sent != int64(len(api.stored)) || s.Failed == 0 {
		t.Fatalf("summary %+v, %d rejected lines, %d stored", s, len(rejected), len(api.stored))
	}
	if s.Records == int64(len(ls)) && s.Sent == 0 {
		t.Fatal("nothing was delivered before the interrupt")
	}
}

func TestRunProgressOnTerminal(t *testing.T) {
	ios, in, _, errOut := iostreams.Test()
	ios.SetStderrTTY(true)
	ls := lines(20000)
	in.WriteString(strings.Join(ls, "\n"))
	opts := &SendOptions{
		Factory:   &cmdutil.Factory{IOStreams: ios, Globals: &cmdutil.GlobalOptions{Output: output.Table}, Now: time.Now},
		OnInvalid: "fail", RetryTimeout: time.Minute, Concurrency: 2,
	}
	inputs, _ := openInputs(nil, ios.In)
	api := &slowKinesis{}
	if err := run(context.Background(), opts, target{stream: "s"}, inputs, api, 1<<20); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), " sent · ") || !strings.Contains(errOut.String(), "Delivered     20000 of 20000 records") {
		t.Fatalf("stderr:\n%s", errOut.String())
	}
}

// slowKinesis takes 10ms a request, so the progress bar gets to draw.
type slowKinesis struct{ fakeKinesis }

func (s *slowKinesis) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, o ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	time.Sleep(10 * time.Millisecond)
	return s.fakeKinesis.PutRecords(ctx, in, o...)
}

// An idle pipe (say `tail -f events | ldexport send`) must not keep a stopped
// run alive: after a fatal error or an interrupt, run returns while the read
// is still blocked.
func TestRunEndsWhileStdinIsIdle(t *testing.T) {
	notFound := &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "gone"}
	tests := []struct {
		name      string
		interrupt bool
		api       *fakeKinesis
		wantCode  int
	}{
		{"fatal error", false, &fakeKinesis{fail: func(int) error { return notFound }}, 1},
		{"interrupt", true, &fakeKinesis{}, 130},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			pr, pw := io.Pipe()
			defer pw.Close()
			ios, _, out, _ := iostreams.Test()
			ios.In = pr
			go func() {
				for _, l := range lines(3) {
					fmt.Fprintln(pw, l)
				}
				if tt.interrupt {
					time.Sleep(100 * time.Millisecond)
					cancel()
				}
				// then the pipe stays open and idle
			}()
			opts := &SendOptions{
				Factory:   &cmdutil.Factory{IOStreams: ios, Globals: &cmdutil.GlobalOptions{Output: output.JSON}, Now: time.Now},
				OnInvalid: "fail", RejectFile: filepath.Join(t.TempDir(), "rej"), RetryTimeout: time.Minute, Concurrency: 1,
				shutdownTimeout: 50 * time.Millisecond,
			}
			inputs, _ := openInputs(nil, ios.In)
			done := make(chan error, 1)
			go func() { done <- run(ctx, opts, target{stream: "s", region: "us-east-1"}, inputs, tt.api, 1<<20) }()
			select {
			case err := <-done:
				if cmdutil.ExitCode(err) != tt.wantCode {
					t.Fatalf("err = %v (exit %d), want exit %d", err, cmdutil.ExitCode(err), tt.wantCode)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("run did not end while stdin was idle")
			}
			var s Summary
			if err := json.Unmarshal(out.Bytes(), &s); err != nil {
				t.Fatal(err)
			}
			if s.Records != 3 || s.Sent+s.Failed != 3 {
				t.Fatalf("%+v", s)
			}
		})
	}
}
