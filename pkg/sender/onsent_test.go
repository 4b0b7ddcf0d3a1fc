package sender

import (
	"context"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/kinesistest"
)

// TestOnSentNamesExactlyTheStoredRecords checks the OnSent hook: each record
// Kinesis acknowledged is reported once, a rejected one never, also for
// requests still in flight when an interrupt comes.
func TestOnSentNamesExactlyTheStoredRecords(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	f := newFake(t, 1, func(c *kinesistest.Call) kinesistest.Reply {
		switch c.N {
		case 0:
			return kinesistest.Reply{RecordErrors: map[int]string{2: "ProvisionedThroughputExceededException"}}
		case 3:
			cancel()
			<-release
		}
		return kinesistest.Reply{}
	})
	go func() { time.Sleep(50 * time.Millisecond); close(release) }()
	seen := map[int64]int{} // OnSent runs on the dispatcher goroutine only
	cfg := Config{StreamName: "s", Concurrency: 2, MaxBatchRecords: 10, OnSent: func(recs []*Record) {
		for _, r := range recs {
			seen[r.Line]++
		}
	}}
	rs := records(1000)
	r := send(t, ctx, f.client(), cfg, rs)
	stored := f.stored()
	if int64(len(seen)) != r.stats.Sent || r.stats.Sent == 0 || r.stats.Failed == 0 {
		t.Fatalf("OnSent saw %d records, stats %+v", len(seen), r.stats)
	}
	for _, rec := range rs {
		_, rejected := r.rejected[string(rec.Data)]
		isStored := stored[string(rec.Data)] > 0
		if n := seen[rec.Line]; n > 1 || (n == 1) != isStored || n == 1 && rejected {
			t.Fatalf("line %d: OnSent %d times, stored %v, rejected %v", rec.Line, n, isStored, rejected)
		}
	}
}
