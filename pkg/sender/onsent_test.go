package sender

import (
	"bytes"
	"context"
	"fmt"
	"slices"
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

// TestOnSentRecordsAreTheCallersAgain: once OnSent returns, the records are
// the caller's (ingest refills them with new lines). Here another goroutine
// scribbles over each acknowledged record, so that under -race any read or
// write of it by the sender after OnSent is reported, and what the stream
// stored is still every line once, byte for byte: with record failures and
// throttling at four shards' limits, plain and aggregated.
func TestOnSentRecordsAreTheCallersAgain(t *testing.T) {
	for _, aggregate := range []bool{false, true} {
		t.Run(fmt.Sprintf("aggregate %v", aggregate), func(t *testing.T) {
			srv, m := newLimitedFake(t, 4, kinesistest.Faults{RecordFailure: 0.2})
			rs := eventRecords(5000, 0, 3)
			want := make([]*Record, len(rs))
			for i, r := range rs {
				want[i] = &Record{Data: bytes.Clone(r.Data)}
			}
			acked := make(chan []*Record, 16)
			scribbled := make(chan int)
			go func() {
				n := 0
				for recs := range acked {
					for _, r := range recs {
						for i := range r.Data {
							r.Data[i] = '#'
						}
						*r = Record{Data: r.Data[:1], Key: "scribbled", Line: -1}
						n++
					}
				}
				scribbled <- n
			}()
			cfg := Config{StreamName: "s", Concurrency: 4, ShardMap: m, Aggregate: aggregate, MaxBatchRecords: 50,
				OnSent: func(recs []*Record) { acked <- slices.Clone(recs) }}
			r := send(t, context.Background(), srv.NewClient(ClientOptions(4)), cfg, rs)
			close(acked)
			if n := <-scribbled; r.err != nil || r.stats.Sent != 5000 || n != 5000 {
				t.Fatalf("err %v, stats %+v, %d records acknowledged", r.err, r.stats, n)
			}
			users, _ := storedUsers(t, srv, m)
			exactlyOnce(t, want, users)
			if st := srv.Stats(); st.Faults.RecordFailures == 0 {
				t.Fatalf("no record failure injected: the retry path was not exercised (%+v)", st.Faults)
			}
		})
	}
}
