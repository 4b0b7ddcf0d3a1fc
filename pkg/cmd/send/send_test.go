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
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/ingest"
	"github.com/ldexport/ldexport/pkg/ingest/ingesttest"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/partitionkey"
	"regexp"
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
		{"balance with a field key", "--stream s --balance --partition-key event.contextKeys.user", "--balance spreads records over the shards whatever their key: it cannot be used with --partition-key event.contextKeys.user", nil},
		{"no-pace with balance", "--stream s --no-pace --balance", "--balance needs the shard map that --no-pace does without", nil},
		{"bad partition key", "a.ndjson --stream s --partition-key a..b", "--partition-key: ", nil},
		{"standard input twice", "- a.ndjson - --stream s", "standard input (-) named twice", nil},
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

// runSend runs sendRun as the command does once its flags are checked: on
// the stream opts names ("s" when none), with what opts leaves out filled
// in, against k (nil for --dry-run), without pacing.
func runSend(ctx context.Context, opts *SendOptions, k ingest.Kinesis) error {
	if opts.Stream == "" && opts.Dest == "" {
		opts.Stream = "s"
	}
	if opts.OnInvalid == "" {
		opts.OnInvalid = "fail"
	}
	if opts.RetryTimeout == 0 {
		opts.RetryTimeout = time.Minute
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = 4
	}
	if opts.Globals == nil {
		opts.Globals = &cmdutil.GlobalOptions{Output: output.JSON}
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) }
	}
	opts.Kinesis = func(context.Context, string, string) (ingest.Kinesis, error) { return k, nil }
	opts.DryRun = opts.DryRun || k == nil
	opts.NoPace = true
	keys, err := partitionkey.New(opts.PartitionKey, 1)
	if err != nil {
		return err
	}
	opts.keys = keys
	return sendRun(ctx, opts)
}

type result struct {
	err     error
	stdout  string
	stderr  string
	summary ingest.Summary
}

// runWith runs send with stdin and -o json against k, and decodes the summary.
func runWith(t *testing.T, opts *SendOptions, stdin string, k ingest.Kinesis) result {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	opts.IO = ios
	var r result
	r.err = runSend(context.Background(), opts, k)
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

var lines = ingesttest.Lines

func sorted(bs [][]byte) []string {
	s := make([]string, len(bs))
	for i, b := range bs {
		s[i] = string(b)
	}
	sort.Strings(s)
	return s
}

func TestRunDeliversEverything(t *testing.T) {
	srv := ingesttest.NewServer(t)
	ls := lines(1200)
	r := runWith(t, &SendOptions{}, strings.Join(ls, "\n")+"\n", srv.NewClient())
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := append([]string(nil), ls...)
	sort.Strings(want)
	if fmt.Sprint(sorted(ingesttest.StoredData(srv))) != fmt.Sprint(want) {
		t.Fatal("stored records differ from the input")
	}
	if r.summary.Sent != 1200 || r.summary.Requests < 3 {
		t.Fatalf("%+v", r.summary)
	}
}

func TestRunPartitionKeyField(t *testing.T) {
	srv := ingesttest.NewServer(t)
	input := `{"event":{"contextKeys":{"user":"alice"}}}` + "\n" + `{"event":{}}` + "\n" + `{"event":{"contextKeys":{"user":42}}}` + "\n"
	r := runWith(t, &SendOptions{PartitionKey: "event.contextKeys.user"}, input, srv.NewClient())
	if r.err != nil {
		t.Fatal(r.err)
	}
	byData := map[string]string{}
	for _, rec := range srv.Records("s") {
		byData[string(rec.Data)] = rec.PartitionKey
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
	srv := ingesttest.NewServer(t)
	dir := t.TempDir()
	t.Chdir(dir)
	ls := lines(700)
	ls[650] = `{"broken":`
	r := runWith(t, &SendOptions{}, strings.Join(ls, "\n"), srv.NewClient())
	if cmdutil.ExitCode(r.err) != 2 || r.err.Error() != `-:651: invalid JSON at byte 10: unexpected end of JSON input` {
		t.Fatalf("err = %v (exit %d)", r.err, cmdutil.ExitCode(r.err))
	}
	if n := len(ingesttest.StoredData(srv)); n != 650 || r.summary.Sent != 650 || r.summary.Invalid != 1 || r.summary.Records != 651 {
		t.Fatalf("stored %d, summary %+v", n, r.summary)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files created: %v", ents)
	}
}

func TestRunInvalidSkip(t *testing.T) {
	srv := ingesttest.NewServer(t)
	dir := t.TempDir()
	t.Chdir(dir)
	big := `{"big":"` + strings.Repeat("x", 1<<20) + `"}`
	input := "{\"a\":1}\n[1,2]\n{\"b\":2}\r\nnot json\n" + big + "\n{\"c\":3}"
	r := runWith(t, &SendOptions{OnInvalid: "skip"}, input, srv.NewClient())
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.summary.Sent != 3 || r.summary.Invalid != 3 {
		t.Fatalf("%+v", r.summary)
	}
	name := fmt.Sprintf("ldexport-rejects-20261126T100000Z-%d.ndjson", os.Getpid())
	wantStderr := []string{"-:2: not a JSON object", "-:4: invalid JSON", "-:5: line of 1048586 bytes exceeds the stream's record size limit of 1048576 bytes", "Rejected lines written to " + name}
	for _, w := range wantStderr {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	}
	got, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "[1,2]\nnot json\n"+big+"\n" {
		t.Fatalf("reject file holds %d bytes, want the 3 invalid lines", len(got))
	}
}

func TestRunRecordWithKeyOverLimit(t *testing.T) {
	srv := ingesttest.NewServer(t)
	rejects := filepath.Join(t.TempDir(), "rej.ndjson")
	line := `{"k":"` + strings.Repeat("x", 1<<20-20) + `"}` // fits 1 MiB, not with a 32-char random key
	r := runWith(t, &SendOptions{OnInvalid: "skip", RejectFile: rejects}, line+"\n", srv.NewClient())
	if r.err != nil || r.summary.Invalid != 1 {
		t.Fatalf("err %v summary %+v", r.err, r.summary)
	}
	got, _ := os.ReadFile(rejects)
	if string(got) != line+"\n" {
		t.Fatalf("reject file holds %d bytes, want the line", len(got))
	}
	if !strings.Contains(r.stderr, "-:1: record of 1048596 bytes with its partition key exceeds") {
		t.Fatalf("stderr %s", r.stderr)
	}
}

func TestRunFatalErrorRejectsUndelivered(t *testing.T) {
	api := &ingesttest.Memory{Fail: func(n int) error {
		if n >= 2 {
			return &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "Stream s under account 000000000000 not found."}
		}
		return nil
	}}
	rejects := filepath.Join(t.TempDir(), "rej.ndjson")
	ls := lines(3000)
	r := runWith(t, &SendOptions{RejectFile: rejects, Concurrency: 1}, strings.Join(ls, "\n"), ingesttest.NewStream(api, 0))
	if cmdutil.ExitCode(r.err) != 1 || !strings.HasPrefix(r.err.Error(), `Kinesis PutRecords on stream "s" in us-east-1: not found (ResourceNotFoundException`) {
		t.Fatalf("err = %v", r.err)
	}
	got, _ := os.ReadFile(rejects)
	rejected := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	if int64(len(rejected)) != r.summary.Failed || r.summary.Sent != int64(len(api.Stored)) || r.summary.Sent == 0 {
		t.Fatalf("%d rejected lines, summary %+v", len(rejected), r.summary)
	}
	// Sent plus rejected lines are exactly the input lines read.
	all := append(sorted(api.Stored), rejected...)
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
	r := runWith(t, &SendOptions{DryRun: true, OnInvalid: "skip", RejectFile: filepath.Join(t.TempDir(), "r")}, "{}\n{\"a\":1}\nx\n", nil)
	if r.err != nil || r.summary.Sent != 2 || r.summary.Invalid != 1 || r.summary.Requests != 0 {
		t.Fatalf("err %v summary %+v", r.err, r.summary)
	}
}

func TestRunMissingFile(t *testing.T) {
	r := runWith(t, &SendOptions{Files: []string{filepath.Join(t.TempDir(), "nope.ndjson")}}, "", ingesttest.NewServer(t).NewClient())
	if cmdutil.ExitCode(r.err) != 2 || !strings.Contains(r.err.Error(), "nope.ndjson") {
		t.Fatalf("err = %v", r.err)
	}
}

func decodeSummary(s string, v *ingest.Summary) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}

// blockingKinesis stores the first request, then cancels the run (an
// interrupt) and stalls every later request until its context ends.
type blockingKinesis struct {
	ingesttest.Memory
	cancel context.CancelFunc
}

func (b *blockingKinesis) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, o ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	b.Mu.Lock()
	first := b.Calls == 0
	b.Mu.Unlock()
	if first {
		return b.Memory.PutRecords(ctx, in, o...)
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
	opts := &SendOptions{IO: ios, RejectFile: rejects, Concurrency: 2, Now: time.Now}
	err := runSend(ctx, opts, ingesttest.NewStream(api, 0))
	if cmdutil.ExitCode(err) != 130 || !strings.HasPrefix(err.Error(), "interrupted: ") {
		t.Fatalf("err = %v (exit %d)", err, cmdutil.ExitCode(err))
	}
	var s ingest.Summary
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(rejects)
	rejected := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	if s.Records != s.Sent+s.Failed || s.Failed != int64(len(rejected)) || s.Sent != int64(len(api.Stored)) || s.Failed == 0 {
		t.Fatalf("summary %+v, %d rejected lines, %d stored", s, len(rejected), len(api.Stored))
	}
	if s.Records == int64(len(ls)) && s.Sent == 0 {
		t.Fatal("nothing was delivered before the interrupt")
	}
}

// barFrame is a frame the progress bar draws with standard input (no
// size): the bytes settled, then its counts, e.g.
// "\r1.2 MiB · 5000 sent · 0 retries · 0 throttled · 0 rejected".
var barFrame = regexp.MustCompile(`\r[0-9.]+ (B|KiB|MiB|GiB) · \d+ sent · \d+ retries · \d+ throttled · \d+ rejected`)

// TestRunProgressOnTerminal: on a terminal the bar draws itself (and
// nothing but the bar starts a line with a carriage return), then the
// summary follows.
func TestRunProgressOnTerminal(t *testing.T) {
	ios, in, _, errOut := iostreams.Test()
	ios.SetStderrTTY(true)
	ls := lines(20000)
	in.WriteString(strings.Join(ls, "\n"))
	opts := &SendOptions{IO: ios, Globals: &cmdutil.GlobalOptions{Output: output.Table}, Concurrency: 2, Now: time.Now}
	api := &slowKinesis{}
	if err := runSend(context.Background(), opts, ingesttest.NewStream(api, 0)); err != nil {
		t.Fatal(err)
	}
	if !barFrame.MatchString(errOut.String()) || !strings.Contains(errOut.String(), "Delivered     20000 of 20000 records") {
		t.Fatalf("stderr:\n%q", errOut.String())
	}
}

// slowKinesis takes 10ms a request, so the progress bar gets to draw.
type slowKinesis struct{ ingesttest.Memory }

func (s *slowKinesis) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, o ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	time.Sleep(10 * time.Millisecond)
	return s.Memory.PutRecords(ctx, in, o...)
}

// idleStdin makes ios's standard input a pipe that gives n lines, then
// calls cancel (when not nil) a moment later, and stays open and idle
// until t ends.
func idleStdin(t *testing.T, ios *iostreams.IOStreams, n int, cancel context.CancelFunc) {
	pr, pw := io.Pipe()
	t.Cleanup(func() { _ = pw.Close() })
	ios.In = pr
	go func() {
		for _, l := range lines(n) {
			fmt.Fprintln(pw, l)
		}
		if cancel != nil {
			time.Sleep(100 * time.Millisecond)
			cancel()
		}
	}()
}

// An idle pipe (say `tail -f events | ldexport send`) must not keep a stopped
// run alive: after a fatal error or an interrupt, run returns while the read
// is still blocked.
func TestRunEndsWhileStdinIsIdle(t *testing.T) {
	notFound := &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "gone"}
	tests := []struct {
		name      string
		interrupt bool
		api       *ingesttest.Memory
		wantCode  int
	}{
		{"fatal error", false, &ingesttest.Memory{Fail: func(int) error { return notFound }}, 1},
		{"interrupt", true, &ingesttest.Memory{}, 130},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ios, _, out, _ := iostreams.Test()
			var interrupt context.CancelFunc
			if tt.interrupt {
				interrupt = cancel
			}
			idleStdin(t, ios, 3, interrupt)
			opts := &SendOptions{
				IO: ios, RejectFile: filepath.Join(t.TempDir(), "rej"), Concurrency: 1, Now: time.Now,
				shutdownTimeout: 50 * time.Millisecond,
			}
			done := make(chan error, 1)
			go func() { done <- runSend(ctx, opts, ingesttest.NewStream(tt.api, 0)) }()
			select {
			case err := <-done:
				if cmdutil.ExitCode(err) != tt.wantCode {
					t.Fatalf("err = %v (exit %d), want exit %d", err, cmdutil.ExitCode(err), tt.wantCode)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("run did not end while stdin was idle")
			}
			var s ingest.Summary
			if err := json.Unmarshal(out.Bytes(), &s); err != nil {
				t.Fatal(err)
			}
			if s.Records != 3 || s.Sent+s.Failed != 3 {
				t.Fatalf("%+v", s)
			}
		})
	}
}

func TestCheckpointFlags(t *testing.T) {
	tests := []struct {
		args string
		want string
	}{
		{"--stream s --checkpoint ck.json", "--checkpoint cannot be used with standard input"},
		{"a.ndjson - --stream s --checkpoint ck.json", "--checkpoint cannot be used with standard input"},
		{"a.ndjson --stream s --checkpoint ck.json --dry-run", "--checkpoint cannot be used with --dry-run"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := &cmdutil.Factory{IOStreams: ios, Globals: &cmdutil.GlobalOptions{}}
			cmd := NewCmdSend(f, func(context.Context, *SendOptions) error { t.Fatal("ran"); return nil })
			cmd.SetArgs(strings.Fields(tt.args))
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v (exit %d), want exit 2 with %q", err, cmdutil.ExitCode(err), tt.want)
			}
		})
	}
	ios, _, _, _ := iostreams.Test()
	var got *SendOptions
	cmd := NewCmdSend(&cmdutil.Factory{IOStreams: ios, Globals: &cmdutil.GlobalOptions{}}, func(_ context.Context, o *SendOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"a.ndjson", "--stream", "s", "--checkpoint", "ck.json"})
	if err := cmd.Execute(); err != nil || got.Checkpoint != "ck.json" {
		t.Fatalf("%v %+v", err, got)
	}
}
