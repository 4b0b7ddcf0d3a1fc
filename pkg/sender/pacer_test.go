package sender

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

func mapOf(t *testing.T, n int) *ShardMap {
	t.Helper()
	m, err := LoadShardMap(context.Background(), &fakeLister{pages: [][]types.Shard{evenShards(n)}}, "s")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// admitted counts the records next lets through at now.
func admitted(p *pacer, now time.Time) int {
	n := 0
	for p.next(now) != nil {
		n++
	}
	return n
}

func smallRecords(n int) []*Record {
	rs := make([]*Record, n)
	for i := range rs {
		rs[i] = &Record{Data: make([]byte, 68), Key: fmt.Sprintf("%032d", i)} // 100 bytes with the key
	}
	return rs
}

func TestPacerShardBucket(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	p := newPacer(mapOf(t, 1), false, 1000, 1<<20, t0)
	for _, r := range smallRecords(3000) {
		p.push(r)
	}
	steps := []struct {
		at   time.Duration
		want int
	}{
		{0, 1000},                       // a full bucket: one second's worth
		{0, 0},                          // empty
		{250 * time.Millisecond, 250},   // refills at 1,000/s
		{1250 * time.Millisecond, 1000}, // a full second
		{10 * time.Second, 750},         // only what is left
	}
	for _, s := range steps {
		if got := admitted(p, t0.Add(s.at)); got != s.want {
			t.Fatalf("at %s: %d admitted, want %d", s.at, got, s.want)
		}
	}
}

func TestPacerByteLimit(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	p := newPacer(mapOf(t, 1), false, 1000, 1<<20, t0)
	for i := 0; i < 30; i++ {
		p.push(&Record{Data: make([]byte, 100<<10-1), Key: "k"}) // 100 KiB
	}
	if got := admitted(p, t0); got != 10 {
		t.Fatalf("%d 100-KiB records admitted in a second, want 10", got)
	}
	// 24,576 bytes are left; 77,824 more come in 74.2ms at 1 MiB/s.
	w := p.wake(t0)
	if d := w.Sub(t0); d < 74*time.Millisecond || d > 75*time.Millisecond {
		t.Fatalf("next 100 KiB record in %s, want 74.2ms", d)
	}
	if got := admitted(p, w); got != 1 {
		t.Fatalf("at wake: %d admitted", got)
	}
}

func TestPacerAIMD(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	p := newPacer(mapOf(t, 2), false, 1000, 1<<20, t0)
	rs := smallRecords(10)
	for _, r := range rs {
		p.push(r)
	}
	r := rs[0]
	l := p.lanes[r.lane]
	p.throttled(r, t0)
	if math.Abs(l.factor-0.7) > 1e-9 {
		t.Fatalf("factor %v after a throttle, want 0.7", l.factor)
	}
	p.throttled(r, t0.Add(100*time.Millisecond)) // same burst: counted once
	if math.Abs(l.factor-0.7) > 1e-9 {
		t.Fatalf("factor %v after a second throttle within %s", l.factor, decreaseInterval)
	}
	r.paced = instantOf(t0.Add(-time.Millisecond)) // sent before the last decrease: ignored
	p.throttled(r, t0.Add(600*time.Millisecond))
	if math.Abs(l.factor-0.7) > 1e-9 {
		t.Fatalf("factor %v after a throttle of a record sent at the old rate", l.factor)
	}
	r.paced = instantOf(t0.Add(550 * time.Millisecond))
	p.throttled(r, t0.Add(600*time.Millisecond))
	if f := l.factor; math.Abs(f-0.49) > 0.04 { // 0.7 + 0.6·0.05, × 0.7
		t.Fatalf("factor %v after two decreases", f)
	}
	other := p.lanes[1-r.lane]
	if other.factor != 1 {
		t.Fatalf("the other shard was slowed too: %v", other.factor)
	}
	p.refill(l, t0.Add(20*time.Second)) // additive increase, capped at the limit
	if l.factor != 1 {
		t.Fatalf("factor %v after 20s without throttles", l.factor)
	}
	// Throttled every second: f = 0.7·(f + 0.05) settles at 0.117.
	for i := 0; i < 20; i++ {
		r.paced = instantOf(t0.Add(time.Duration(30+i)*time.Second - time.Millisecond))
		p.throttled(r, t0.Add(time.Duration(30+i)*time.Second))
	}
	if math.Abs(l.factor-0.035/0.3) > 0.001 {
		t.Fatalf("factor %v under a throttle a second, want 0.117", l.factor)
	}
	l.factor, l.last, r.paced = 0.06, t0.Add(time.Minute), instantOf(t0.Add(time.Minute))
	p.throttled(r, t0.Add(time.Minute))
	if l.factor != minFactor {
		t.Fatalf("factor %v, floor %v", l.factor, minFactor)
	}
	if !p.stale {
		t.Fatal("repeated throttles should ask for a new shard map")
	}
}

func TestPacerStreamWide(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	p := newPacer(nil, false, 1000, 1<<20, t0)
	rs := smallRecords(5000)
	for _, r := range rs {
		p.push(r)
	}
	if got := admitted(p, t0); got != 5000 {
		t.Fatalf("unlimited before the first throttle: %d admitted", got)
	}
	// 800 acknowledged in the second before the throttle.
	for i := 0; i < 800; i++ {
		p.acked(rs[i], t0.Add(time.Second+time.Duration(i)*time.Millisecond))
	}
	now := t0.Add(2 * time.Second)
	p.throttled(rs[0], now)
	l := p.lanes[0]
	if math.Abs(l.rate-700) > 1 { // at least one shard's 1,000/s, × 0.7
		t.Fatalf("rate %v after the first throttle, want 700", l.rate)
	}
	for _, r := range rs[:2000] {
		p.push(r)
	}
	if got := admitted(p, now); got != 0 {
		t.Fatalf("%d admitted right after the throttle", got)
	}
	if got := admitted(p, now.Add(time.Second)); got < 790 || got > 810 {
		t.Fatalf("%d admitted in the second after, want 800 (700, +100/s)", got)
	}
	// 3,000 acknowledged in a second: the first throttle starts from them.
	q := newPacer(nil, false, 1000, 1<<20, t0)
	for i := 0; i < 3000; i++ {
		q.acked(rs[i], t0.Add(time.Second+time.Duration(i)*300*time.Microsecond))
	}
	q.throttled(rs[0], t0.Add(2*time.Second))
	if r := q.lanes[0].rate; math.Abs(r-2100) > 1 {
		t.Fatalf("rate %v after 3,000/s, want 2,100", r)
	}
	// Large records count as size/1 KiB records.
	big := &Record{Data: make([]byte, 10<<10), Key: "k"}
	if c := p.cost(big); math.Abs(c-10.0*1000/1024-0.0009) > 0.01 {
		t.Fatalf("cost of a 10 KiB record %v", c)
	}
}

func TestPacerBalanceRoundRobin(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	m := mapOf(t, 3)
	p := newPacer(m, true, 1000, 1<<20, t0)
	rs := smallRecords(9)
	for _, r := range rs {
		r.Key = "same" // one hot key: --balance spreads it anyway
		p.push(r)
	}
	for i, r := range rs {
		h, ok := parseHashKey(r.hashKey)
		if !ok || r.lane != i%3 || m.Find(h) != i%3 || r.shardID != m.Shards[i%3].ID {
			t.Fatalf("record %d: lane %d, hash key %q, shard %s", i, r.lane, r.hashKey, r.shardID)
		}
	}
}

func TestPacerRoutesByKeyAndReroutesOnNewMap(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	m2 := mapOf(t, 2)
	p := newPacer(m2, false, 1000, 1<<20, t0)
	rs := smallRecords(50)
	for _, r := range rs {
		p.push(r)
	}
	for _, r := range rs {
		if r.lane != m2.Find(PartitionHash(r.Key)) {
			t.Fatalf("key %s in lane %d", r.Key, r.lane)
		}
	}
	m4 := mapOf(t, 4)
	p.setMap(m4, t0)
	if p.queued != 50 {
		t.Fatalf("%d queued after the new map", p.queued)
	}
	for _, r := range rs {
		if r.lane != m4.Find(PartitionHash(r.Key)) || r.shardID != m4.Shards[r.lane].ID {
			t.Fatalf("key %s in lane %d after a reshard", r.Key, r.lane)
		}
	}
}

func TestPacerRetriesGoFirst(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	p := newPacer(nil, false, 1000, 1<<20, t0)
	rs := smallRecords(3)
	p.push(rs[0])
	p.push(rs[1])
	p.pushFront(rs[2])
	for i, want := range []*Record{rs[2], rs[0], rs[1]} {
		if got := p.next(t0); got != want {
			t.Fatalf("record %d out of order", i)
		}
	}
}

func TestDeque(t *testing.T) {
	var d deque
	want := []int{}
	for i := 0; i < 100; i++ {
		r := &Record{Line: int64(i)}
		if i%3 == 0 {
			d.pushFront(r)
			want = append([]int{i}, want...)
		} else {
			d.pushBack(r)
			want = append(want, i)
		}
		if i%7 == 0 {
			if got := d.popFront().Line; got != int64(want[0]) {
				t.Fatalf("popped %d, want %d", got, want[0])
			}
			want = want[1:]
		}
	}
	for len(want) > 0 {
		if got := d.popFront().Line; got != int64(want[0]) {
			t.Fatalf("popped %d, want %d", got, want[0])
		}
		want = want[1:]
	}
	if d.len() != 0 {
		t.Fatal("not empty")
	}
}

// next lets one record through, as fill does for a batch of one.
func (p *pacer) next(now time.Time) *Record {
	batch, _, _ := p.fill(now, nil, 0, 1, math.MaxInt)
	if len(batch) == 0 {
		return nil
	}
	return batch[0]
}
