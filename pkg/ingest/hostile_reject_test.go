package ingest

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/ingest/ingesttest"
	"github.com/ldexport/ldexport/pkg/kinesistest"
)

// interruptedRun runs j, interrupting it after 300ms, and fails the test
// when the run does not end within 10 seconds.
func interruptedRun(t *testing.T, j Job) result {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(300*time.Millisecond, cancel)
	done := make(chan result, 1)
	api := ingesttest.NewServer(t).NewClient()
	go func() { done <- runJob(t, ctx, j, api) }()
	select {
	case r := <-done:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("the interrupted run did not end")
		return result{}
	}
}

// TestHostileOversizeLineFromAStalledPipe: under --on-invalid skip an
// oversize line streams into the reject file as it is read; when its input
// stalls mid-line, an interrupt must still end the run (the old code held
// the reject file's lock for the whole line, so the run's end waited for
// it until killed). The part already in the reject file is taken back out
// (no half line), and the summary names the line as the first unread.
func TestHostileOversizeLineFromAStalledPipe(t *testing.T) {
	rejects := filepath.Join(t.TempDir(), "rejects.ndjson")
	pr, pw := io.Pipe()
	t.Cleanup(func() { _ = pw.Close() }) // ends the abandoned reader
	go func() {
		_, _ = io.WriteString(pw, "{\"a\":1}\nnot json\n{\"a\":\"")
		_, _ = pw.Write([]byte(strings.Repeat("x", 3<<20))) // past the limit and written out in parts; then the pipe stalls
	}()
	r := interruptedRun(t, Job{Inputs: []string{"-"}, Stdin: pr, SkipInvalid: true, Rejects: rejects})
	if r.kind() != Interrupted {
		t.Fatalf("err = %v (kind %d), want Interrupted", r.err, r.kind())
	}
	s := r.summary()
	if s.Invalid != 1 || s.RejectLines != 1 || len(s.Unread) != 1 || s.Unread[0] != (Unread{File: "-", FromLine: 3}) {
		t.Fatalf("summary %+v, want the invalid line rejected and the oversize line unread", s)
	}
	if b, err := os.ReadFile(rejects); err != nil || string(b) != "not json\n" {
		t.Fatalf("reject file holds %.40q (%d bytes), err %v; want only the invalid line", b, len(b), err)
	}
}

// TestHostileRejectFileReaderStops: a --reject-file that is a named pipe
// whose reader stops reading blocks the writes to it; an interrupt must
// still end the run (the old code blocked holding the reject file's lock
// until killed). The lines that could not be written are named: exit 1.
func TestHostileRejectFileReaderStops(t *testing.T) {
	dir := t.TempDir()
	in, pipe := filepath.Join(dir, "in.ndjson"), filepath.Join(dir, "pipe")
	writeFile(t, in, strings.Repeat("not json, and never read by the pipe's reader\n", 20000))
	stalledFIFO(t, pipe)
	r := interruptedRun(t, Job{Inputs: []string{in}, SkipInvalid: true, Rejects: pipe})
	want := "reject file " + pipe + ": its reader stopped reading"
	if r.kind() != Failed || !strings.HasPrefix(errText(r.err), want) || !strings.Contains(errText(r.err), "lines were meant for it") {
		t.Fatalf("err = %v (kind %d), want Failed starting %q", r.err, r.kind(), want)
	}
	if s := r.summary(); s.RejectLines == 0 || s.RejectFile != pipe {
		t.Fatalf("summary %+v, want the lines meant for the pipe counted", s)
	}
}

// TestRejectFileOversizeLineHoldsOthersBack: while an oversize line streams
// in, other lines wait (they are not written into its middle, and the file
// is not locked meanwhile); a checkpoint is not saved while they wait. An
// abandoned line is taken back out of a regular file and ended on a pipe,
// which close reports; the lines held back are written either way.
func TestRejectFileOversizeLineHoldsOthersBack(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("x", maxPartial+2*flushAt) // written out in parts

	path := filepath.Join(dir, "closed.ndjson")
	r := newRejectFile(path, time.Now(), false, io.Discard)
	if err := r.open(); err != nil {
		t.Fatal(err)
	}
	r.write([]byte("before"), "in:1", "bad")
	lw := r.lineWriter()
	_, _ = lw.Write([]byte(big[:10]))
	r.write([]byte("during"), "in:3", "bad") // the sender's, while the reader waits for more of the line
	if err := r.sync(); err != errLineOpen {
		t.Fatalf("sync with a line held back: %v, want errLineOpen", err)
	}
	_, _ = lw.Write([]byte(big[10:]))
	_ = lw.Close()
	if err := r.close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "before\n"+big+"\nduring\n" {
		t.Fatalf("reject file holds %d bytes, want before, the long line, during", len(b))
	}

	path = filepath.Join(dir, "abandoned.ndjson")
	r = newRejectFile("", time.Now(), false, io.Discard) // the default file, not opened to append
	r.path = path
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	r.f, r.w = fh, &wholeLines{f: fh}
	r.write([]byte("before"), "in:1", "bad")
	lw = r.lineWriter()
	_, _ = lw.Write([]byte(big))
	r.write([]byte("during"), "in:3", "bad")
	r.abandon()
	_, _ = lw.Write([]byte("more")) // the abandoned reader wakes up
	_ = lw.Close()
	if err := r.close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "before\nduring\n" {
		t.Fatalf("reject file holds %.40q (%d bytes), want before and during", b, len(b))
	}

	pipe := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(pipe, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	read := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(pipe)
		read <- string(b)
	}()
	time.Sleep(100 * time.Millisecond)
	r = newRejectFile(pipe, time.Now(), false, io.Discard)
	if err := r.open(); err != nil {
		t.Fatal(err)
	}
	lw = r.lineWriter()
	_, _ = lw.Write([]byte(big))
	r.write([]byte("during"), "in:3", "bad")
	r.abandon()
	err = r.close()
	if err == nil || !strings.Contains(err.Error(), "bytes of an oversize line, cut off when the run stopped") {
		t.Fatalf("close: %v, want the cut line named", err)
	}
	got := <-read
	if !strings.HasSuffix(got, "x\nduring\n") || !strings.HasPrefix(got, "xxx") {
		t.Fatalf("the pipe's reader got %.20q...%q", got, got[max(len(got)-20, 0):])
	}
}

// TestHostileRejectWriteHoldsNoRecords: the reader hands the records it
// holds to the sender before it writes a rejected line, since that write
// may wait (here on a FIFO nobody reads): an invalid line, or an oversize
// one streamed into the reject file as it is read. While it waits, every
// valid line read before is delivered: none is held back with the reader,
// where an interrupt could end the run without it (records != sent +
// failed + invalid, seen under load before the fix).
func TestHostileRejectWriteHoldsNoRecords(t *testing.T) {
	for _, tt := range []struct {
		name, bad string
		// uncounted: 1 when the reader waits in a write before it counts
		// the line (an oversize line is counted once it has streamed past)
		uncounted int64
	}{
		{"invalid line", "not json " + strings.Repeat("x", 200), 0},
		{"oversize line", `{"pad":"` + strings.Repeat("x", 1500) + `"}`, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in, pipe := filepath.Join(dir, "in.ndjson"), filepath.Join(dir, "pipe")
			var b strings.Builder
			for i := range 20000 { // two valid lines, then a bad one
				fmt.Fprintf(&b, "{\"n\":%d}\n", i)
				if i%2 == 1 {
					b.WriteString(tt.bad + "\n")
				}
			}
			writeFile(t, in, b.String())
			stalledFIFO(t, pipe)
			obs := &watch{started: make(chan *Progress, 1)}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan result, 1)
			api := ingesttest.NewServerWith(t, kinesistest.Options{MaxRecordSizeKiB: 1}).NewClient()
			go func() {
				done <- runJob(t, ctx, Job{Inputs: []string{in}, SkipInvalid: true, Rejects: pipe, Observer: obs}, api)
			}()
			last := settled(t, <-obs.started)
			// The reader waits writing the k-th bad line: the 2k valid
			// lines before it are all delivered.
			if k := last.Rejected + tt.uncounted; k == 0 || last.Sent != 2*k {
				t.Errorf("while the reader waits on the reject file: %d sent, %d rejected; want every valid line read (%d) sent", last.Sent, last.Rejected, 2*k)
			}
			cancel()
			if r := <-done; r.summary().Records != r.summary().Sent+r.summary().Failed+r.summary().Invalid {
				t.Fatalf("summary %+v", r.summary())
			}
		})
	}
}

// settled waits until p's counts stop moving (for 200 ms) and returns them.
func settled(t *testing.T, p *Progress) Snapshot {
	t.Helper()
	var last Snapshot
	for still, deadline := 0, time.Now().Add(10*time.Second); still < 20; {
		if time.Now().After(deadline) {
			t.Fatalf("the counts never settled: %+v", last)
		}
		time.Sleep(10 * time.Millisecond)
		if s := p.Snapshot(); s == last {
			still++
		} else {
			last, still = s, 0
		}
	}
	return last
}

// stalledFIFO makes a named pipe at path whose reader opens it and never
// reads: writes to it wait once its buffer is full.
func stalledFIFO(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	stalled, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0) // opened, then never read
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stalled.Close() })
}

// watch is an Observer that hands over the Progress it is given.
type watch struct{ started chan *Progress }

func (w *watch) Start(p *Progress) { w.started <- p }
func (w *watch) Stop()             {}
