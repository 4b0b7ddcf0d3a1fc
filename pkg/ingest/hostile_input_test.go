package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/ingest/ingesttest"
)

// TestHostileNamedPipeWithoutWriter: a named pipe nobody writes to must not
// keep an interrupt from ending the run (opening it waits for a writer; the
// old code opened it before reading and hung until killed), and a
// checkpoint refuses it at once instead of waiting to read it.
func TestHostileNamedPipeWithoutWriter(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	t.Cleanup(func() { // unblock the abandoned open, so the reader ends
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			_ = f.Close()
		}
	})
	tests := []struct {
		name string
		job  Job
		kind Kind
		want string
	}{
		{"interrupted", Job{Inputs: []string{fifo}}, Interrupted, ""},
		{"with a checkpoint", Job{Inputs: []string{fifo}, Checkpoint: filepath.Join(dir, "ck.json")}, BadInput, "--checkpoint: " + fifo + ": not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			time.AfterFunc(200*time.Millisecond, cancel)
			done := make(chan result, 1)
			go func() { done <- runJob(t, ctx, tt.job, ingesttest.NewStream(&ingesttest.Memory{}, 0)) }()
			select {
			case r := <-done:
				if r.kind() != tt.kind || !strings.Contains(errText(r.err), tt.want) {
					t.Fatalf("err = %v (kind %d), want kind %d with %q", r.err, r.kind(), tt.kind, tt.want)
				}
				if tt.kind == Interrupted && (len(r.summary().Unread) != 1 || r.summary().Unread[0] != (Unread{File: fifo, FromLine: 1})) {
					t.Fatalf("unread %+v, want the pipe from line 1", r.summary().Unread)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the run did not end while the named pipe had no writer")
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestHostileUnclearInputs: inputs that used to give a puzzling line now
// say what is wrong: a truncated gzip file (was "x.gz:N: unexpected EOF",
// or "x.gz: gzip: unexpected EOF" when cut in its header)
// and an empty file name (was "open : no such file or directory"). The
// lines before the truncation are sent, and the unread ones named.
func TestHostileUnclearInputs(t *testing.T) {
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	ls := ingesttest.Lines(2000)
	if _, err := zw.Write([]byte(strings.Join(ls, "\n") + "\n")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	trunc := filepath.Join(dir, "trunc.gz")
	writeFile(t, trunc, gz.String()[:gz.Len()/2])

	mem := &ingesttest.Memory{}
	r := runJob(t, context.Background(), Job{Inputs: []string{trunc}}, ingesttest.NewStream(mem, 0))
	s := r.summary()
	want := ": the gzip data ends early (the file is truncated"
	if r.kind() != BadInput || !strings.HasPrefix(errText(r.err), trunc+":") || !strings.Contains(errText(r.err), want) {
		t.Fatalf("err = %v (kind %d), want BadInput with %q", r.err, r.kind(), want)
	}
	if s.Sent == 0 || s.Sent != int64(len(mem.Stored)) || len(s.Unread) != 1 || s.Unread[0].FromLine != s.Records+1 {
		t.Fatalf("summary %+v, %d stored: the lines before the truncation must be sent and the rest named", s, len(mem.Stored))
	}
	if !strings.Contains(errText(r.err), trunc+":"+strconv.FormatInt(s.Records+1, 10)+":") {
		t.Errorf("err %v does not name line %d, the first not read whole", r.err, s.Records+1)
	}

	magic := filepath.Join(dir, "magic.gz") // cut inside the gzip header
	writeFile(t, magic, "\x1f\x8b")
	r = runJob(t, context.Background(), Job{Inputs: []string{magic}}, nil)
	if r.kind() != BadInput || !strings.HasPrefix(errText(r.err), magic+": the gzip data ends early") {
		t.Fatalf("header cut: err = %v (kind %d)", r.err, r.kind())
	}

	r = runJob(t, context.Background(), Job{Inputs: []string{""}}, nil)
	if r.kind() != BadInput || errText(r.err) != "an input file name is empty: name a file, or - for standard input" {
		t.Fatalf("empty name: err = %v (kind %d)", r.err, r.kind())
	}
}

// TestHostileWritePathsThatBlock: a --checkpoint that is not a regular file
// is refused before anything (a named pipe blocked the run, which an
// interrupt could not end; /dev/null would be replaced by rename), and a
// --reject-file that is a named pipe nothing reads is refused at once
// instead of blocking; one that is read receives the rejected lines.
func TestHostileWritePathsThatBlock(t *testing.T) {
	dir := t.TempDir()
	in, pipe := filepath.Join(dir, "in.ndjson"), filepath.Join(dir, "pipe")
	writeFile(t, in, "{}\nnot json\n")
	if err := syscall.Mkfifo(pipe, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	tests := []struct {
		name string
		job  Job
		want string
	}{
		{"checkpoint is a named pipe", Job{Inputs: []string{in}, Checkpoint: pipe}, "--checkpoint " + pipe + ": is a named pipe; give a regular file's path"},
		{"checkpoint is a device", Job{Inputs: []string{in}, Checkpoint: os.DevNull}, "--checkpoint " + os.DevNull + ": is a device; give a regular file's path"},
		{"reject file is a pipe nothing reads", Job{Inputs: []string{in}, SkipInvalid: true, Rejects: pipe}, "--reject-file " + pipe + ": a named pipe that nothing reads"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan result, 1)
			go func() { done <- runJob(t, context.Background(), tt.job, ingesttest.NewStream(&ingesttest.Memory{}, 0)) }()
			select {
			case r := <-done:
				if r.kind() != BadInput || !strings.HasPrefix(errText(r.err), tt.want) {
					t.Fatalf("err = %v (kind %d), want BadInput starting %q", r.err, r.kind(), tt.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the run blocked on the path")
			}
		})
	}
	if _, err := os.Stat(os.DevNull + ".lock"); err == nil {
		t.Errorf("a lock file was made next to %s", os.DevNull)
	}

	read := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(pipe) // the reader comes first, then the run writes
		read <- string(b)
	}()
	time.Sleep(100 * time.Millisecond)
	r := runJob(t, context.Background(), Job{Inputs: []string{in}, SkipInvalid: true, Rejects: pipe}, ingesttest.NewStream(&ingesttest.Memory{}, 0))
	if r.err != nil || r.summary().Invalid != 1 {
		t.Fatalf("err %v, summary %+v", r.err, r.summary())
	}
	if got := <-read; got != "not json\n" {
		t.Fatalf("the pipe's reader got %q", got)
	}
}
