package ingest

import (
	"context"
	"github.com/ldexport/ldexport/pkg/ingest/ingesttest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/kpl"
)

// userRecords deaggregates what a fake stored.
func userRecords(t *testing.T, stored [][]byte) [][]byte {
	t.Helper()
	var out [][]byte
	for _, d := range stored {
		us, err := kpl.Deaggregate(d)
		if err != nil {
			t.Fatal(err)
		}
		if us == nil {
			out = append(out, d)
		}
		for _, u := range us {
			out = append(out, u.Data)
		}
	}
	return out
}

// The checkpoint stays per line under --aggregate: a run interrupted with
// aggregates in flight, then resumed, stores every line exactly once; lines
// given up are rejected one by one.
func TestAggregateCheckpointResumeAfterInterrupt(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ndjson")
	ls := ingesttest.Lines(20000) // ~1,300 aggregates of 1 KiB: several requests of 500
	if err := os.WriteFile(in, []byte(strings.Join(ls, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ck, rejects := filepath.Join(dir, "ck.json"), filepath.Join(dir, "rejects.ndjson")
	// 1 KiB records (the stream's limit): many small aggregates.
	job := Job{Inputs: []string{in}, Checkpoint: ck, Rejects: rejects, Aggregate: true}

	ctx, cancel := context.WithCancel(context.Background())
	first := &ingesttest.Stalled{After: 1, Cancel: cancel} // the second request stalls
	r1 := runJob(t, ctx, job, ingesttest.NewStream(first, 1))
	s1 := r1.summary()
	if r1.kind() != Interrupted || s1.Sent == 0 || s1.Failed == 0 {
		t.Fatalf("first run: %v (kind %d), %+v\n%s", r1.err, r1.kind(), s1, r1.notes)
	}
	if s1.KinesisRecords == nil || *s1.KinesisRecords >= s1.Sent {
		t.Fatalf("first run sent %d lines in %v Kinesis records: not aggregated", s1.Sent, s1.KinesisRecords)
	}
	if got := userRecords(t, first.Stored); int64(len(got)) != s1.Sent {
		t.Fatalf("the fake holds %d lines, the summary says %d sent", len(got), s1.Sent)
	}

	second := &ingesttest.Memory{}
	r2 := runJob(t, context.Background(), job, ingesttest.NewStream(second, 1))
	if s2 := r2.summary(); r2.err != nil || s2.Skipped != s1.Sent || s2.Sent+s2.Skipped != 20000 {
		t.Fatalf("resume: %v, %+v after %+v\n%s", r2.err, s2, s1, r2.notes)
	}
	got := ingesttest.Count(userRecords(t, first.Stored), userRecords(t, second.Stored))
	for _, l := range ls {
		if got[l] != 1 {
			t.Fatalf("%s stored %d times", l, got[l])
		}
	}
	if len(got) != len(ls) {
		t.Fatalf("%d distinct lines stored, want %d", len(got), len(ls))
	}
	if rej, _ := os.ReadFile(rejects); len(rej) != 0 {
		t.Fatalf("reject file %q: nothing was given up", rej)
	}
}
