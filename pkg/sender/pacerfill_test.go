package sender

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// nextByScan is how the pacer let records through before fill: one record
// a call, from the first lane in turn from the cursor whose buckets admit
// its front record, refilling each lane it visits.
func (p *pacer) nextByScan(now time.Time) *Record {
	if p.queued == 0 {
		return nil
	}
	n := len(p.lanes)
	for k := 0; k < n; k++ {
		i := (p.cursor + k) % n
		l := p.lanes[i]
		if l.q.len() == 0 {
			continue
		}
		p.refill(l, now)
		r := l.q.front()
		if !p.admits(l, r) {
			continue
		}
		l.q.popFront()
		p.queued--
		p.admit(l, r, now)
		p.cursor = (i + 1) % n
		return r
	}
	return nil
}

// fillByScan is the dispatcher's batch filling before fill: nextByScan
// until the batch is full or a record does not fit.
func (p *pacer) fillByScan(now time.Time, batch []*Record, bytes, maxRecords, maxBytes int) ([]*Record, int, *Record) {
	for len(batch) < maxRecords {
		r := p.nextByScan(now)
		if r == nil {
			break
		}
		if len(batch) > 0 && bytes+r.Size() > maxBytes {
			return batch, bytes, r
		}
		batch, bytes = append(batch, r), bytes+r.Size()
	}
	return batch, bytes, nil
}

// fill lets through the same records, in the same order, with the same
// carry, buckets and cursor as a record-at-a-time scan of the lanes, under
// random pushes, retries, throttles, acknowledgements and batch limits.
func TestPacerFillMatchesScan(t *testing.T) {
	for _, tc := range []struct {
		name    string
		shards  int // 0: stream-wide
		balance bool
	}{{"stream", 0, false}, {"1shard", 1, false}, {"4shards", 4, false}, {"7shards-balance", 7, true}} {
		for seed := uint64(1); seed <= 20; seed++ {
			t.Run(fmt.Sprintf("%s/%d", tc.name, seed), func(t *testing.T) {
				var m *ShardMap
				if tc.shards > 0 {
					m = mapOf(t, tc.shards)
				}
				comparePacers(t, m, tc.balance, seed)
			})
		}
	}
}

func comparePacers(t *testing.T, m *ShardMap, balance bool, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	t0 := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	now := t0
	// Low limits, so that the buckets refuse records often.
	a := newPacer(m, balance, 40, 30_000, t0)
	b := newPacer(m, balance, 40, 30_000, t0)
	var ra, rb []*Record // the same records, for a and for b
	newRecords := func(k int) ([]*Record, []*Record) {
		xa, xb := make([]*Record, k), make([]*Record, k)
		for i := range xa {
			line := int64(len(ra) + 1)
			data, key := make([]byte, rng.IntN(3000)), fmt.Sprintf("k%d", rng.Uint64())
			xa[i] = &Record{Line: line, Data: data, Key: key}
			xb[i] = &Record{Line: line, Data: data, Key: key}
			ra, rb = append(ra, xa[i]), append(rb, xb[i])
		}
		return xa, xb
	}
	var sent []int // indexes of records let through
	for step := 0; step < 400; step++ {
		now = now.Add(time.Duration(rng.IntN(150)) * time.Millisecond)
		switch op := rng.IntN(10); {
		case op < 3:
			xa, xb := newRecords(1 + rng.IntN(80))
			a.pushAll(xa)
			for _, r := range xb {
				b.push(r)
			}
		case op < 4 && len(sent) > 0:
			i := sent[rng.IntN(len(sent))]
			a.pushFront(ra[i])
			b.pushFront(rb[i])
		case op < 5 && len(sent) > 0:
			i := sent[rng.IntN(len(sent))]
			a.throttled(ra[i], now)
			b.throttled(rb[i], now)
		case op < 6 && len(sent) > 0:
			i := sent[rng.IntN(len(sent))]
			a.acked(ra[i], now)
			b.acked(rb[i], now)
		default:
			maxRecords, maxBytes := 1+rng.IntN(40), 1+rng.IntN(40_000)
			pre := rng.IntN(3) // records already in the batch
			ba, bb := make([]*Record, 0, pre), make([]*Record, 0, pre)
			xa, xb := newRecords(pre)
			ba, bb = append(ba, xa...), append(bb, xb...)
			bytes := 0
			for _, r := range xa {
				bytes += r.Size()
			}
			ba, na, ca := a.fill(now, ba, bytes, maxRecords, maxBytes)
			bb, nb, cb := b.fillByScan(now, bb, bytes, maxRecords, maxBytes)
			if len(ba) != len(bb) || na != nb || (ca == nil) != (cb == nil) || (ca != nil && ca.Line != cb.Line) {
				t.Fatalf("step %d: fill gave %d records (%d bytes), the scan %d (%d bytes); carry %v, %v", step, len(ba), na, len(bb), nb, ca != nil, cb != nil)
			}
			gotA, gotB := ba[pre:], bb[pre:]
			if ca != nil {
				gotA, gotB = append(gotA, ca), append(gotB, cb)
			}
			for i, r := range gotA {
				q := gotB[i]
				if r.Line != q.Line || r.lane != q.lane || r.gen != q.gen || r.shardID != q.shardID || r.hashKey != q.hashKey || r.paced != q.paced {
					t.Fatalf("step %d: record %d: line %d lane %d, the scan's line %d lane %d", step, i, r.Line, r.lane, q.Line, q.lane)
				}
				sent = append(sent, int(r.Line-1))
			}
		}
		if a.cursor != b.cursor || a.queued != b.queued || a.rr != b.rr || a.stale != b.stale {
			t.Fatalf("step %d: cursor %d/%d, queued %d/%d", step, a.cursor, b.cursor, a.queued, b.queued)
		}
		for i, la := range a.lanes {
			lb := b.lanes[i]
			if la.q.len() != lb.q.len() || la.recTok != lb.recTok || la.bytTok != lb.bytTok || la.factor != lb.factor ||
				la.rate != lb.rate || !la.last.Equal(lb.last) || la.ackCur != lb.ackCur || la.ackPrev != lb.ackPrev {
				t.Fatalf("step %d: lane %d differs: %+v\nthe scan's: %+v", step, i, *la, *lb)
			}
		}
	}
	if len(sent) == 0 {
		t.Fatal("nothing let through")
	}
}

// pushBackAll and popFrontN keep the order across the ring's wrap and growth.
func TestDequeBulk(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var d deque
	var want []int64
	line := int64(0)
	for step := 0; step < 2000; step++ {
		switch rng.IntN(4) {
		case 0:
			rs := make([]*Record, rng.IntN(40))
			for i := range rs {
				line++
				rs[i] = &Record{Line: line}
				want = append(want, line)
			}
			d.pushBackAll(rs)
		case 1:
			line++
			d.pushFront(&Record{Line: line})
			want = append([]int64{line}, want...)
		case 2:
			n := rng.IntN(d.len() + 1)
			for i := 0; i < n; i++ {
				if got := d.buf[(d.head+i)&(len(d.buf)-1)].Line; got != want[i] {
					t.Fatalf("step %d: record %d is line %d, want %d", step, i, got, want[i])
				}
			}
			d.popFrontN(n)
			want = want[n:]
		default:
			if d.len() > 0 {
				if got := d.popFront().Line; got != want[0] {
					t.Fatalf("step %d: popped %d, want %d", step, got, want[0])
				}
				want = want[1:]
			}
		}
		if d.len() != len(want) {
			t.Fatalf("step %d: %d queued, want %d", step, d.len(), len(want))
		}
		held := 0
		for _, r := range d.buf {
			if r != nil {
				held++
			}
		}
		if held != d.len() {
			t.Fatalf("step %d: the ring holds %d records, %d queued", step, held, d.len())
		}
	}
}
