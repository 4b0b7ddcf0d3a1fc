package sender

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"golang.org/x/sync/semaphore"
)

// BenchmarkDispatch drives the dispatcher's hot path in one goroutine, as
// its loop does, without workers or requests: hand-overs of 64 records (as
// the reader's) into the pacer, batches filled from it and each answered
// "all stored" at once, then settled. Its ns/record is the dispatcher's own
// cost per record, which BenchmarkSenderBatching mixes with the workers'.
// Shard limits are set so high that pacing never makes a record wait.
func BenchmarkDispatch(b *testing.B) {
	for _, tc := range []struct {
		name      string
		shards    int // 0: stream-wide pacing
		aggregate bool
	}{
		{"stream", 0, false},
		{"4shards", 4, false},
		{"4shards-aggregate", 4, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := Config{
				StreamName:            "s",
				ShardRecordsPerSecond: math.MaxInt32, ShardBytesPerSecond: math.MaxInt32, // no pacing (and an int on 32-bit CPUs too)
				OnSent:    func([]*Record) {},
				Aggregate: tc.aggregate,
			}
			if tc.shards > 0 {
				m, err := LoadShardMap(context.Background(), &fakeLister{pages: [][]types.Shard{evenShards(tc.shards)}}, "s")
				if err != nil {
					b.Fatal(err)
				}
				cfg.ShardMap = m
			}
			benchDispatch(b, cfg)
		})
	}
}

func benchDispatch(b *testing.B, cfg Config) {
	const handOver, n = 64, 64 * 125 // 16 full batches of 500
	cfg.defaults()
	s := &Sender{
		cfg:      cfg,
		onReject: func(r *Record, reason string) { b.Fatal(reason) },
		in:       make(chan []*Record, inQueue),
		results:  make(chan result, cfg.Concurrency),
		budget:   semaphore.NewWeighted(1 << 62),
	}
	ctx := context.Background()
	s.stop, s.halt = context.WithCancelCause(ctx)
	d := newDispatcher(ctx, s)
	defer d.timer.Stop()
	recs := make([]*Record, n)
	var weight int64
	for i := range recs {
		recs[i] = &Record{Source: "-", Line: int64(i + 1), Data: []byte(fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("z", 380))), Key: fmt.Sprintf("%032x", i*7919)}
		recs[i].weight = int64(recs[i].Size()) + recordOverhead
		weight += recs[i].weight
	}
	data := make([][]byte, n) // aggregation points Data into the aggregate: restored each round
	for i, r := range recs {
		data[i] = r.Data
	}
	b.ReportAllocs()
	for b.Loop() {
		for i, r := range recs {
			r.gen, r.Data = 0, data[i] // routed again, as a new record is
		}
		if err := s.budget.Acquire(ctx, weight); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < n; i += handOver {
			s.in <- recs[i : i+handOver : i+handOver]
			d.benchRound(false)
		}
		for d.outstanding > 0 {
			d.benchRound(true)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/record")
}

// benchRound is one turn of the dispatcher's loop with an instant worker
// that stores every record; force sends a partial batch at once.
func (d *dispatcher) benchRound(force bool) {
	d.settleReady()
	now := d.s.cfg.Now()
	d.advance(now)
	for {
		work, _ := d.ready(now)
		if work == nil && !(force && len(d.batch) > 0) {
			break
		}
		batch := d.batch
		d.launched()
		d.s.results <- result{batch: batch}
		d.settleReady()
		d.advance(now)
	}
	d.nextWake(now, now)
	d.release()
	if force && d.agg != nil {
		for _, a := range d.agg.flush(now, true) {
			d.pace.push(a)
		}
	}
}
