package ingest

import (
	"bytes"
	"context"
	"fmt"
	"github.com/ldexport/ldexport/pkg/ingest/ingesttest"
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
	"github.com/ldexport/ldexport/pkg/fileguard"
	"github.com/ldexport/ldexport/pkg/sender"
)

// hostileRun runs j as send would, with the destination store at storePath
// ("" for none) protected and standard input from stdin (a *os.File for a
// redirected file); api nil is a dry run.
func hostileRun(t *testing.T, ctx context.Context, j Job, api sender.PutRecordsAPI, storePath string, stdin io.Reader) result {
	t.Helper()
	if storePath != "" {
		lock, err := fileguard.LockPath(storePath)
		if err != nil {
			t.Fatal(err)
		}
		j.Protect = []fileguard.Named{{Role: "the destination store (--config)", Path: storePath}, {Role: "the destination store's lock file", Path: lock}}
	}
	j.Stdin = stdin
	if stdin == nil {
		j.Stdin = strings.NewReader("")
	}
	if api == nil {
		return runJob(t, ctx, j, nil)
	}
	return runJob(t, ctx, j, ingesttest.NewStream(api, 1024))
}

// TestHostileSameFileRefused: a --reject-file or --checkpoint that is an
// input, the store, or each other is refused with exit 2 and one line naming
// both, before anything is written or sent. On the old code
// `send v.ndjson --on-invalid skip --reject-file v.ndjson` emptied v.ndjson.
func TestHostileSameFileRefused(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	input := strings.Join(ingesttest.Lines(20), "\n") + "\nnot json\n"
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
		job   Job
		stdin bool   // standard input redirected from v
		want  string // both names, in the message
	}{
		{"reject file is the input", Job{Inputs: []string{"v.ndjson"}, SkipInvalid: true, Rejects: "v.ndjson"}, false, "input v.ndjson and --reject-file v.ndjson are the same file"},
		{"reject file is the input by another path", Job{Inputs: []string{v}, SkipInvalid: true, Rejects: "./v.ndjson"}, false, "input " + v + " and --reject-file ./v.ndjson"},
		{"reject file is a symlink to the input", Job{Inputs: []string{"v.ndjson"}, SkipInvalid: true, Rejects: link}, false, "--reject-file " + link},
		{"reject file is a hard link to the input", Job{Inputs: []string{"v.ndjson"}, SkipInvalid: true, Rejects: hard}, false, "--reject-file " + hard},
		{"reject file is the second input", Job{Inputs: []string{"other.ndjson", "v.ndjson"}, Rejects: "v.ndjson"}, false, "input v.ndjson and --reject-file v.ndjson"},
		{"standard input redirected from the reject file", Job{SkipInvalid: true, Rejects: "v.ndjson"}, true, "standard input and --reject-file v.ndjson"},
		{"checkpoint is the input", Job{Inputs: []string{"v.ndjson"}, Checkpoint: "v.ndjson"}, false, "input v.ndjson and --checkpoint v.ndjson"},
		{"checkpoint is a symlink to the input", Job{Inputs: []string{"v.ndjson"}, Checkpoint: link}, false, "--checkpoint " + link},
		{"reject file is the checkpoint", Job{Inputs: []string{"v.ndjson"}, SkipInvalid: true, Checkpoint: "ck.json", Rejects: "./ck.json"}, false, "--reject-file ./ck.json and --checkpoint ck.json"},
		{"reject file is the checkpoint's lock", Job{Inputs: []string{"v.ndjson"}, SkipInvalid: true, Checkpoint: "ck.json", Rejects: "ck.json.lock"}, false, "--reject-file ck.json.lock and the lock file of --checkpoint"},
		{"reject file is the store", Job{Inputs: []string{"v.ndjson"}, SkipInvalid: true, Rejects: storePath}, false, "the destination store (--config) " + storePath + " and --reject-file"},
		{"checkpoint is the store", Job{Inputs: []string{"v.ndjson"}, Checkpoint: storePath}, false, "the destination store (--config) " + storePath + " and --checkpoint"},
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
			api := &ingesttest.Memory{}
			r := hostileRun(t, context.Background(), tt.job, api, storePath, stdin)
			if r.kind() != BadInput || !strings.Contains(r.err.Error(), tt.want) || strings.Contains(r.err.Error(), "\n") {
				t.Fatalf("err = %v (kind %d), want exit 2, one line with %q", r.err, r.kind(), tt.want)
			}
			if got, _ := os.ReadFile(v); string(got) != input {
				t.Fatalf("the input was changed: %d bytes left of %d", len(got), len(input))
			}
			if got, _ := os.ReadFile(storePath); string(got) != storeText {
				t.Fatalf("the store was changed: %q", got)
			}
			if len(api.Stored) != 0 {
				t.Fatalf("%d records sent despite the refusal", len(api.Stored))
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
		r := hostileRun(t, context.Background(), Job{SkipInvalid: true}, &ingesttest.Memory{}, "", strings.NewReader("{}\n"+bad+"\n"))
		if r.err != nil || r.summary().Invalid != 1 {
			t.Fatalf("run %d: %v %+v", i, r.err, r.summary())
		}
		name := r.summary().RejectFile
		if name == "" {
			t.Fatalf("run %d names no reject file:\n%s", i, r.notes)
		}
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
	api := &ingesttest.Memory{}
	r := hostileRun(t, context.Background(), Job{Inputs: []string{in}, SkipInvalid: true, Rejects: rej}, api, "", nil)
	if r.kind() != BadInput || !strings.Contains(r.err.Error(), "--reject-file "+rej+" already holds 12 bytes") {
		t.Fatalf("err = %v (kind %d)", r.err, r.kind())
	}
	if got, _ := os.ReadFile(rej); string(got) != "fixed later\n" || len(api.Stored) != 0 {
		t.Fatalf("reject file %q, %d sent", got, len(api.Stored))
	}
	// A fresh checkpoint does not make another job's lines its own.
	r = hostileRun(t, context.Background(), Job{Inputs: []string{in}, SkipInvalid: true, Rejects: rej, Checkpoint: filepath.Join(dir, "ck.json")}, api, "", nil)
	if r.kind() != BadInput || len(api.Stored) != 0 {
		t.Fatalf("with a new checkpoint: err = %v, %d sent", r.err, len(api.Stored))
	}
	if _, err := os.Stat(filepath.Join(dir, "ck.json")); !os.IsNotExist(err) {
		t.Fatalf("checkpoint written despite the refusal (%v)", err)
	}
	empty := filepath.Join(dir, "empty.ndjson")
	writeFile(t, empty, "")
	r = hostileRun(t, context.Background(), Job{Inputs: []string{in}, SkipInvalid: true, Rejects: empty}, api, "", nil)
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
	writeFile(t, in, strings.Join(ingesttest.Lines(50), "\n"))
	target := filepath.Join(dir, "state", "ck.json")
	if err := os.Mkdir(filepath.Dir(target), 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "ck.json")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	api := &ingesttest.Memory{}
	if r := hostileRun(t, context.Background(), Job{Inputs: []string{in}, Checkpoint: link}, api, "", nil); r.err != nil {
		t.Fatal(r.err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the checkpoint link was replaced (%v, %v)", st.Mode(), err)
	}
	data, err := os.ReadFile(target)
	if err != nil || !strings.Contains(string(data), `"complete": true`) {
		t.Fatalf("target: %v %s", err, data)
	}
	again := &ingesttest.Memory{}
	r := hostileRun(t, context.Background(), Job{Inputs: []string{in}, Checkpoint: target}, again, "", nil)
	if r.err != nil || len(again.Stored) != 0 || r.summary().Skipped != 50 {
		t.Fatalf("rerun through the target: %v, %d sent, %+v", r.err, len(again.Stored), r.summary())
	}
}

// holdingKinesis stores every request, but holds the first until release
// is closed, telling on started that the run is under way.
type holdingKinesis struct {
	ingesttest.Memory
	held    atomic.Bool
	started chan struct{}
	release chan struct{}
}

func (h *holdingKinesis) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, o ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	if h.held.CompareAndSwap(false, true) {
		close(h.started)
		<-h.release
	}
	return h.Memory.PutRecords(ctx, in, o...)
}

// TestHostileConcurrentCheckpointRuns: while one run uses a checkpoint, a
// second run on it (also through a symbolic link) exits 2 at once naming the
// holder; every record is sent once. The old code let both send everything.
func TestHostileConcurrentCheckpointRuns(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ndjson")
	ls := ingesttest.Lines(1200)
	writeFile(t, in, strings.Join(ls, "\n"))
	ck := filepath.Join(dir, "ck.json")
	if err := os.Symlink(ck, filepath.Join(dir, "ck-link.json")); err != nil {
		t.Fatal(err)
	}
	first := &holdingKinesis{started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan result)
	go func() {
		done <- hostileRun(t, context.Background(), Job{Inputs: []string{in}, Checkpoint: ck}, first, "", nil)
	}()
	<-first.started
	for _, path := range []string{ck, filepath.Join(dir, "ck-link.json")} {
		second := &ingesttest.Memory{}
		start := time.Now()
		r := hostileRun(t, context.Background(), Job{Inputs: []string{in}, Checkpoint: path}, second, "", nil)
		want := fmt.Sprintf("--checkpoint %s is in use by another run of ldexport (pid %d on ", path, os.Getpid())
		if r.kind() != BadInput || !strings.Contains(r.err.Error(), want) {
			t.Fatalf("second run: %v (kind %d), want exit 2 with %q", r.err, r.kind(), want)
		}
		if len(second.Stored) != 0 || time.Since(start) > 5*time.Second {
			t.Fatalf("second run sent %d records, took %s", len(second.Stored), time.Since(start))
		}
	}
	close(first.release)
	r := <-done
	if r.err != nil || r.summary().Sent != 1200 {
		t.Fatalf("first run: %v %+v", r.err, r.summary())
	}
	got := ingesttest.Count(first.Stored)
	for _, l := range ls {
		if got[l] != 1 {
			t.Fatalf("%s stored %d times", l, got[l])
		}
	}
	// Released: the next run finds the checkpoint complete.
	third := &ingesttest.Memory{}
	if r := hostileRun(t, context.Background(), Job{Inputs: []string{in}, Checkpoint: ck}, third, "", nil); r.err != nil || len(third.Stored) != 0 {
		t.Fatalf("after the first run: %v, %d sent", r.err, len(third.Stored))
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
	writeFile(t, in, strings.Join(ingesttest.Lines(600), "\n"))
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
	api := &ingesttest.Memory{}
	r := hostileRun(t, context.Background(), Job{Inputs: []string{in}, Checkpoint: ck}, api, "", nil)
	want := fmt.Sprintf("is in use by another run of ldexport (pid %d on ", cmd.Process.Pid)
	if r.kind() != BadInput || !strings.Contains(r.err.Error(), want) || len(api.Stored) != 0 {
		t.Fatalf("run beside the holder: %v (kind %d), %d sent; want exit 2 with %q", r.err, r.kind(), len(api.Stored), want)
	}
	writeFile(t, release, "")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("holder process: %v\n%s", err, childOut.String())
	}
	again := &ingesttest.Memory{}
	if r := hostileRun(t, context.Background(), Job{Inputs: []string{in}, Checkpoint: ck}, again, "", nil); r.err != nil || len(again.Stored) != 0 || r.summary().Skipped != 600 {
		t.Fatalf("after the holder: %v, %d sent, %+v", r.err, len(again.Stored), r.summary())
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
	r := hostileRun(t, context.Background(), Job{Inputs: []string{filepath.Join(dir, "in.ndjson")}, Checkpoint: filepath.Join(dir, "ck.json")}, api, "", nil)
	if r.err != nil || r.summary().Sent != 600 {
		t.Fatalf("holder: %v %+v", r.err, r.summary())
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
		r   result
	}
	done := make(chan out, 2)
	var pipes [2]*io.PipeWriter
	for run := range pipes {
		pr, pw := io.Pipe()
		pipes[run] = pw
		go func() {
			done <- out{run, hostileRun(t, context.Background(), Job{SkipInvalid: true, Rejects: rej}, nil, "", pr)}
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
		if o.r.err != nil || o.r.summary().Invalid != perRun {
			t.Fatalf("run %d: %v %+v", o.run, o.r.err, o.r.summary())
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
	api := &ingesttest.Memory{}
	r := hostileRun(t, context.Background(), Job{Inputs: []string{in}, SkipInvalid: true, Rejects: "/dev/full", Checkpoint: filepath.Join(dir, "ck.json")}, api, "", nil)
	if r.kind() != Failed || !strings.Contains(r.err.Error(), "/dev/full") {
		t.Fatalf("want exit 1 naming the reject file, got %v", r.err)
	}
	if len(r.summary().Unread) != 1 || r.summary().Unread[0].FromLine <= 1 || r.summary().Unread[0].FromLine > total/2 {
		t.Fatalf("reading went on after the reject file failed: unread %+v, %d stored, summary %+v", r.summary().Unread, len(api.Stored), r.summary())
	}
	if r.summary().Records != r.summary().Sent+r.summary().Failed+r.summary().Invalid {
		t.Errorf("records %d != sent %d + failed %d + invalid %d", r.summary().Records, r.summary().Sent, r.summary().Failed, r.summary().Invalid)
	}
}
