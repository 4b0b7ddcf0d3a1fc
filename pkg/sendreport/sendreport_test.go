package sendreport

import (
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/ingest"
)

// TestSummaryNamesEachStateOnceInOrder: every state at once, each count on
// one line, in the order delivered, rejected, not delivered, left, not read.
func TestSummaryNamesEachStateOnceInOrder(t *testing.T) {
	s := ingest.Summary{
		Records: 100, Sent: 60, Invalid: 5, GivenUp: 3, Stopped: 2, LeftForNextRun: 30, Failed: 35, Skipped: 7, Bytes: 6000,
		Requests: 4, Retries: 9, Throttled: 8, PossibleDuplicates: 1, DurationSeconds: 2, RecordsPerSecond: 30,
		Unread: []ingest.Unread{{File: "a.ndjson", FromLine: 101}, {File: "-", FromLine: 1}},
	}
	s.Stream, s.RejectFile, s.Checkpoint = "ld-events", "rej.ndjson", "ck.json"
	var b strings.Builder
	WriteText(&b, &s, NewStyles(&b, false))
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

// The counts and whereabouts an error line adds, for a dry run, a run
// that delivered everything it read, and one interrupted with a checkpoint.
func TestCountsAndWhereabouts(t *testing.T) {
	dry := &ingest.Summary{DryRun: true, Records: 5, Sent: 4, Invalid: 1, RejectLines: 1, RejectFile: "r.ndjson"}
	real := &ingest.Summary{Records: 5, Sent: 4, Invalid: 1, RejectLines: 1, RejectFile: "r.ndjson"}
	resumable := &ingest.Summary{Records: 10, Sent: 6, Failed: 4, LeftForNextRun: 3, Checkpoint: "./ck.json"}
	for _, tt := range []struct{ got, want string }{
		{Counts(dry), "dry run, 4 of 5 records valid; nothing sent"},
		{Whereabouts(dry, true), "; rejected lines are in r.ndjson"},
		{Whereabouts(dry, false), "; 1 lines written to r.ndjson"},
		{Counts(real), "4 of 5 records delivered"},
		{Whereabouts(real, true), "; lines not delivered are in r.ndjson"},
		{Counts(resumable), "6 of 10 records delivered, 3 left for the next run, 1 not delivered"},
		{Whereabouts(resumable, true), "; progress saved in ck.json: run the same command to send the rest"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
