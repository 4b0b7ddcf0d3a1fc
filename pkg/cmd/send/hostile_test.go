package send

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/fileguard"
	"github.com/ldexport/ldexport/pkg/ingest"
	"github.com/ldexport/ldexport/pkg/ingest/ingesttest"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/kinesistest"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/sender"
)

// hostileRun runs send as the command would, with -o json, standard input
// from stdin (a *os.File for a redirected file) and api on a 1 MiB stream
// (nil for --dry-run); it returns what the user sees.
type hostileResult struct {
	err     error
	stdout  string
	stderr  string
	summary ingest.Summary
}

func hostileRun(t *testing.T, ctx context.Context, opts SendOptions, api *kinesistest.Server, stdin io.Reader) hostileResult {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	if stdin != nil {
		ios.In = stdin
	}
	opts.IO = ios
	opts.Concurrency, opts.shutdownTimeout = 2, 100*time.Millisecond
	var k ingest.Kinesis
	if api != nil {
		k = api.NewClient()
	}
	r := hostileResult{err: runSend(ctx, &opts, k)}
	r.stdout, r.stderr = out.String(), errOut.String()
	if r.stdout != "" {
		if err := json.Unmarshal(out.Bytes(), &r.summary); err != nil {
			t.Fatalf("summary: %v\n%s", err, r.stdout)
		}
	}
	return r
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// bigLines is more input (24 MiB, 24,576 lines) than send holds in memory
// (16 MiB, 8,192 records): a run that stops early cannot have read it all.
func bigLines() []string {
	ls := lines(24 << 10)
	pad := strings.Repeat("x", 900)
	for i := range ls {
		ls[i] = strings.Replace(ls[i], `"n":`, `"pad":"`+pad+`","n":`, 1)
	}
	return ls
}

// TestHostileUnreadAccounted: a run that stops early names, per input, the
// first line never read ("unread"), and tells how to send the rest; the
// lines sent, the lines in the reject file and the lines from fromLine on
// are every input line exactly once. The old code said nothing of unread lines.
func TestHostileUnreadAccounted(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.ndjson"), filepath.Join(dir, "b.ndjson")
	la, lb := bigLines(), lines(40)
	for i := range lb {
		lb[i] = strings.Replace(lb[i], `"n":`, `"b":`, 1)
	}
	writeFile(t, a, strings.Join(la, "\n")+"\n")
	writeFile(t, b, strings.Join(lb, "\n")+"\n")
	fatal := kinesistest.Reply{ErrorCode: "ResourceNotFoundException", Message: "Stream s not found."}
	invalidA := append(append([]string(nil), la[:1000]...), `{"broken":`)
	invalidA = append(invalidA, la[1000:3000]...)
	inv := filepath.Join(dir, "invalid.ndjson")
	writeFile(t, inv, strings.Join(invalidA, "\n")+"\n")

	tests := []struct {
		name      string
		files     []string
		interrupt bool
		script    func(cancel context.CancelFunc) kinesistest.Script
		exit      int
		wantHint  []string
	}{
		{"interrupt", []string{a, b}, true, func(cancel context.CancelFunc) kinesistest.Script {
			return kinesistest.HangFrom(2, cancel)
		}, 130, []string{"| ldexport send --stream s", "ldexport send " + b + " --stream s"}},
		{"fatal error", []string{a, b}, false, func(context.CancelFunc) kinesistest.Script {
			return func(c *kinesistest.Call) kinesistest.Reply {
				if c.N >= 1 {
					return fatal
				}
				return kinesistest.Reply{}
			}
		}, 1, []string{"| ldexport send --stream s", "ldexport send " + b + " --stream s"}},
		{"invalid line under --on-invalid fail", []string{inv, b}, false, func(context.CancelFunc) kinesistest.Script { return nil }, 2, []string{"tail -n +1001 " + inv + " | ldexport send --stream s --no-pace   # after fixing line 1001", "ldexport send " + b + " --stream s"}},
		{"everything read", []string{a, b}, false, func(context.CancelFunc) kinesistest.Script { return nil }, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			api := ingesttest.NewServerWith(t, kinesistest.Options{Script: tt.script(cancel)})
			rej := filepath.Join(t.TempDir(), "rej.ndjson")
			r := hostileRun(t, ctx, SendOptions{Files: tt.files, RejectFile: rej}, api, nil)
			if cmdutil.ExitCode(r.err) != tt.exit {
				t.Fatalf("err = %v (exit %d), want exit %d", r.err, cmdutil.ExitCode(r.err), tt.exit)
			}
			s := r.summary
			if s.Records != s.Sent+s.Failed+s.Invalid {
				t.Fatalf("records %d != sent %d + failed %d + invalid %d", s.Records, s.Sent, s.Failed, s.Invalid)
			}
			if tt.exit == 0 {
				if strings.Contains(r.stdout, `"unread"`) || strings.Contains(r.stderr, "Never read") {
					t.Fatalf("unread named after a full read:\n%s\n%s", r.stdout, r.stderr)
				}
				return
			}
			if len(s.Unread) != len(tt.files) {
				t.Fatalf("unread %+v, want one per input", s.Unread)
			}
			if s.Unread[1] != (ingest.Unread{File: b, FromLine: 1}) {
				t.Fatalf("the input never opened: %+v, want from line 1", s.Unread[1])
			}
			u := s.Unread[0]
			if u.File != tt.files[0] || u.FromLine < 2 {
				t.Fatalf("the input being read: %+v", u)
			}
			// The lines before fromLine are exactly the records read.
			if u.FromLine-1 != s.Records {
				t.Fatalf("fromLine %d, but %d records were read", u.FromLine, s.Records)
			}
			if !strings.Contains(r.stderr, fmt.Sprintf("Never read: %s from line %d, %s from line 1", u.File, u.FromLine, b)) {
				t.Errorf("stderr lacks the unread lines:\n%s", r.stderr)
			}
			for _, h := range tt.wantHint {
				if !strings.Contains(r.stderr, h) {
					t.Errorf("stderr lacks %q:\n%s", h, r.stderr)
				}
			}
			if tt.exit == 2 {
				return
			}
			if !strings.Contains(r.stderr, fmt.Sprintf("tail -n +%d %s | ldexport send --stream s", u.FromLine, u.File)) {
				t.Errorf("no tail -n +N hint:\n%s", r.stderr)
			}
			// Sent + rejected + never read = the input, each line once.
			got := ingesttest.Count(ingesttest.StoredData(api))
			rejected, _ := os.ReadFile(rej)
			for _, l := range strings.Split(strings.TrimSuffix(string(rejected), "\n"), "\n") {
				if l != "" {
					got[l]++
				}
			}
			for _, l := range la[u.FromLine-1:] {
				got[l]++
			}
			for _, l := range la {
				if got[l] != 1 {
					t.Fatalf("%s accounted for %d times", l, got[l])
				}
			}
		})
	}
}

// TestHostileUnreadStdinAndCheckpoint: unread standard input is named "-";
// with --checkpoint the hint is to run the same command again.
func TestHostileUnreadStdinAndCheckpoint(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := hostileRun(t, ctx, SendOptions{RejectFile: filepath.Join(t.TempDir(), "rej")}, ingesttest.NewServerWith(t, kinesistest.Options{Script: kinesistest.HangFrom(1, cancel)}), strings.NewReader(strings.Join(bigLines(), "\n")))
	if cmdutil.ExitCode(r.err) != 130 || len(r.summary.Unread) != 1 || r.summary.Unread[0].File != "-" || r.summary.Unread[0].FromLine != r.summary.Records+1 {
		t.Fatalf("stdin: %v %+v", r.err, r.summary)
	}
	if !strings.Contains(r.stderr, fmt.Sprintf("Never read: standard input from line %d", r.summary.Records+1)) || !strings.Contains(r.stderr, fmt.Sprintf("<the same input> | tail -n +%d | ldexport send --stream s", r.summary.Records+1)) ||
		strings.Contains(r.stderr, "with --checkpoint FILE") {
		t.Fatalf("stderr:\n%s", r.stderr)
	}

	dir := t.TempDir()
	a := filepath.Join(dir, "a.ndjson")
	writeFile(t, a, strings.Join(bigLines(), "\n"))
	ck := filepath.Join(dir, "ck.json")
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	r = hostileRun(t, ctx2, SendOptions{Files: []string{a}, Checkpoint: ck}, ingesttest.NewServerWith(t, kinesistest.Options{Script: kinesistest.HangFrom(1, cancel2)}), nil)
	if cmdutil.ExitCode(r.err) != 130 || len(r.summary.Unread) != 1 || r.summary.Unread[0].File != a {
		t.Fatalf("checkpoint: %v %+v", r.err, r.summary)
	}
	if !strings.Contains(r.stderr, "run the same command again: it resumes from checkpoint "+ck) || strings.Contains(r.stderr, "tail -n") {
		t.Fatalf("stderr:\n%s", r.stderr)
	}
}

// runBeforeKinesis runs the command with args and output format, failing t
// if it asks for a Kinesis client; it returns standard output and the error.
func runBeforeKinesis(t *testing.T, format output.Format, args []string) (stdout string, err error) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Globals: &cmdutil.GlobalOptions{Output: format}, Now: time.Now}
	f.Kinesis = func(context.Context, string, string) (*kinesis.Client, error) {
		t.Errorf("%v: Kinesis asked before the refusal", args)
		return nil, errors.New("no Kinesis here")
	}
	cmd := NewCmdSend(f, nil)
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err = cmd.Execute()
	return out.String(), err
}

// TestHostileRefusedBeforeKinesis: the command refuses a same-file
// --reject-file and a checkpoint in use before it asks Kinesis anything, so
// a slow or unreachable endpoint cannot delay the refusal.
func TestHostileRefusedBeforeKinesis(t *testing.T) {
	dir := t.TempDir()
	v, ck := filepath.Join(dir, "v.ndjson"), filepath.Join(dir, "ck.json")
	writeFile(t, v, "{}\n")
	held, err := fileguard.TryLock(ck)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Unlock()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{v, "--stream", "s", "--reject-file", v}, "are the same file"},
		{[]string{v, "--stream", "s", "--checkpoint", ck}, "--checkpoint " + ck + " is in use by another run of ldexport (pid "},
		{[]string{v, "--stream", "s", "--partition-key", "a..b"}, "--partition-key: "},
	}
	for _, tt := range tests {
		_, err := runBeforeKinesis(t, output.JSON, tt.args)
		if cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v (exit %d), want exit 2 with %q", tt.args, err, cmdutil.ExitCode(err), tt.want)
		}
	}
	if got, _ := os.ReadFile(v); string(got) != "{}\n" {
		t.Fatalf("input changed: %q", got)
	}
}

func TestResendFlags(t *testing.T) {
	tests := []struct {
		opts    SendOptions
		globals cmdutil.GlobalOptions
		want    string
	}{
		{SendOptions{Stream: "s", PartitionKey: "random", OnInvalid: "fail"}, cmdutil.GlobalOptions{}, " --stream s"},
		{SendOptions{Dest: "prod", PartitionKey: "event.contextKeys.user", OnInvalid: "skip", Raw: true, DryRun: true}, cmdutil.GlobalOptions{Profile: "dev"}, " --dest prod --profile dev --partition-key event.contextKeys.user --on-invalid skip --raw --dry-run"},
		{SendOptions{Stream: "s", Balance: true, NoPace: true}, cmdutil.GlobalOptions{ConfigPath: "/my dir/it's.yaml", Region: "eu-west-1", EndpointURL: "http://127.0.0.1:4567"}, ` --stream s --config '/my dir/it'\''s.yaml' --region eu-west-1 --endpoint-url http://127.0.0.1:4567 --balance --no-pace`},
	}
	for _, tt := range tests {
		tt.opts.Globals = &tt.globals
		if got := resendFlags(&tt.opts); got != tt.want {
			t.Errorf("resendFlags = %q, want %q", got, tt.want)
		}
	}
}

// TestHostileResendFlagsKeepAggregate: the "To send them" command printed
// after a run that stopped must send the rest the same way; it dropped
// --aggregate and --aggregate-max-bytes, so the rest went out unaggregated.
func TestHostileResendFlagsKeepAggregate(t *testing.T) {
	opts := SendOptions{Stream: "s", Aggregate: true, AggregateMaxBytes: 2048, Globals: &cmdutil.GlobalOptions{}}
	if got, want := resendFlags(&opts), " --stream s --aggregate --aggregate-max-bytes 2048"; got != want {
		t.Errorf("resendFlags = %q, want %q", got, want)
	}
	opts.AggregateMaxBytes = sender.DefaultAggregateMaxBytes
	if got, want := resendFlags(&opts), " --stream s --aggregate"; got != want {
		t.Errorf("resendFlags = %q, want %q", got, want)
	}
}

// TestHostileInvalidLastLineLeavesNothingUnread: under --on-invalid fail, an
// invalid last line stops the run, but no line is left unread: the summary
// said "unread":[{"fromLine":3}] of a two-line file. The command to send the
// rest after fixing the line is still printed.
func TestHostileInvalidLastLineLeavesNothingUnread(t *testing.T) {
	dir := t.TempDir()
	last := filepath.Join(dir, "last.ndjson")
	mid := filepath.Join(dir, "mid.ndjson")
	if err := os.WriteFile(last, []byte("{\"a\":1}\nbad\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mid, []byte("{\"a\":1}\nbad\n{\"b\":2}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := hostileRun(t, context.Background(), SendOptions{DryRun: true, Files: []string{last}}, nil, nil)
	if cmdutil.ExitCode(r.err) != 2 {
		t.Fatalf("exit %d (%v), want 2", cmdutil.ExitCode(r.err), r.err)
	}
	if len(r.summary.Unread) != 0 || strings.Contains(r.stdout, "unread") {
		t.Errorf("unread = %+v, want none (the invalid line was the last)", r.summary.Unread)
	}
	if !strings.Contains(r.stderr, "tail -n +2 ") || strings.Contains(r.stderr, "Never read") {
		t.Errorf("stderr should give the command to send from the fixed line 2 and name no line never read:\n%s", r.stderr)
	}
	r = hostileRun(t, context.Background(), SendOptions{DryRun: true, Files: []string{mid, last}}, nil, nil)
	if len(r.summary.Unread) != 2 || r.summary.Unread[0].FromLine != 3 || r.summary.Unread[1].FromLine != 1 {
		t.Errorf("unread = %+v, want mid.ndjson from line 3 and last.ndjson from line 1", r.summary.Unread)
	}
}

// TestHostileInvalidUnderFailNamesNoRejectFile: under --on-invalid fail the
// invalid line that stops the run is not written anywhere, but the text
// summary said "Rejected 1 record: 1 invalid, written to
// ldexport-rejects-....ndjson", a file that was never created.
func TestHostileInvalidUnderFailNamesNoRejectFile(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ndjson")
	if err := os.WriteFile(in, []byte("{\"a\":1}\nbad\n{\"b\":2}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ios, _, _, errOut := iostreams.Test()
	t.Chdir(dir)
	opts := SendOptions{IO: ios, Globals: &cmdutil.GlobalOptions{Output: output.Table}, Files: []string{in}, DryRun: true, Concurrency: 2}
	err := runSend(context.Background(), &opts, nil)
	if cmdutil.ExitCode(err) != 2 {
		t.Fatalf("exit %d (%v), want 2", cmdutil.ExitCode(err), err)
	}
	if strings.Contains(errOut.String(), "written to") {
		t.Errorf("the summary names a reject file nothing was written to:\n%s", errOut.String())
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "ldexport-rejects-*")); len(m) != 0 {
		t.Errorf("reject files created: %v", m)
	}
}
