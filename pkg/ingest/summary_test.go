package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/ingest/ingesttest"
	"github.com/ldexport/ldexport/pkg/kinesistest"
)

// TestSummaryCountsEachRecordOnce checks the JSON summary after an
// interrupt with and without a checkpoint: the records not delivered are
// either left for the next run or in the reject file, never both, and
// failed is their sum.
func TestSummaryCountsEachRecordOnce(t *testing.T) {
	for _, withCheckpoint := range []bool{false, true} {
		dir := t.TempDir()
		input := filepath.Join(dir, "events.ndjson")
		if err := os.WriteFile(input, []byte(strings.Join(ingesttest.Lines(2000), "\n")), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		api := &ingesttest.Scripted{Delay: 20 * time.Millisecond, InterruptAt: 1000, Cancel: cancel}
		job := Job{Inputs: []string{input}, Rejects: filepath.Join(dir, "rejects.ndjson")}
		if withCheckpoint {
			job.Checkpoint = filepath.Join(dir, "ck.json")
		}
		r := runJob(t, ctx, job, ingesttest.NewServerWith(t, kinesistest.Options{MaxRecordSizeKiB: 1, Script: api.Script}).NewClient())
		cancel()
		s := r.summary()
		if s.Sent != 1000 || s.Records != 2000 || s.Failed != 1000 || s.Failed != s.GivenUp+s.Stopped+s.LeftForNextRun {
			t.Fatalf("checkpoint %v: %+v", withCheckpoint, s)
		}
		if withCheckpoint && (s.LeftForNextRun != 1000 || s.RejectFile != "") || !withCheckpoint && (s.Stopped != 1000 || s.RejectFile == "") {
			t.Errorf("checkpoint %v: %+v", withCheckpoint, s)
		}
	}
}

// TestInputSizeForProgress: the bar measures against the size of plain
// files only; a gzip file (whatever its name) or standard input has none.
func TestInputSizeForProgress(t *testing.T) {
	dir := t.TempDir()
	plain, gz := filepath.Join(dir, "a.ndjson"), filepath.Join(dir, "b.data")
	if err := os.WriteFile(plain, []byte("{}\n{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gz, []byte{0x1f, 0x8b, 8, 0}, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		files []string
		want  int64
	}{{[]string{plain}, 6}, {[]string{plain, gz}, -1}, {[]string{plain, "-"}, -1}} {
		in, err := openInputs(tt.files, strings.NewReader(""))
		if err != nil {
			t.Fatal(err)
		}
		if got := in.totalSize(); got != tt.want {
			t.Errorf("%v: size %d, want %d", tt.files, got, tt.want)
		}
		in.close()
	}
}

// TestResumeNamesWhereToStartAgain: after an invalid line stops a run
// (SkipInvalid off), Resume starts its input at that line, to be fixed
// first, and the inputs never opened at line 1; an invalid last line
// leaves nothing unread but is still to be sent; a gzip input says so.
func TestResumeNamesWhereToStartAgain(t *testing.T) {
	dir := t.TempDir()
	mid, last, gz := filepath.Join(dir, "mid.ndjson"), filepath.Join(dir, "last.ndjson"), filepath.Join(dir, "c.ndjson.gz")
	writeFile(t, mid, "{\"a\":1}\nbad\n{\"b\":2}\n")
	writeFile(t, last, "{\"a\":1}\nbad\n\n")
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write([]byte("{\"c\":1}\nbad\n{\"c\":2}\n"))
	zw.Close()
	writeFile(t, gz, zb.String())
	tests := []struct {
		inputs []string
		unread []Unread
		resume []Resume
	}{
		{[]string{mid, last}, []Unread{{mid, 3}, {last, 1}}, []Resume{{mid, 2, true, false}, {last, 1, false, false}}},
		{[]string{last}, nil, []Resume{{last, 2, true, false}}},
		{[]string{gz}, []Unread{{gz, 3}}, []Resume{{gz, 2, true, true}}},
	}
	for _, tt := range tests {
		r := runJob(t, context.Background(), Job{Inputs: tt.inputs}, nil)
		if r.kind() != BadInput {
			t.Fatalf("%v: %v (kind %d), want BadInput", tt.inputs, r.err, r.kind())
		}
		s := r.summary()
		if fmt.Sprint(s.Unread) != fmt.Sprint(tt.unread) || fmt.Sprint(s.Resume) != fmt.Sprint(tt.resume) {
			t.Errorf("%v: unread %+v, resume %+v; want %+v, %+v", tt.inputs, s.Unread, s.Resume, tt.unread, tt.resume)
		}
	}
}

// The progress bar's counts: a dry run says valid, never sent.
func TestProgressCountsWording(t *testing.T) {
	p := Snapshot{DryRun: true, Sent: 4, Rejected: 1}
	if got := p.Counts(); got != "4 valid · 1 rejected" {
		t.Errorf("a dry run's bar: %q", got)
	}
	p.DryRun = false
	if got := p.Counts(); got != "4 sent · 0 retries · 0 throttled · 1 rejected" {
		t.Errorf("a real run's bar: %q", got)
	}
}
