package send

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/fileguard"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/sender"
	"github.com/ldexport/ldexport/pkg/store"
)

// hostileRun runs send as the command would, with a destination store at
// storePath ("" for none) and standard input from stdin (a *os.File for a
// redirected file); it returns what the user sees.
type hostileResult struct {
	err     error
	stdout  string
	stderr  string
	summary Summary
}

func hostileRun(t *testing.T, ctx context.Context, opts SendOptions, api sender.PutRecordsAPI, storePath string, stdin io.Reader) hostileResult {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	if stdin != nil {
		ios.In = stdin
	}
	f := &cmdutil.Factory{IOStreams: ios, Globals: &cmdutil.GlobalOptions{Output: output.JSON}, Now: func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) }}
	if storePath != "" {
		f.Store = func() (*store.Store, error) { return store.New(storePath), nil }
	}
	opts.Factory = f
	if opts.OnInvalid == "" {
		opts.OnInvalid = "fail"
	}
	if opts.Stream == "" && opts.Dest == "" {
		opts.Stream = "s"
	}
	opts.RetryTimeout, opts.Concurrency, opts.shutdownTimeout = time.Minute, 2, 100*time.Millisecond
	in, err := openInputs(opts.Files, ios.In)
	if err != nil {
		return hostileResult{err: err}
	}
	defer in.close()
	r := hostileResult{err: run(ctx, &opts, target{stream: opts.Stream, region: "us-east-1"}, in, api, 1<<20)}
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

// TestHostileSameFileRefused: a --reject-file or --checkpoint that is an
// input, the store, or each other is refused with exit 2 and one line naming
// both, before anything is written or sent. On the old code
// `send v.ndjson --on-invalid skip --reject-file v.ndjson` emptied v.ndjson.
func TestHostileSameFileRefused(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	input := strings.Join(lines(20), "\n") + "\nnot json\n"
	v := filepath.Join(dir, "v.ndjson")
	storePath := filepath.Join(dir, "config.yaml")
	storeText := "# store\nversion: 1\ndestinations: []\n"
	link := filepath.Join(dir, "v-link.ndjson")
	if err := os.Symlink(v, link); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "v-hard.ndjson")
	tests := []struct {
		name  string
		opts  SendOptions
		stdin bool   // standard input redirected from v
		want  string // both names, in the message
	}{
		{"reject file is the input", SendOptions{Files: []string{"v.ndjson"}, OnInvalid: "skip", RejectFile: "v.ndjson"}, false, "input v.ndjson and --reject-file v.ndjson are the same file"},
		{"reject file is the input by another path", SendOptions{Files: []string{v}, OnInvalid: "skip", RejectFile: "./v.ndjson"}, false, "input " + v + " and --reject-file ./v.ndjson"},
		{"reject file is a symlink to the input", SendOptions{Files: []string{"v.ndjson"}, OnInvalid: "skip", RejectFile: link}, false, "--reject-file " + link},
		{"reject file is a hard link to the input", SendOptions{Files: []string{"v.ndjson"}, OnInvalid: "skip", RejectFile: hard}, false, "--reject-file " + hard},
		{"reject file is the second input", SendOptions{Files: []string{"other.ndjson", "v.ndjson"}, RejectFile: "v.ndjson"}, false, "input v.ndjson and --reject-file v.ndjson"},
		{"standard input redirected from the reject file", SendOptions{OnInvalid: "skip", RejectFile: "v.ndjson"}, true, "standard input and --reject-file v.ndjson"},
		{"checkpoint is the input", SendOptions{Files: []string{"v.ndjson"}, Checkpoint: "v.ndjson"}, false, "input v.ndjson and --checkpoint v.ndjson"},
		{"checkpoint is a symlink to the input", SendOptions{Files: []string{"v.ndjson"}, Checkpoint: link}, false, "--checkpoint " + link},
		{"reject file is the checkpoint", SendOptions{Files: []string{"v.ndjson"}, OnInvalid: "skip", Checkpoint: "ck.json", RejectFile: "./ck.json"}, false, "--reject-file ./ck.json and --checkpoint ck.json"},
		{"reject file is the checkpoint's lock", SendOptions{Files: []string{"v.ndjson"}, OnInvalid: "skip", Checkpoint: "ck.json", RejectFile: "ck.json.lock"}, false, "--reject-file ck.json.lock and the lock file of --checkpoint"},
		{"reject file is the store", SendOptions{Files: []string{"v.ndjson"}, OnInvalid: "skip", RejectFile: storePath}, false, "the destination store (--config) " + storePath + " and --reject-file"},
		{"checkpoint is the store", SendOptions{Files: []string{"v.ndjson"}, Checkpoint: storePath}, false, "the destination store (--config) " + storePath + " and --checkpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writeFile(t, v, input)
			writeFile(t, "other.ndjson", "{}\n")
			writeFile(t, storePath, storeText)
			_ = os.Remove(hard)
			if err := os.Link(v, hard); err != nil {
				t.Fatal(err)
			}
			var stdin io.Reader
			if tt.stdin {
				fh, err := os.Open(v)
				if err != nil {
					t.Fatal(err)
				}
				defer fh.Close()
				stdin = fh
			}
			api := &fakeKinesis{}
			r := hostileRun(t, context.Background(), tt.opts, api, storePath, stdin)
			if cmdutil.ExitCode(r.err) != 2 || !strings.Contains(r.err.Error(), tt.want) || strings.Contains(r.err.Error(), "\n") {
				t.Fatalf("err = %v (exit %d), want exit 2, one line with %q", r.err, cmdutil.ExitCode(r.err), tt.want)
			}
			if got, _ := os.ReadFile(v); string(got) != input {
				t.Fatalf("the input was changed: %d bytes left of %d", len(got), len(input))
			}
			if got, _ := os.ReadFile(storePath); string(got) != storeText {
				t.Fatalf("the store was changed: %q", got)
			}
			if len(api.stored) != 0 {
				t.Fatalf("%d records sent despite the refusal", len(api.stored))
			}
			for _, p := range []string{"ck.json", "ck.json.lock"} {
				if _, err := os.Stat(p); !os.IsNotExist(err) {
					t.Fatalf("%s written despite the refusal (%v)", p, err)
				}
			}
		})
	}
}

// TestHostileDefaultRejectFilesNeverShared: runs started in the same second
// each get their own default reject file, created exclusively; on the old
// code the second truncated the first's rejected lines.
func TestHostileDefaultRejectFilesNeverShared(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	// A file of the first name exists already (say another tool's): never touched.
	taken := defaultRejectName(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), 1)
	writeFile(t, taken, "someone else's\n")
	var names []string
	for i := range 3 {
		bad := fmt.Sprintf("bad line of run %d", i)
		r := hostileRun(t, context.Background(), SendOptions{OnInvalid: "skip"}, &fakeKinesis{}, "", strings.NewReader("{}\n"+bad+"\n"))
		if r.err != nil || r.summary.Invalid != 1 {
			t.Fatalf("run %d: %v %+v", i, r.err, r.summary)
		}
		_, after, ok := strings.Cut(r.stderr, "Rejected lines written to ")
		if !ok {
			t.Fatalf("run %d names no reject file:\n%s", i, r.stderr)
		}
		name := strings.TrimSpace(after)
		if got, err := os.ReadFile(name); err != nil || string(got) != bad+"\n" {
			t.Fatalf("run %d's reject file %s holds %q (%v)", i, name, got, err)
		}
		names = append(names, name)
	}
	if got, _ := os.ReadFile(taken); string(got) != "someone else's\n" {
		t.Fatalf("an existing file was written to: %q", got)
	}
	sort.Strings(names)
	for i := 1; i < len(names); i++ {
		if names[i] == names[i-1] {
			t.Fatalf("two runs shared %s", names[i])
		}
	}
	for i, name := range names {
		got, _ := os.ReadFile(name)
		if !strings.HasPrefix(string(got), "bad line of run ") {
			t.Fatalf("reject file %d lost its line: %q", i, got)
		}
	}
}

// TestHostileGivenRejectFileNeverTruncated: a --reject-file that holds lines
// is refused (exit 2, file untouched, nothing sent) unless a resumed
// --checkpoint run appends to it; an empty or new one is used.
func TestHostileGivenRejectFileNeverTruncated(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ndjson")
	writeFile(t, in, "{}\nnot json\n")
	rej := filepath.Join(dir, "rejects.ndjson")
	writeFile(t, rej, "fixed later\n")
	api := &fakeKinesis{}
	r := hostileRun(t, context.Background(), SendOptions{Files: []string{in}, OnInvalid: "skip", RejectFile: rej}, api, "", nil)
	if cmdutil.ExitCode(r.err) != 2 || !strings.Contains(r.err.Error(), "--reject-file "+rej+" already holds 12 bytes") {
		t.Fatalf("err = %v (exit %d)", r.err, cmdutil.ExitCode(r.err))
	}
	if got, _ := os.ReadFile(rej); string(got) != "fixed later\n" || len(api.stored) != 0 {
		t.Fatalf("reject file %q, %d sent", got, len(api.stored))
	}
	// A fresh checkpoint does not make another job's lines its own.
	r = hostileRun(t, context.Background(), SendOptions{Files: []string{in}, OnInvalid: "skip", RejectFile: rej, Checkpoint: filepath.Join(dir, "ck.json")}, api, "", nil)
	if cmdutil.ExitCode(r.err) != 2 || len(api.stored) != 0 {
		t.Fatalf("with a new checkpoint: err = %v, %d sent", r.err, len(api.stored))
	}
	if _, err := os.Stat(filepath.Join(dir, "ck.json")); !os.IsNotExist(err) {
		t.Fatalf("checkpoint written despite the refusal (%v)", err)
	}
	empty := filepath.Join(dir, "empty.ndjson")
	writeFile(t, empty, "")
	r = hostileRun(t, context.Background(), SendOptions{Files: []string{in}, OnInvalid: "skip", RejectFile: empty}, api, "", nil)
	if got, _ := os.ReadFile(empty); r.err != nil || string(got) != "not json\n" {
		t.Fatalf("empty reject file: %v, holds %q", r.err, got)
	}
}

// TestHostileSymlinkedCheckpoint: a checkpoint reached through a symbolic
// link is saved to the link's target, and the link stays; the old code
// replaced the link with a regular file.
func TestHostileSymlinkedCheckpoint(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ndjson")
	writeFile(t, in, strings.Join(lines(50), "\n"))
	target := filepath.Join(dir, "state", "ck.json")
	if err := os.Mkdir(filepath.Dir(target), 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "ck.json")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	api := &fakeKinesis{}
	if r := hostileRun(t, context.Background(), SendOptions{Files: []string{in}, Checkpoint: link}, api, "", nil); r.err != nil {
		t.Fatal(r.err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the checkpoint link was replaced (%v, %v)", st.Mode(), err)
	}
	data, err := os.ReadFile(target)
	if err != nil || !strings.Contains(string(data), `"complete": true`) {
		t.Fatalf("target: %v %s", err, data)
	}
	again := &fakeKinesis{}
	r := hostileRun(t, context.Background(), SendOptions{Files: []string{in}, Checkpoint: target}, again, "", nil)
	if r.err != nil || len(again.stored) != 0 || r.summary.Skipped != 50 {
		t.Fatalf("rerun through the target: %v, %d sent, %+v", r.err, len(again.stored), r.summary)
	}
}

// holdingKinesis stores every request, but holds the first until release
// is closed, telling on started that the run is under way.
type holdingKinesis struct {
	fakeKinesis
	held    atomic.Bool
	started chan struct{}
	release chan struct{}
}

func (h *holdingKinesis) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, o ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	if h.held.CompareAndSwap(false, true) {
		close(h.started)
		<-h.release
	}
	return h.fakeKinesis.PutRecords(ctx, in, o...)
}

// TestHostileConcurrentCheckpointRuns: while one run uses a checkpoint, a
// second run on it (also through a symbolic link) exits 2 at once naming the
// holder; every record is sent once. The old code let both send everything.
func TestHostileConcurrentCheckpointRuns(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ndjson")
	ls := lines(1200)
	writeFile(t, in, strings.Join(ls, "\n"))
	ck := filepath.Join(dir, "ck.json")
	if err := os.Symlink(ck, filepath.Join(dir, "ck-link.json")); err != nil {
		t.Fatal(err)
	}
	first := &holdingKinesis{started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan hostileResult)
	go func() {
		done <- hostileRun(t, context.Background(), SendOptions{Files: []string{in}, Checkpoint: ck}, first, "", nil)
	}()
	<-first.started
	for _, path := range []string{ck, filepath.Join(dir, "ck-link.json")} {
		second := &fakeKinesis{}
		start := time.Now()
		r := hostileRun(t, context.Background(), SendOptions{Files: []string{in}, Checkpoint: path}, second, "", nil)
		want := fmt.Sprintf("--checkpoint %s is in use by another run of ldexport (pid %d on ", path, os.Getpid())
		if cmdutil.ExitCode(r.err) != 2 || !strings.Contains(r.err.Error(), want) {
			t.Fatalf("second run: %v (exit %d), want exit 2 with %q", r.err, cmdutil.ExitCode(r.err), want)
		}
		if len(second.stored) != 0 || time.Since(start) > 5*time.Second {
			t.Fatalf("second run sent %d records, took %s", len(second.stored), time.Since(start))
		}
	}
	close(first.release)
	r := <-done
	if r.err != nil || r.summary.Sent != 1200 {
		t.Fatalf("first run: %v %+v", r.err, r.summary)
	}
	got := storedMultiset(first.stored)
	for _, l := range ls {
		if got[l] != 1 {
			t.Fatalf("%s stored %d times", l, got[l])
		}
	}
	// Released: the next run finds the checkpoint complete.
	third := &fakeKinesis{}
	if r := hostileRun(t, context.Background(), SendOptions{Files: []string{in}, Checkpoint: ck}, third, "", nil); r.err != nil || len(third.stored) != 0 {
		t.Fatalf("after the first run: %v, %d sent", r.err, len(third.stored))
	}
}

// TestHostileConcurrentCheckpointProcesses: the same across two processes.
// A child process holds the checkpoint while it sends; this process's run
// on it exits 2 naming the child's pid.
func TestHostileConcurrentCheckpointProcesses(t *testing.T) {
	if os.Getenv("LDEXPORT_TEST_CHECKPOINT_HOLDER") != "" {
		t.Skip("helper process")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ndjson")
	writeFile(t, in, strings.Join(lines(600), "\n"))
	ck, ready, release := filepath.Join(dir, "ck.json"), filepath.Join(dir, "ready"), filepath.Join(dir, "release")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCheckpointHolderProcess$")
	cmd.Env = append(os.Environ(), "LDEXPORT_TEST_CHECKPOINT_HOLDER="+dir)
	var childOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &childOut, &childOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the holder process never started sending:\n%s", childOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	api := &fakeKinesis{}
	r := hostileRun(t, context.Background(), SendOptions{Files: []string{in}, Checkpoint: ck}, api, "", nil)
	want := fmt.Sprintf("is in use by another run of ldexport (pid %d on ", cmd.Process.Pid)
	if cmdutil.ExitCode(r.err) != 2 || !strings.Contains(r.err.Error(), want) || len(api.stored) != 0 {
		t.Fatalf("run beside the holder: %v (exit %d), %d sent; want exit 2 with %q", r.err, cmdutil.ExitCode(r.err), len(api.stored), want)
	}
	writeFile(t, release, "")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("holder process: %v\n%s", err, childOut.String())
	}
	again := &fakeKinesis{}
	if r := hostileRun(t, context.Background(), SendOptions{Files: []string{in}, Checkpoint: ck}, again, "", nil); r.err != nil || len(again.stored) != 0 || r.summary.Skipped != 600 {
		t.Fatalf("after the holder: %v, %d sent, %+v", r.err, len(again.stored), r.summary)
	}
}

// TestCheckpointHolderProcess is the child of
// TestHostileConcurrentCheckpointProcesses: it sends with a checkpoint and
// holds its first request until the parent creates the release file.
func TestCheckpointHolderProcess(t *testing.T) {
	dir := os.Getenv("LDEXPORT_TEST_CHECKPOINT_HOLDER")
	if dir == "" {
		t.Skip("run by TestHostileConcurrentCheckpointProcesses")
	}
	api := &holdingKinesis{started: make(chan struct{}), release: make(chan struct{})}
	go func() {
		<-api.started
		writeFile(t, filepath.Join(dir, "ready"), "")
		for {
			if _, err := os.Stat(filepath.Join(dir, "release")); err == nil {
				close(api.release)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	r := hostileRun(t, context.Background(), SendOptions{Files: []string{filepath.Join(dir, "in.ndjson")}, Checkpoint: filepath.Join(dir, "ck.json")}, api, "", nil)
	if r.err != nil || r.summary.Sent != 600 {
		t.Fatalf("holder: %v %+v", r.err, r.summary)
	}
}

// bigLines is more input (24 MiB) than send holds in memory (16 MiB): a run
// that stops early cannot have read it all.
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
	fatal := &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "Stream s not found."}
	invalidA := append(append([]string(nil), la[:1000]...), `{"broken":`)
	invalidA = append(invalidA, la[1000:3000]...)
	inv := filepath.Join(dir, "invalid.ndjson")
	writeFile(t, inv, strings.Join(invalidA, "\n")+"\n")

	tests := []struct {
		name      string
		files     []string
		interrupt bool
		api       func(cancel context.CancelFunc) sender.PutRecordsAPI
		exit      int
		wantHint  []string
	}{
		{"interrupt", []string{a, b}, true, func(cancel context.CancelFunc) sender.PutRecordsAPI {
			return &stalledKinesis{after: 2, cancel: cancel}
		}, 130, []string{"| ldexport send --stream s", "ldexport send " + b + " --stream s"}},
		{"fatal error", []string{a, b}, false, func(context.CancelFunc) sender.PutRecordsAPI {
			return &fakeKinesis{fail: func(n int) error {
				if n >= 2 {
					return fatal
				}
				return nil
			}}
		}, 1, []string{"| ldexport send --stream s", "ldexport send " + b + " --stream s"}},
		{"invalid line under --on-invalid fail", []string{inv, b}, false, func(context.CancelFunc) sender.PutRecordsAPI {
			return &fakeKinesis{}
		}, 2, []string{"tail -n +1001 " + inv + " | ldexport send --stream s   # after fixing line 1001", "ldexport send " + b + " --stream s"}},
		{"everything read", []string{a, b}, false, func(context.CancelFunc) sender.PutRecordsAPI {
			return &fakeKinesis{}
		}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			api := tt.api(cancel)
			rej := filepath.Join(t.TempDir(), "rej.ndjson")
			r := hostileRun(t, ctx, SendOptions{Files: tt.files, RejectFile: rej}, api, "", nil)
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
			if s.Unread[1] != (Unread{File: b, FromLine: 1}) {
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
			var stored [][]byte
			switch k := api.(type) {
			case *stalledKinesis:
				stored = k.stored
			case *fakeKinesis:
				stored = k.stored
			}
			got := storedMultiset(stored)
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
	r := hostileRun(t, ctx, SendOptions{RejectFile: filepath.Join(t.TempDir(), "rej")}, &stalledKinesis{after: 1, cancel: cancel}, "", strings.NewReader(strings.Join(bigLines(), "\n")))
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
	r = hostileRun(t, ctx2, SendOptions{Files: []string{a}, Checkpoint: ck}, &stalledKinesis{after: 1, cancel: cancel2}, "", nil)
	if cmdutil.ExitCode(r.err) != 130 || len(r.summary.Unread) != 1 || r.summary.Unread[0].File != a {
		t.Fatalf("checkpoint: %v %+v", r.err, r.summary)
	}
	if !strings.Contains(r.stderr, "run the same command again: it resumes from checkpoint "+ck) || strings.Contains(r.stderr, "tail -n") {
		t.Fatalf("stderr:\n%s", r.stderr)
	}
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
	}
	for _, tt := range tests {
		ios, _, _, _ := iostreams.Test()
		f := &cmdutil.Factory{IOStreams: ios, Globals: &cmdutil.GlobalOptions{Output: output.JSON}, Now: time.Now}
		f.Kinesis = func(context.Context, string, string) (*kinesis.Client, error) {
			t.Errorf("%v: Kinesis asked before the refusal", tt.args)
			return nil, errors.New("no Kinesis here")
		}
		cmd := NewCmdSend(f, nil)
		cmd.SetArgs(tt.args)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		err := cmd.Execute()
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
		tt.opts.Factory = &cmdutil.Factory{Globals: &tt.globals}
		if got := resendFlags(&tt.opts); got != tt.want {
			t.Errorf("resendFlags = %q, want %q", got, tt.want)
		}
	}
}

// TestHostileSharedRejectFileKeepsLinesWhole: two runs started at once with
// the same (empty) --reject-file both append to it; every rejected line of
// both is in it once and whole. The old code truncated the file at each
// start and flushed its buffer in the middle of lines.
func TestHostileSharedRejectFileKeepsLinesWhole(t *testing.T) {
	rej := filepath.Join(t.TempDir(), "rejects.ndjson")
	const perRun = 3000
	want := map[string]int{}
	var inputs [2][]string
	for run := range inputs {
		for i := range perRun {
			l := fmt.Sprintf("not json, run %d line %d %s", run, i, strings.Repeat("y", i%700))
			inputs[run] = append(inputs[run], l)
			want[l]++
		}
	}
	type out struct {
		run int
		r   hostileResult
	}
	done := make(chan out, 2)
	var pipes [2]*io.PipeWriter
	for run := range pipes {
		pr, pw := io.Pipe()
		pipes[run] = pw
		go func() {
			done <- out{run, hostileRun(t, context.Background(), SendOptions{DryRun: true, OnInvalid: "skip", RejectFile: rej}, nil, "", pr)}
		}()
	}
	// A write to a pipe returns once the run reads it: by then the run has
	// opened the reject file, which it does before reading.
	for _, pw := range pipes {
		if _, err := pw.Write([]byte("\n")); err != nil {
			t.Fatal(err)
		}
	}
	// Fed in turns, a few lines each, so that both runs write at once.
	go func() {
		for i := 0; i < perRun; i += 7 {
			for run, pw := range pipes {
				_, _ = pw.Write([]byte(strings.Join(inputs[run][i:min(i+7, perRun)], "\n") + "\n"))
			}
		}
		for _, pw := range pipes {
			_ = pw.Close()
		}
	}()
	for range pipes {
		o := <-done
		if o.r.err != nil || o.r.summary.Invalid != perRun {
			t.Fatalf("run %d: %v %+v", o.run, o.r.err, o.r.summary)
		}
	}
	data, err := os.ReadFile(rej)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		got[l]++
	}
	for l, n := range got {
		if want[l] != n {
			t.Fatalf("reject file holds %q %d times (a split or lost line)", l[:min(len(l), 60)], n)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("reject file holds %d distinct lines, want %d", len(got), len(want))
	}
}

// TestHostileResendFlagsKeepAggregate: the "To send them" command printed
// after a run that stopped must send the rest the same way; it dropped
// --aggregate and --aggregate-max-bytes, so the rest went out unaggregated.
func TestHostileResendFlagsKeepAggregate(t *testing.T) {
	opts := SendOptions{Stream: "s", Aggregate: true, AggregateMaxBytes: 2048, Factory: &cmdutil.Factory{Globals: &cmdutil.GlobalOptions{}}}
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
	r := hostileRun(t, context.Background(), SendOptions{DryRun: true, Files: []string{last}}, nil, "", nil)
	if cmdutil.ExitCode(r.err) != 2 {
		t.Fatalf("exit %d (%v), want 2", cmdutil.ExitCode(r.err), r.err)
	}
	if len(r.summary.Unread) != 0 || strings.Contains(r.stdout, "unread") {
		t.Errorf("unread = %+v, want none (the invalid line was the last)", r.summary.Unread)
	}
	if !strings.Contains(r.stderr, "tail -n +2 ") || strings.Contains(r.stderr, "Never read") {
		t.Errorf("stderr should give the command to send from the fixed line 2 and name no line never read:\n%s", r.stderr)
	}
	r = hostileRun(t, context.Background(), SendOptions{DryRun: true, Files: []string{mid, last}}, nil, "", nil)
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
	f := &cmdutil.Factory{IOStreams: ios, Globals: &cmdutil.GlobalOptions{Output: output.Table}, Now: func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) }}
	t.Chdir(dir)
	opts := SendOptions{Factory: f, Files: []string{in}, Stream: "s", DryRun: true, OnInvalid: "fail", RetryTimeout: time.Minute, Concurrency: 2}
	ins, err := openInputs(opts.Files, ios.In)
	if err != nil {
		t.Fatal(err)
	}
	defer ins.close()
	err = run(context.Background(), &opts, target{stream: "s", region: "us-east-1"}, ins, nil, 1<<20)
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

// A reject file that cannot be written (a full disk) stops the run: reading
// on would send records whose rejected neighbours are lost, and with a
// checkpoint that can no longer advance, a resumed run would send them all
// again.
func TestHostileRejectFileWriteErrorStopsTheRun(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ndjson")
	var b strings.Builder
	const total = 100_000
	for i := range total {
		if i%2 == 0 {
			fmt.Fprintf(&b, "{\"n\":%d}\n", i)
		} else {
			fmt.Fprintf(&b, "not json %d\n", i)
		}
	}
	writeFile(t, in, b.String())
	api := &fakeKinesis{}
	r := hostileRun(t, context.Background(), SendOptions{Files: []string{in}, OnInvalid: "skip", RejectFile: "/dev/full", Checkpoint: filepath.Join(dir, "ck.json")}, api, "", nil)
	if cmdutil.ExitCode(r.err) != cmdutil.ExitRuntime || !strings.Contains(r.err.Error(), "/dev/full") {
		t.Fatalf("want exit 1 naming the reject file, got %v", r.err)
	}
	if len(r.summary.Unread) != 1 || r.summary.Unread[0].FromLine <= 1 || r.summary.Unread[0].FromLine > total/2 {
		t.Fatalf("reading went on after the reject file failed: unread %+v, %d stored, summary %+v", r.summary.Unread, len(api.stored), r.summary)
	}
	if r.summary.Records != r.summary.Sent+r.summary.Failed+r.summary.Invalid {
		t.Errorf("records %d != sent %d + failed %d + invalid %d", r.summary.Records, r.summary.Sent, r.summary.Failed, r.summary.Invalid)
	}
}
