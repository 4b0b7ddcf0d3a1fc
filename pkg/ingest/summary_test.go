package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"github.com/ldexport/ldexport/pkg/ingest/ingesttest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
		r := runJob(t, ctx, job, ingesttest.NewStream(api, 1))
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

// TestSummaryNamesEachStateOnceInOrder: every state at once, each count on
// one line, in the order delivered, rejected, not delivered, left, not read.
func TestSummaryNamesEachStateOnceInOrder(t *testing.T) {
	s := Summary{
		Records: 100, Sent: 60, Invalid: 5, GivenUp: 3, Stopped: 2, LeftForNextRun: 30, Failed: 35, Skipped: 7, Bytes: 6000,
		Requests: 4, Retries: 9, Throttled: 8, PossibleDuplicates: 1, DurationSeconds: 2, RecordsPerSecond: 30,
		Unread: []Unread{{File: "a.ndjson", FromLine: 101}, {File: "-", FromLine: 1}},
	}
	s.Stream, s.RejectFile, s.Checkpoint = "ld-events", "rej.ndjson", "ck.json"
	var b strings.Builder
	s.WriteText(&b, NewStyles(&b, false))
	want := `Delivered     60 of 100 records (5.9 KiB) to ld-events in 2.0s, 30 records/s
Already done  7 records, by an earlier run (checkpoint ck.json)
Rejected      8 records: 5 invalid, 3 given up after retries, written to rej.ndjson
Not delivered 2 records, stopped before delivery, written to rej.ndjson to send again
Left          30 records for the next run: progress saved in ck.json; run the same command to send them
Not read      a.ndjson from line 101, standard input from line 1
Requests      4, 9 retries, 8 throttled, 1 possible duplicates
`
	if b.String() != want {
		t.Errorf("summary:\n%s\nwant:\n%s", b.String(), want)
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

// TestDryRunWording: a dry run delivers nothing, so what a stopped one says
// of itself (the error line's counts, where its rejects are, the progress
// bar's counts) speaks of valid records, as its summary line does, never
// of delivered or sent ones.
func TestDryRunWording(t *testing.T) {
	s := Summary{DryRun: true, Records: 5, Sent: 4, Invalid: 1, RejectLines: 1, RejectFile: "r.ndjson"}
	p := Snapshot{DryRun: true, Sent: 4, Rejected: 1}
	for _, tt := range []struct{ got, want string }{
		{s.Counts(), "dry run, 4 of 5 records valid; nothing sent"},
		{s.Whereabouts(true), "; rejected lines are in r.ndjson"},
		{s.Whereabouts(false), "; 1 lines written to r.ndjson"},
		{p.Counts(), "4 valid · 1 rejected"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	s.DryRun, p.DryRun = false, false
	if got := s.Counts(); got != "4 of 5 records delivered" {
		t.Errorf("a real run: %q", got)
	}
	if got := p.Counts(); got != "4 sent · 0 retries · 0 throttled · 1 rejected" {
		t.Errorf("a real run's bar: %q", got)
	}
}
