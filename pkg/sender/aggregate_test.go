package sender

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/kinesistest"
	"github.com/ldexport/ldexport/pkg/kpl"
	"github.com/ldexport/ldexport/pkg/kpl/kpltest"
)

// eventRecords makes n ~400-byte JSON records. keys: 0 for random keys
// (RandomKey set, as send's default), else that many distinct field keys.
func eventRecords(n, keys int, seed uint64) []*Record {
	rng := rand.New(rand.NewPCG(seed, 7))
	rs := make([]*Record, n)
	for i := range rs {
		pad := strings.Repeat("x", 300+rng.IntN(100))
		r := &Record{Source: "in.ndjson", Line: int64(i + 1), Data: []byte(fmt.Sprintf(`{"n":%d,"event":{"kind":"feature","pad":%q}}`, i, pad))}
		if keys == 0 {
			r.Key, r.RandomKey = fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64()), true
		} else {
			r.Key = fmt.Sprintf("user-%d", rng.IntN(keys))
		}
		rs[i] = r
	}
	return rs
}

// storedUsers deaggregates what the fake stored (with pkg/kpl), checking that each
// user record sits in the shard its own partition key hashes to, and returns
// the user records' data and the Kinesis records.
func storedUsers(t *testing.T, srv *kinesistest.Server, m *ShardMap) (users [][]byte, kin []kinesistest.Record) {
	t.Helper()
	kin = srv.Records("s")
	for _, kr := range kin {
		us, err := kpl.Deaggregate(kr.Data)
		if err != nil {
			t.Fatalf("stored record %s: %v", kr.SequenceNumber, err)
		}
		if us == nil { // a plain record
			us = []kpl.UserRecord{{PartitionKey: kr.PartitionKey, Data: kr.Data}}
		}
		for _, u := range us {
			if m != nil {
				if i := m.Find(PartitionHash(u.PartitionKey)); m.Shards[i].ID != kr.ShardID {
					t.Fatalf("user record with key %q is in %s; its key hashes to %s", u.PartitionKey, kr.ShardID, m.Shards[i].ID)
				}
			} else if u.PartitionKey != kr.PartitionKey {
				t.Fatalf("without a shard map, user record key %q differs from its aggregate's %q", u.PartitionKey, kr.PartitionKey)
			}
			users = append(users, u.Data)
		}
	}
	return users, kin
}

// exactlyOnce checks every sent record's data is stored once, byte for byte.
func exactlyOnce(t *testing.T, sent []*Record, got [][]byte) {
	t.Helper()
	want := map[string]int{}
	for _, r := range sent {
		want[string(r.Data)]++
	}
	for _, d := range got {
		want[string(d)]--
	}
	for d, n := range want {
		if n != 0 {
			t.Fatalf("record %.40s… stored %d times too few", d, n)
		}
	}
	if len(got) != len(sent) {
		t.Fatalf("stored %d user records, sent %d", len(got), len(sent))
	}
}

func newLimitedFake(t *testing.T, shards int, faults kinesistest.Faults) (*kinesistest.Server, *ShardMap) {
	t.Helper()
	srv := kinesistest.NewServer(kinesistest.Options{Seed: 13, Limits: kinesistest.DefaultWriteLimits(), Faults: faults})
	t.Cleanup(srv.Close)
	if err := srv.CreateStream("s", shards); err != nil {
		t.Fatal(err)
	}
	m, err := LoadShardMap(context.Background(), srv.NewClient(), "s")
	if err != nil {
		t.Fatal(err)
	}
	return srv, m
}

// Four shards at Kinesis's write limits, record failures and throttling: every
// line lands exactly once, byte for byte, in the shard its own key hashes to,
// packed many to a Kinesis record.
func TestAggregateEveryRecordOnceOnItsShard(t *testing.T) {
	tests := []struct {
		name  string
		keys  int
		noMap bool
	}{
		{name: "random keys", keys: 0},
		{name: "field keys", keys: 50},
		{name: "no shard map, random keys", keys: 0, noMap: true},
		{name: "no shard map, field keys", keys: 8, noMap: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, m := newLimitedFake(t, 4, kinesistest.Faults{RecordFailure: 0.3})
			cfg := Config{StreamName: "s", Concurrency: 4, ShardMap: m, Aggregate: true, MaxBatchRecords: 8}
			if tt.noMap {
				cfg.ShardMap, m = nil, nil
			}
			rs := eventRecords(6000, tt.keys, 1)
			r := send(t, context.Background(), srv.NewClient(ClientOptions(4)), cfg, rs)
			if r.err != nil || r.stats.Sent != 6000 || r.stats.Failed != 0 {
				t.Fatalf("err %v stats %+v", r.err, r.stats)
			}
			users, kin := storedUsers(t, srv, m)
			exactlyOnce(t, rs, users)
			if r.stats.KinesisRecords != int64(len(kin)) || len(kin) > 6000/20 {
				t.Fatalf("%d Kinesis records stored, KinesisRecords %d: want them to carry ~100 user records each", len(kin), r.stats.KinesisRecords)
			}
			for _, kr := range kin {
				if len(kr.Data)+len(kr.PartitionKey) > DefaultAggregateMaxBytes {
					t.Fatalf("a Kinesis record of %d bytes with its key, over the 51,200 limit", len(kr.Data)+len(kr.PartitionKey))
				}
			}
			if st := srv.Stats(); st.Faults.RecordFailures == 0 {
				t.Fatalf("no record failure injected: the retry path was not exercised (%+v)", st.Faults)
			}
		})
	}
}

// The independent check: the awslabs deaggregator reads what was stored and
// finds every line once, byte for byte.
func TestAggregateReadByTheAwslabsDeaggregator(t *testing.T) {
	kpltest.Require(t)
	srv, m := newLimitedFake(t, 4, kinesistest.Faults{})
	rs := eventRecords(3000, 0, 2)
	r := send(t, context.Background(), srv.NewClient(ClientOptions(4)), Config{StreamName: "s", Concurrency: 4, ShardMap: m, Aggregate: true}, rs)
	if r.err != nil || r.stats.Sent != 3000 {
		t.Fatalf("err %v stats %+v", r.err, r.stats)
	}
	var in []kpltest.KinesisRecord
	for _, kr := range srv.Records("s") {
		in = append(in, kpltest.KinesisRecord{ShardID: kr.ShardID, PartitionKey: kr.PartitionKey, ExplicitHashKey: kr.ExplicitHashKey, Data: kr.Data})
	}
	out := kpltest.MustDeaggregate(t, in)
	var got [][]byte
	for _, u := range out {
		if i := m.Find(PartitionHash(u.PartitionKey)); m.Shards[i].ID != u.ShardID {
			t.Fatalf("aws-kinesis-agg: user record with key %q in %s, its key hashes to %s", u.PartitionKey, u.ShardID, m.Shards[i].ID)
		}
		got = append(got, u.Data)
	}
	exactlyOnce(t, rs, got)
}

// Lost responses: the aggregate is sent again whole; nothing is missing, and
// every extra copy is counted in PossibleDuplicates.
func TestAggregateLostResponsesRetryWhole(t *testing.T) {
	srv, m := newLimitedFake(t, 4, kinesistest.Faults{LostResponse: 0.5})
	rs := eventRecords(3000, 0, 3)
	// Two aggregates a request: many requests, so many draws of the fault.
	r := send(t, context.Background(), srv.NewClient(ClientOptions(4)), Config{StreamName: "s", Concurrency: 4, ShardMap: m, Aggregate: true, MaxBatchRecords: 2}, rs)
	if r.err != nil || r.stats.Sent != 3000 {
		t.Fatalf("err %v stats %+v", r.err, r.stats)
	}
	users, _ := storedUsers(t, srv, m)
	atLeastOnce(t, rs, users, r.stats.PossibleDuplicates)
	if srv.Stats().Faults.LostResponses == 0 || r.stats.Retries == 0 {
		t.Fatalf("no lost response injected or retried: %+v", r.stats)
	}
}

// atLeastOnce checks every sent record is stored, and that the extra copies
// are no more than the sender owned up to.
func atLeastOnce(t *testing.T, sent []*Record, got [][]byte, possibleDuplicates int64) {
	t.Helper()
	count := map[string]int{}
	for _, d := range got {
		count[string(d)]++
	}
	extra := 0
	for _, rec := range sent {
		n := count[string(rec.Data)]
		if n == 0 {
			t.Fatalf("line %d lost", rec.Line)
		}
		extra += n - 1
	}
	if len(got) != len(sent)+extra {
		t.Fatalf("%d records stored that were never sent", len(got)-len(sent)-extra)
	}
	if int64(extra) > possibleDuplicates {
		t.Fatalf("%d extra copies stored, PossibleDuplicates %d", extra, possibleDuplicates)
	}
}

// A failing aggregate goes out again as the same bytes; when it is given up,
// each of its lines is rejected on its own.
func TestAggregateFailedAggregateRetriedWholeThenRejectedPerLine(t *testing.T) {
	f := newFake(t, 1, func(c *kinesistest.Call) kinesistest.Reply { return failAll(c, "InternalFailure") })
	rs := records(50)
	for _, r := range rs {
		r.Key = "same" // one aggregate
	}
	r := send(t, context.Background(), f.client(), Config{StreamName: "s", Concurrency: 1, Aggregate: true, MaxAttempts: 3}, rs)
	if r.stats.Failed != 50 || len(r.rejected) != 50 || r.stats.Sent != 0 {
		t.Fatalf("stats %+v, %d rejected", r.stats, len(r.rejected))
	}
	for _, rec := range records(50) {
		if reason, ok := r.rejected[string(rec.Data)]; !ok || !strings.Contains(reason, "gave up after 3 attempts") {
			t.Fatalf("line %d: rejected %v with %q", rec.Line, ok, reason)
		}
	}
	log := f.log()
	if len(log) != 3 {
		t.Fatalf("%d requests, want 3 attempts", len(log))
	}
	for i, req := range log {
		if len(req) != 1 || req[0] != log[0][0] || !kpl.IsAggregated([]byte(req[0])) {
			t.Fatalf("attempt %d is not the same single aggregate", i+1)
		}
	}
}

// A slow input is not held back: an open aggregate goes after the linger
// even though the input stays open.
func TestAggregateLingerFlushesSlowInput(t *testing.T) {
	f := newFake(t, 1, nil)
	acked := make(chan int64, 10)
	s := New(context.Background(), f.client(), Config{StreamName: "s", Aggregate: true, AggregateLinger: 20 * time.Millisecond,
		OnSent: func(recs []*Record) {
			for _, r := range recs {
				acked <- r.Line
			}
		}}, func(r *Record, reason string) { t.Errorf("rejected %d: %s", r.Line, reason) })
	defer s.Close()
	for _, r := range records(3) {
		r.Key = "k"
		if err := s.Put(r); err != nil {
			t.Fatal(err)
		}
	}
	got := map[int64]bool{}
	deadline := time.After(10 * time.Second)
	for len(got) < 3 {
		select {
		case l := <-acked:
			got[l] = true
		case <-deadline:
			t.Fatalf("only lines %v acknowledged while the input stayed open", got)
		}
	}
	if log := f.log(); len(log) != 1 || len(log[0]) != 1 || !kpl.IsAggregated([]byte(log[0][0])) {
		t.Fatalf("requests %d: want the three lines in one aggregate", len(log))
	}
}

// A lone record and one too large for an aggregate go as they are.
func TestAggregateLoneAndLargeRecordsGoPlain(t *testing.T) {
	f := newFake(t, 1, nil)
	big := &Record{Source: "in", Line: 1, Key: "a", Data: bytes.Repeat([]byte("b"), DefaultAggregateMaxBytes)}
	lone := &Record{Source: "in", Line: 2, Key: "b", Data: []byte(`{"lone":true}`)}
	r := send(t, context.Background(), f.client(), Config{StreamName: "s", Aggregate: true}, []*Record{big, lone})
	if r.err != nil || r.stats.Sent != 2 || r.stats.KinesisRecords != 2 {
		t.Fatalf("err %v stats %+v", r.err, r.stats)
	}
	if stored := f.stored(); len(stored) != 2 || stored[string(big.Data)] != 1 || stored[`{"lone":true}`] != 1 {
		t.Fatalf("stored %d distinct records, not the two as they are", len(stored))
	}
}

// An interrupt rejects the lines waiting in open aggregates, each once.
func TestAggregateInterruptRejectsOpenAggregates(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := newFake(t, 1, nil)
	var mu sync.Mutex
	rejected := 0
	s := New(ctx, f.client(), Config{StreamName: "s", Aggregate: true, AggregateLinger: time.Hour},
		func(r *Record, reason string) { mu.Lock(); rejected++; mu.Unlock() })
	for _, r := range records(40) {
		r.Key = "k"
		if err := s.Put(r); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	_ = s.Close()
	st := s.Stats()
	if st.Sent+st.Failed != 40 || int64(rejected) != st.Failed {
		t.Fatalf("stats %+v, %d rejected: every line must be sent or rejected once", st, rejected)
	}
}

// The aggregator alone: one open aggregate per shard, random keys shared
// within an aggregate (one key-table entry), field keys kept, the
// ExplicitHashKey inside the shard, linger, and a new shard map sealing
// what was built under the old one.
func TestAggregatorGroupsByShard(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	m := mapOf(t, 4)
	a := newAggregator(DefaultAggregateMaxBytes, 100*time.Millisecond, m)
	rs := eventRecords(400, 0, 11) // random keys
	field := eventRecords(40, 5, 12)
	for _, r := range append(rs, field...) {
		a.add(r, t0)
	}
	if got := a.flush(t0.Add(99*time.Millisecond), false); len(got) != 0 {
		t.Fatalf("%d records sealed before the linger or a full aggregate", len(got))
	}
	sealed := a.flush(t0.Add(100*time.Millisecond), false)
	if len(sealed) != 4 || a.open != 0 {
		t.Fatalf("%d sealed, %d open: want one aggregate per shard", len(sealed), a.open)
	}
	users := 0
	for _, agg := range sealed {
		h, ok := parseHashKey(agg.hashKey)
		shard := m.Find(h)
		if !ok || shard < 0 {
			t.Fatalf("aggregate ExplicitHashKey %q outside every shard", agg.hashKey)
		}
		recs, err := kpl.Deaggregate(agg.Data)
		if err != nil || len(recs) != len(agg.users) {
			t.Fatalf("aggregate of %d users decodes to %d records: %v", len(agg.users), len(recs), err)
		}
		random := map[string]bool{}
		for i, u := range agg.users {
			if m.Find(PartitionHash(u.Key)) != shard {
				t.Fatalf("user key %q hashes outside the aggregate's shard", u.Key)
			}
			if !bytes.Equal(recs[i].Data, u.Data) || recs[i].PartitionKey != u.Key {
				t.Fatalf("user %d: aggregate holds key %q, record has %q", i, recs[i].PartitionKey, u.Key)
			}
			if u.RandomKey {
				random[u.Key] = true
			}
		}
		if len(random) != 1 {
			t.Fatalf("random-key records of one aggregate use %d keys, want 1", len(random))
		}
		users += len(agg.users)
	}
	if users != 440 {
		t.Fatalf("%d user records sealed, 440 added", users)
	}

	// A new map seals every open aggregate at once.
	a.add(eventRecords(1, 0, 13)[0], t0)
	a.setMap(mapOf(t, 2))
	if got := a.flush(t0, false); len(got) != 1 || a.open != 0 {
		t.Fatalf("after a new map: %d sealed, %d open", len(got), a.open)
	}
}

// Without a map, one aggregate per key: with many keys open, flush seals
// just the ones whose linger is over, oldest first, and wake names the next.
func TestAggregatorLingerByAge(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	a := newAggregator(DefaultAggregateMaxBytes, 100*time.Millisecond, nil)
	for i := 0; i < 1000; i++ {
		for j := 0; j < 2; j++ { // two records a key: aggregates, not lone records
			a.add(&Record{Line: int64(2*i + j), Data: []byte(`{"a":1}`), Key: fmt.Sprintf("key-%d", i)}, t0.Add(time.Duration(i)*time.Millisecond))
		}
	}
	if a.open != 1000 {
		t.Fatalf("%d open aggregates, want one per key", a.open)
	}
	sealed := a.flush(t0.Add(349*time.Millisecond), false) // keys 0..249 are due
	if len(sealed) != 250 || a.open != 750 {
		t.Fatalf("%d sealed, %d open; want 250 and 750", len(sealed), a.open)
	}
	for i, r := range sealed {
		if r.Key != fmt.Sprintf("key-%d", i) || len(r.users) != 2 {
			t.Fatalf("sealed %d is %q with %d users: not oldest first", i, r.Key, len(r.users))
		}
	}
	if w := a.wake(); !w.Equal(t0.Add(350 * time.Millisecond)) {
		t.Fatalf("wake %v, want key-250's linger end", w)
	}
	a.add(&Record{Data: []byte(`{"a":2}`), Key: "key-999"}, t0.Add(2*time.Second)) // joins an open one
	if rest := a.flush(t0.Add(2*time.Second), true); len(rest) != 750 || a.open != 0 || a.wake() != (time.Time{}) {
		t.Fatalf("flush all: %d sealed, %d open", len(rest), a.open)
	}
}

// Without a shard map, the stream-wide rate is in the bucket's units (a
// record of n bytes costs n/1,048 records' worth): the acknowledged rate
// that the first throttle starts from counts large records (aggregates) by
// their cost too, not as one record each.
func TestPacerStreamWideCountsAggregatesByCost(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	p := newPacer(nil, false, 1000, 1<<20, t0)
	agg := &Record{Data: make([]byte, 51_168), Key: "0123456789abcdef0123456789abcdef"} // 51,200 bytes: ~48.8 records' worth
	p.push(agg)
	if p.next(t0) != agg {
		t.Fatal("not admitted before the first throttle")
	}
	for i := 0; i < 60; i++ {
		p.acked(agg, t0.Add(time.Second+time.Duration(i)*15*time.Millisecond))
	}
	p.throttled(agg, t0.Add(2*time.Second))
	want := 60 * p.cost(agg) * 0.7 // ~2,050 a second, not max(1,000, 60) × 0.7
	if r := p.lanes[0].rate; math.Abs(r-want) > 1 {
		t.Fatalf("rate %v after 60 aggregates a second, want %v", r, want)
	}
}
