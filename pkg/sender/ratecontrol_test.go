package sender

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// countingLister counts ListShards calls, safely across goroutines.
type countingLister struct {
	api ListShardsAPI
	n   atomic.Int64
}

func (c *countingLister) ListShards(ctx context.Context, in *kinesis.ListShardsInput, o ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error) {
	c.n.Add(1)
	return c.api.ListShards(ctx, in, o...)
}

// shardMapOf lists the shards of f's stream.
func shardMapOf(t *testing.T, f *fakeKinesis) *ShardMap {
	t.Helper()
	m, err := LoadShardMap(context.Background(), f.client(), "s")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBalanceSetsHashKeysInTurn(t *testing.T) {
	f := newFake(t, 4, nil)
	m := shardMapOf(t, f)
	rs := records(400)
	for _, r := range rs {
		r.Key = "hot" // one key would put everything in one shard
	}
	r := send(t, context.Background(), f.client(), Config{StreamName: "s", Concurrency: 1, ShardMap: m, Balance: true}, rs)
	if r.err != nil || r.stats.Sent != 400 {
		t.Fatalf("err %v stats %+v", r.err, r.stats)
	}
	per := map[int]int{}
	for _, rec := range f.srv.Records("s") {
		h, ok := parseHashKey(rec.ExplicitHashKey)
		if !ok {
			t.Fatalf("ExplicitHashKey %q", rec.ExplicitHashKey)
		}
		i := m.Find(h)
		if rec.ShardID != m.Shards[i].ID {
			t.Fatalf("a record with ExplicitHashKey %s was stored in %s, not %s", rec.ExplicitHashKey, rec.ShardID, m.Shards[i].ID)
		}
		per[i]++
	}
	for i := 0; i < 4; i++ {
		if per[i] != 100 {
			t.Fatalf("records per shard %v, want 100 each", per)
		}
	}
}

func TestMisroutedRecordRefreshesShardMap(t *testing.T) {
	for _, client := range clients {
		t.Run(client.name, func(t *testing.T) {
			// The stream has two shards; its lister says it has one, again and
			// again, so records keep landing in a shard the map does not know.
			f := newFake(t, 2, nil)
			stale := newFake(t, 1, nil)
			l := &countingLister{api: stale.client()}
			r := send(t, context.Background(), client.of(f), Config{StreamName: "s", Concurrency: 1, ShardMap: shardMapOf(t, stale), Lister: l, MaxBatchRecords: 10}, records(100))
			if r.err != nil || r.stats.Sent != 100 {
				t.Fatalf("err %v stats %+v", r.err, r.stats)
			}
			deadline := time.Now().Add(2 * time.Second)
			for l.n.Load() == 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if got := l.n.Load(); got != 1 {
				t.Fatalf("%d ListShards calls after records landed in an unknown shard, want 1 (at most one per %s)", got, refreshWindow)
			}
		})
	}
}

// While a shard's pace holds records back, reading waits: records waiting for
// pacing count against the bytes-in-flight budget.
func TestPacedRecordsHoldTheByteBudget(t *testing.T) {
	const budget = 10 << 10
	worst := readAhead(t, Config{MaxBytesInFlight: budget}, 100)
	// At most budget/weight records read and not yet sent (+1 for the Put
	// on its way); each weighs its 100 bytes and the Record's overhead.
	allowed := int64(budget / (100 + recordOverhead))
	if worst > allowed+1 || worst < allowed/2 {
		t.Fatalf("up to %d records read ahead of delivery, budget allows %d", worst, allowed)
	}
}

// Small records are bounded by count as well: each weighs at least
// MaxBytesInFlight/MaxRecordsInFlight.
func TestPacedRecordsHoldTheRecordBudget(t *testing.T) {
	const records = 12
	worst := readAhead(t, Config{MaxBytesInFlight: 1 << 20, MaxRecordsInFlight: records}, 100)
	if worst > records+1 || worst < records/2 {
		t.Fatalf("up to %d records read ahead of delivery, budget allows %d", worst, records)
	}
}

// readAhead puts 600 records of size bytes (key included) one by one into a
// sender with cfg whose one shard is paced at 200 records a second, and
// returns the most records seen put and not yet sent.
func readAhead(t *testing.T, cfg Config, size int) int64 {
	t.Helper()
	f := newFake(t, 1, nil)
	cfg.StreamName, cfg.ShardMap, cfg.ShardRecordsPerSecond = "s", mapOf(t, 1), 200
	s := New(context.Background(), f.client(), cfg, func(*Record, string) { t.Error("rejected") })
	rs := records(600)
	for _, r := range rs {
		r.Data = append(r.Data, make([]byte, size-len(r.Data)-len(r.Key))...)
	}
	var put atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, r := range rs {
			if err := s.Put(r); err != nil {
				t.Error(err)
				return
			}
			put.Add(1)
		}
	}()
	worst := int64(0)
	for {
		select {
		case <-done:
		case <-time.After(10 * time.Millisecond):
			worst = max(worst, put.Load()-s.Stats().Sent)
			continue
		}
		break
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.Stats().Sent != 600 {
		t.Fatalf("stats %+v", s.Stats())
	}
	return worst
}

// The record count bound grows with the requests in flight, so that a high
// --concurrency can fill them; the byte bound still applies.
func TestRecordBoundFollowsConcurrency(t *testing.T) {
	for _, tt := range []struct{ concurrency, want int }{{0, 8192}, {8, 8192}, {9, 9000}, {64, 64000}} {
		c := Config{Concurrency: tt.concurrency}
		c.defaults()
		if c.MaxRecordsInFlight != tt.want || c.MaxBytesInFlight != 16<<20 {
			t.Errorf("concurrency %d: %d records, %d bytes in flight; want %d records, 16 MiB", tt.concurrency, c.MaxRecordsInFlight, c.MaxBytesInFlight, tt.want)
		}
	}
}

// Under Aggregate the count bound does not apply: user records wait in open
// aggregates until they fill by size, so only bytes bound them.
func TestAggregateRecordsHoldOnlyTheByteBudget(t *testing.T) {
	f := newFake(t, 1, nil)
	s := New(context.Background(), f.client(), Config{StreamName: "s", Aggregate: true, MaxBytesInFlight: 1 << 20, MaxRecordsInFlight: 4}, func(*Record, string) { t.Error("rejected") })
	rs := records(3)
	if err := s.PutBatch(rs); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if want := int64(r.Size()) + recordOverhead; r.weight != want {
			t.Errorf("line %d weighs %d, want its size and overhead %d (no floor of 1 MiB/4)", r.Line, r.weight, want)
		}
	}
}
