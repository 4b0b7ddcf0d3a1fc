package send

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/ldexport/ldexport/pkg/checkpoint"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/sender"
)

type ckRun struct {
	err     error
	stderr  string
	summary Summary
}

// runFiles runs send on files with opts (Checkpoint etc. set by the caller).
func runFiles(t *testing.T, ctx context.Context, opts SendOptions, api sender.PutRecordsAPI) ckRun {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	opts.Factory = &cmdutil.Factory{IOStreams: ios, Globals: &cmdutil.GlobalOptions{Output: output.JSON}, Now: time.Now}
	if opts.OnInvalid == "" {
		opts.OnInvalid = "fail"
	}
	opts.RetryTimeout, opts.Concurrency, opts.shutdownTimeout = time.Minute, 2, 100*time.Millisecond
	in, err := openInputs(opts.Files, ios.In)
	if err != nil {
		t.Fatal(err)
	}
	defer in.close()
	r := ckRun{err: run(ctx, &opts, target{stream: "s", region: "us-east-1"}, in, api, 1<<10)}
	r.stderr = errOut.String()
	if out.Len() > 0 {
		if err := json.Unmarshal(out.Bytes(), &r.summary); err != nil {
			t.Fatalf("summary: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), `"skipped"`) {
			t.Fatal(`summary without "skipped"`)
		}
	}
	return r
}

// stalledKinesis stores the first after requests, then interrupts the run
// and stalls every later request until its context ends (a request
// abandoned at shutdown: nothing stored).
type stalledKinesis struct {
	fakeKinesis
	after  int
	cancel context.CancelFunc
}

func (b *stalledKinesis) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, o ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	b.mu.Lock()
	n := b.calls
	if n >= b.after {
		b.calls++
	}
	b.mu.Unlock()
	if n < b.after {
		return b.fakeKinesis.PutRecords(ctx, in, o...)
	}
	b.cancel()
	<-ctx.Done()
	return nil, ctx.Err()
}

func storedMultiset(bs ...[][]byte) map[string]int {
	m := map[string]int{}
	for _, b := range bs {
		for _, d := range b {
			m[string(d)]++
		}
	}
	return m
}

// TestCheckpointResumeAfterInterrupt interrupts a run over two files (one
// gzip, with blank lines and an invalid line skipped into the reject file),
// resumes it, and checks every record is stored exactly once, the reject
// file holds the invalid line once, and a third run sends nothing.
func TestCheckpointResumeAfterInterrupt(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.ndjson"), filepath.Join(dir, "b.ndjson.gz")
	ls := lines(3000)
	aText := strings.Join(ls[:1500], "\n\n") + "\nnot json\n\n"
	if err := os.WriteFile(a, []byte(aText), 0o600); err != nil {
		t.Fatal(err)
	}
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write([]byte(strings.Join(ls[1500:], "\n")))
	zw.Close()
	if err := os.WriteFile(b, zb.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	ck, rejects := filepath.Join(dir, "ck.json"), filepath.Join(dir, "rejects.ndjson")
	opts := SendOptions{Files: []string{a, b}, Checkpoint: ck, RejectFile: rejects, OnInvalid: "skip"}

	ctx, cancel := context.WithCancel(context.Background())
	first := &stalledKinesis{after: 3, cancel: cancel}
	r1 := runFiles(t, ctx, opts, first)
	if cmdutil.ExitCode(r1.err) != 130 || !strings.Contains(r1.err.Error(), "progress saved in "+ck) {
		t.Fatalf("first run: %v (exit %d)\n%s", r1.err, cmdutil.ExitCode(r1.err), r1.stderr)
	}
	if r1.summary.Sent == 0 || r1.summary.Failed == 0 || r1.summary.LeftForNextRun != r1.summary.Failed || r1.summary.Stopped != 0 {
		t.Fatalf("first run: %+v", r1.summary)
	}
	if strings.Contains(r1.err.Error(), "not delivered") || !strings.Contains(r1.err.Error(), fmt.Sprintf("%d left for the next run", r1.summary.LeftForNextRun)) {
		t.Errorf("first run's error line: %v", r1.err)
	}
	if got, _ := os.ReadFile(rejects); strings.Contains(string(got), `"n":`) {
		t.Fatal("a record not delivered at the interrupt went to the reject file")
	}
	saved, err := os.ReadFile(ck)
	if err != nil {
		t.Fatal(err)
	}
	st, err := checkpoint.Parse(saved)
	if err != nil || st.Complete || st.Files[0].Records+st.Files[1].Records != r1.summary.Sent+r1.summary.Invalid {
		t.Fatalf("checkpoint after the interrupt: %v %s", err, saved)
	}

	second := &fakeKinesis{}
	r2 := runFiles(t, context.Background(), opts, second)
	if r2.err != nil {
		t.Fatalf("resume: %v\n%s", r2.err, r2.stderr)
	}
	if r2.summary.Skipped != r1.summary.Sent+r1.summary.Invalid || r2.summary.Sent+r2.summary.Skipped+r2.summary.Invalid != 3001 {
		t.Fatalf("resume summary %+v after %+v", r2.summary, r1.summary)
	}
	got := storedMultiset(first.stored, second.stored)
	for _, l := range ls {
		if got[l] != 1 {
			t.Fatalf("%s stored %d times", l, got[l])
		}
	}
	if len(got) != len(ls) {
		t.Fatalf("%d distinct records stored, want %d", len(got), len(ls))
	}
	if rej, _ := os.ReadFile(rejects); string(rej) != "not json\n" {
		t.Fatalf("reject file %q, want the invalid line once", rej)
	}

	third := &fakeKinesis{}
	r3 := runFiles(t, context.Background(), opts, third)
	if r3.err != nil || len(third.stored) != 0 || r3.summary.Records != 0 || r3.summary.Skipped != 3001 {
		t.Fatalf("third run: %v, %d stored, %+v", r3.err, len(third.stored), r3.summary)
	}
	if rej, _ := os.ReadFile(rejects); string(rej) != "not json\n" {
		t.Fatalf("reject file %q after the third run", rej)
	}
}

// TestCheckpointOversizeLineNotRejectedTwice: an oversize line written to the
// reject file by an interrupted run is not written again on resume.
func TestCheckpointOversizeLineNotRejectedTwice(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.ndjson")
	big := `{"big":"` + strings.Repeat("x", 2000) + `"}`
	ls := lines(2000)
	content := big + "\n" + strings.Join(ls, "\n") + "\n"
	if err := os.WriteFile(a, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	ck, rejects := filepath.Join(dir, "ck.json"), filepath.Join(dir, "rejects.ndjson")
	opts := SendOptions{Files: []string{a}, Checkpoint: ck, RejectFile: rejects, OnInvalid: "skip"}
	ctx, cancel := context.WithCancel(context.Background())
	first := &stalledKinesis{after: 1, cancel: cancel}
	if r := runFiles(t, ctx, opts, first); cmdutil.ExitCode(r.err) != 130 {
		t.Fatalf("first run: %v", r.err)
	}
	second := &fakeKinesis{}
	if r := runFiles(t, context.Background(), opts, second); r.err != nil || r.summary.Invalid != 0 {
		t.Fatalf("resume: %v %+v", r.err, r.summary)
	}
	if rej, _ := os.ReadFile(rejects); string(rej) != big+"\n" {
		t.Fatalf("reject file holds %d bytes, want the oversize line once", len(rej))
	}
	got := storedMultiset(first.stored, second.stored)
	for _, l := range ls {
		if got[l] != 1 {
			t.Fatalf("%s stored %d times", l, got[l])
		}
	}
}

// TestCheckpointRefused covers the cases where --checkpoint must refuse to
// run (exit 2, one line naming the file) and leave the checkpoint alone.
func TestCheckpointRefused(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.ndjson"), filepath.Join(dir, "b.ndjson")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, []byte(strings.Join(lines(10), "\n")), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ck := filepath.Join(dir, "ck.json")
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // an interrupted run that sent nothing still leaves a checkpoint
	runFiles(t, ctx, SendOptions{Files: []string{a, b}, Checkpoint: ck}, &fakeKinesis{})
	if _, err := os.Stat(ck); err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(dir, "corrupt.json")
	if err := os.WriteFile(corrupt, []byte(`{"version":1,`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		files  []string
		ck     string
		change func(t *testing.T)
		want   string
	}{
		{"other file list", []string{a}, ck, nil, "made for 2 input files, this command names 1"},
		{"other order", []string{b, a}, ck, nil, "input 1 is " + b},
		{"same file twice", []string{a, a}, ck, nil, "are the same file"},
		{"corrupt", []string{a, b}, corrupt, nil, "checkpoint " + corrupt + ": not a checkpoint"},
		{"changed file", []string{a, b}, ck, func(t *testing.T) {
			if err := os.WriteFile(b, []byte("{}\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, b + " changed: 3 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := os.ReadFile(tt.ck)
			if tt.change != nil {
				tt.change(t)
			}
			api := &fakeKinesis{}
			r := runFiles(t, context.Background(), SendOptions{Files: tt.files, Checkpoint: tt.ck}, api)
			if cmdutil.ExitCode(r.err) != 2 || !strings.Contains(r.err.Error(), tt.want) || strings.Contains(r.err.Error(), "\n") {
				t.Fatalf("err = %v (exit %d), want exit 2 with %q", r.err, cmdutil.ExitCode(r.err), tt.want)
			}
			if len(api.stored) != 0 {
				t.Fatal("records sent despite the refusal")
			}
			if after, _ := os.ReadFile(tt.ck); !bytes.Equal(before, after) {
				t.Fatal("checkpoint file changed")
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

// TestCheckpointGivenUpIsDone: a record given up after its retry budget is
// in the reject file and done; the resumed run does not send it again.
func TestCheckpointGivenUpIsDone(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.ndjson")
	ls := lines(5)
	if err := os.WriteFile(a, []byte(strings.Join(ls, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	ck, rejects := filepath.Join(dir, "ck.json"), filepath.Join(dir, "rejects.ndjson")
	opts := SendOptions{Files: []string{a}, Checkpoint: ck, RejectFile: rejects}
	failing := &fakeKinesis{fail: func(int) error { return fmt.Errorf("HTTP 503: %w", context.DeadlineExceeded) }}
	o := opts
	r := func() ckRun {
		ios, _, out, errOut := iostreams.Test()
		o.Factory = &cmdutil.Factory{IOStreams: ios, Globals: &cmdutil.GlobalOptions{Output: output.JSON}, Now: time.Now}
		o.OnInvalid, o.RetryTimeout, o.Concurrency = "fail", 50*time.Millisecond, 1
		in, _ := openInputs(o.Files, ios.In)
		defer in.close()
		res := ckRun{err: run(context.Background(), &o, target{stream: "s"}, in, failing, 1<<20), stderr: errOut.String()}
		_ = json.Unmarshal(out.Bytes(), &res.summary)
		return res
	}()
	if cmdutil.ExitCode(r.err) != 1 || r.summary.Failed != 5 {
		t.Fatalf("%v %+v", r.err, r.summary)
	}
	rej, _ := os.ReadFile(rejects)
	gotRej := strings.Split(strings.TrimSpace(string(rej)), "\n")
	sort.Strings(gotRej)
	want := append([]string(nil), ls...)
	sort.Strings(want)
	if fmt.Sprint(gotRej) != fmt.Sprint(want) {
		t.Fatalf("reject file %q", rej)
	}
	again := &fakeKinesis{}
	r2 := runFiles(t, context.Background(), opts, again)
	if r2.err != nil || len(again.stored) != 0 || r2.summary.Skipped != 5 {
		t.Fatalf("rerun: %v, %d stored, %+v", r2.err, len(again.stored), r2.summary)
	}
}

// pausedKinesis stores the first request's records, then holds every later
// request until release is closed.
type pausedKinesis struct {
	fakeKinesis
	release chan struct{}
}

func (p *pausedKinesis) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, o ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	p.mu.Lock()
	first := p.calls == 0
	p.mu.Unlock()
	if !first {
		<-p.release
	}
	return p.fakeKinesis.PutRecords(ctx, in, o...)
}

// TestCheckpointSavedWhileSending: progress reaches the file during the run,
// not only at its end.
func TestCheckpointSavedWhileSending(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.ndjson")
	if err := os.WriteFile(a, []byte(strings.Join(lines(1500), "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	ck := filepath.Join(dir, "ck.json")
	api := &pausedKinesis{release: make(chan struct{})}
	done := make(chan ckRun)
	go func() {
		done <- runFiles(t, context.Background(), SendOptions{Files: []string{a}, Checkpoint: ck}, api)
	}()
	deadline := time.Now().Add(5 * time.Second)
	var recs int64
	for time.Now().Before(deadline) && recs == 0 {
		time.Sleep(100 * time.Millisecond)
		if data, err := os.ReadFile(ck); err == nil {
			if st, err := checkpoint.Parse(data); err == nil {
				recs = st.Files[0].Records
			}
		}
	}
	close(api.release)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if recs == 0 || recs >= 1500 {
		t.Fatalf("checkpoint during the run recorded %d records, want the first request's", recs)
	}
}
