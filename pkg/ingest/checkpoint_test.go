package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/checkpoint"
	"github.com/ldexport/ldexport/pkg/ingest/ingesttest"
	"github.com/ldexport/ldexport/pkg/kinesistest"
)

// TestCheckpointResumeAfterInterrupt interrupts a run over two files (one
// gzip, with blank lines and an invalid line skipped into the reject file),
// resumes it, and checks every record is stored exactly once, the reject
// file holds the invalid line once, and a third run sends nothing.
func TestCheckpointResumeAfterInterrupt(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.ndjson"), filepath.Join(dir, "b.ndjson.gz")
	ls := ingesttest.Lines(3000)
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
	job := Job{Inputs: []string{a, b}, Checkpoint: ck, Rejects: rejects, SkipInvalid: true}

	ctx, cancel := context.WithCancel(context.Background())
	first := ingesttest.NewServerWith(t, kinesistest.Options{MaxRecordSizeKiB: 1, Script: kinesistest.HangFrom(3, cancel)})
	r1 := runJob(t, ctx, job, first.NewClient())
	if r1.kind() != Interrupted || r1.sum == nil || r1.sum.Checkpoint != ck {
		t.Fatalf("first run: %v (kind %d)\n%s", r1.err, r1.kind(), r1.notes)
	}
	s1 := r1.summary()
	if s1.Sent == 0 || s1.Failed == 0 || s1.LeftForNextRun != s1.Failed || s1.Stopped != 0 {
		t.Fatalf("first run: %+v", s1)
	}
	if got, _ := os.ReadFile(rejects); strings.Contains(string(got), `"n":`) {
		t.Fatal("a record not delivered at the interrupt went to the reject file")
	}
	saved, err := os.ReadFile(ck)
	if err != nil {
		t.Fatal(err)
	}
	st, err := checkpoint.Parse(saved)
	if err != nil || st.Complete || st.Files[0].Records+st.Files[1].Records != s1.Sent+s1.Invalid {
		t.Fatalf("checkpoint after the interrupt: %v %s", err, saved)
	}

	second := ingesttest.NewServer(t)
	r2 := runJob(t, context.Background(), job, second.NewClient())
	if r2.err != nil {
		t.Fatalf("resume: %v\n%s", r2.err, r2.notes)
	}
	if s2 := r2.summary(); s2.Skipped != s1.Sent+s1.Invalid || s2.Sent+s2.Skipped+s2.Invalid != 3001 {
		t.Fatalf("resume summary %+v after %+v", s2, s1)
	}
	got := ingesttest.Count(ingesttest.StoredData(first), ingesttest.StoredData(second))
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

	third := ingesttest.NewServer(t)
	r3 := runJob(t, context.Background(), job, third.NewClient())
	if r3.err != nil || len(ingesttest.StoredData(third)) != 0 || r3.summary().Records != 0 || r3.summary().Skipped != 3001 {
		t.Fatalf("third run: %v, %d stored, %+v", r3.err, len(ingesttest.StoredData(third)), r3.summary())
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
	ls := ingesttest.Lines(2000)
	content := big + "\n" + strings.Join(ls, "\n") + "\n"
	if err := os.WriteFile(a, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	ck, rejects := filepath.Join(dir, "ck.json"), filepath.Join(dir, "rejects.ndjson")
	job := Job{Inputs: []string{a}, Checkpoint: ck, Rejects: rejects, SkipInvalid: true}
	ctx, cancel := context.WithCancel(context.Background())
	first := ingesttest.NewServerWith(t, kinesistest.Options{MaxRecordSizeKiB: 1, Script: kinesistest.HangFrom(1, cancel)})
	if r := runJob(t, ctx, job, first.NewClient()); r.kind() != Interrupted {
		t.Fatalf("first run: %v", r.err)
	}
	second := ingesttest.NewServerWith(t, kinesistest.Options{MaxRecordSizeKiB: 1})
	if r := runJob(t, context.Background(), job, second.NewClient()); r.err != nil || r.summary().Invalid != 0 {
		t.Fatalf("resume: %v %+v", r.err, r.summary())
	}
	if rej, _ := os.ReadFile(rejects); string(rej) != big+"\n" {
		t.Fatalf("reject file holds %d bytes, want the oversize line once", len(rej))
	}
	got := ingesttest.Count(ingesttest.StoredData(first), ingesttest.StoredData(second))
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
		if err := os.WriteFile(p, []byte(strings.Join(ingesttest.Lines(10), "\n")), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ck := filepath.Join(dir, "ck.json")
	// An interrupted run that sent nothing still leaves a checkpoint: its
	// first request interrupts it and is never answered.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	nothing := ingesttest.NewServerWith(t, kinesistest.Options{MaxRecordSizeKiB: 1, Script: kinesistest.HangFrom(0, cancel)})
	if r := runJob(t, ctx, Job{Inputs: []string{a, b}, Checkpoint: ck}, nothing.NewClient()); r.kind() != Interrupted || len(nothing.Records("s")) != 0 {
		t.Fatalf("first run: %v (kind %d), %d stored", r.err, r.kind(), len(nothing.Records("s")))
	}
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
			srv := ingesttest.NewServer(t)
			r := runJob(t, context.Background(), Job{Inputs: tt.files, Checkpoint: tt.ck}, srv.NewClient())
			if r.kind() != BadInput || r.sum != nil || !strings.Contains(r.err.Error(), tt.want) || strings.Contains(r.err.Error(), "\n") {
				t.Fatalf("err = %v (kind %d), want BadInput with %q", r.err, r.kind(), tt.want)
			}
			if len(ingesttest.StoredData(srv)) != 0 {
				t.Fatal("records sent despite the refusal")
			}
			if after, _ := os.ReadFile(tt.ck); !bytes.Equal(before, after) {
				t.Fatal("checkpoint file changed")
			}
		})
	}
}

// TestCheckpointGivenUpIsDone: a record given up after its retry budget is
// in the reject file and done; the resumed run does not send it again.
func TestCheckpointGivenUpIsDone(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.ndjson")
	ls := ingesttest.Lines(5)
	if err := os.WriteFile(a, []byte(strings.Join(ls, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	ck, rejects := filepath.Join(dir, "ck.json"), filepath.Join(dir, "rejects.ndjson")
	job := Job{Inputs: []string{a}, Checkpoint: ck, Rejects: rejects}
	failing := ingesttest.NewServerWith(t, kinesistest.Options{Script: func(*kinesistest.Call) kinesistest.Reply {
		return kinesistest.Reply{ErrorCode: "ServiceUnavailable", Status: 503}
	}})
	given := job
	given.Limits = Limits{Concurrency: 1, RetryTimeout: 50 * time.Millisecond}
	r := runJob(t, context.Background(), given, failing.NewClient())
	if r.kind() != NotDelivered || r.summary().Failed != 5 {
		t.Fatalf("%v %+v", r.err, r.summary())
	}
	rej, _ := os.ReadFile(rejects)
	gotRej := strings.Split(strings.TrimSpace(string(rej)), "\n")
	sort.Strings(gotRej)
	want := append([]string(nil), ls...)
	sort.Strings(want)
	if fmt.Sprint(gotRej) != fmt.Sprint(want) {
		t.Fatalf("reject file %q", rej)
	}
	again := ingesttest.NewServer(t)
	r2 := runJob(t, context.Background(), job, again.NewClient())
	if r2.err != nil || len(ingesttest.StoredData(again)) != 0 || r2.summary().Skipped != 5 {
		t.Fatalf("rerun: %v, %d stored, %+v", r2.err, len(ingesttest.StoredData(again)), r2.summary())
	}
}

// TestCheckpointSavedWhileSending: progress reaches the file during the run,
// not only at its end.
func TestCheckpointSavedWhileSending(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.ndjson")
	if err := os.WriteFile(a, []byte(strings.Join(ingesttest.Lines(1500), "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	ck := filepath.Join(dir, "ck.json")
	// The first request is stored, every later one held until release.
	release := make(chan struct{})
	srv := ingesttest.NewServerWith(t, kinesistest.Options{MaxRecordSizeKiB: 1, Script: kinesistest.Hold(func(n int) bool { return n > 0 }, nil, release)})
	done := make(chan result)
	go func() {
		done <- runJob(t, context.Background(), Job{Inputs: []string{a}, Checkpoint: ck}, srv.NewClient())
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
	close(release)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if recs == 0 || recs >= 1500 {
		t.Fatalf("checkpoint during the run recorded %d records, want the first request's", recs)
	}
}

// A dry run (no Connect) with a checkpoint is refused as bad input, not a
// nil dereference at the end: the command's Validate refuses it too, but
// Job is a library type.
func TestCheckpointWithDryRunRefused(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ndjson")
	if err := os.WriteFile(in, []byte("{\"a\":1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ck := filepath.Join(dir, "ck")
	job := Job{Inputs: []string{in}, Checkpoint: ck, Rejects: filepath.Join(dir, "rej"), Notes: io.Discard}
	sum, err := job.Run(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.Kind != BadInput || !strings.Contains(err.Error(), "--dry-run") {
		t.Fatalf("summary %v, error %v; want a BadInput error naming --dry-run", sum, err)
	}
	if _, err := os.Stat(ck); !os.IsNotExist(err) {
		t.Errorf("checkpoint written by a refused job: %v", err)
	}
}
