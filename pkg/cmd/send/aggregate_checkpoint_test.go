package send

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/cmdutil"
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
	ls := lines(20000) // ~1,300 aggregates of 1 KiB: several requests of 500
	if err := os.WriteFile(in, []byte(strings.Join(ls, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ck, rejects := filepath.Join(dir, "ck.json"), filepath.Join(dir, "rejects.ndjson")
	// 1 KiB records (runFiles's limit): many small aggregates.
	opts := SendOptions{Files: []string{in}, Checkpoint: ck, RejectFile: rejects, Aggregate: true}

	ctx, cancel := context.WithCancel(context.Background())
	first := &stalledKinesis{after: 1, cancel: cancel} // the second request stalls
	r1 := runFiles(t, ctx, opts, first)
	if cmdutil.ExitCode(r1.err) != 130 || r1.summary.Sent == 0 || r1.summary.Failed == 0 {
		t.Fatalf("first run: %v (exit %d), %+v\n%s", r1.err, cmdutil.ExitCode(r1.err), r1.summary, r1.stderr)
	}
	if r1.summary.KinesisRecords == nil || *r1.summary.KinesisRecords >= r1.summary.Sent {
		t.Fatalf("first run sent %d lines in %v Kinesis records: not aggregated", r1.summary.Sent, r1.summary.KinesisRecords)
	}
	if got := userRecords(t, first.stored); int64(len(got)) != r1.summary.Sent {
		t.Fatalf("the fake holds %d lines, the summary says %d sent", len(got), r1.summary.Sent)
	}

	second := &fakeKinesis{}
	r2 := runFiles(t, context.Background(), opts, second)
	if r2.err != nil || r2.summary.Skipped != r1.summary.Sent || r2.summary.Sent+r2.summary.Skipped != 20000 {
		t.Fatalf("resume: %v, %+v after %+v\n%s", r2.err, r2.summary, r1.summary, r2.stderr)
	}
	got := storedMultiset(userRecords(t, first.stored), userRecords(t, second.stored))
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
