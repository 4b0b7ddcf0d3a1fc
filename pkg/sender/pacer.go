package sender

import (
	"math"
	"time"
)

// Shard write limits of Kinesis: 1,000 records and 1 MiB (data + partition
// key) a second per shard.
const (
	ShardRecordsPerSecond = 1000
	ShardBytesPerSecond   = 1 << 20
)

// Rate control tuning.
const (
	// decreaseFactor multiplies a lane's rate when it is throttled (at most
	// once per decreaseInterval, so one throttled batch counts once).
	decreaseFactor   = 0.7
	decreaseInterval = 500 * time.Millisecond
	// increasePerSecond is the additive increase of a shard's rate, as a
	// fraction of the shard limit per second; minFactor is the floor.
	increasePerSecond = 0.05
	minFactor         = 0.05
	// streamIncrease is the stream-wide additive increase per second, as a
	// fraction of the rate set by the last decrease.
	streamIncrease    = 0.05
	minStreamIncrease = 100.0 // records a second, per second
	minStreamRate     = 10.0  // records a second
	// A stream has at least one shard: the first throttle never sets the
	// stream-wide rate below decreaseFactor × one shard's limit.
	// refreshAfterDecreases throttle decreases within refreshWindow suggest a
	// reshard: the shard map is listed again (at most once per refreshWindow).
	refreshAfterDecreases = 5
	refreshWindow         = 10 * time.Second
)

// pacer decides when each record may enter a batch. With a shard map, each
// open shard has its own token buckets (records and bytes) filled at its rate,
// a fraction of the shard limit that throttling lowers (multiplicative
// decrease) and time raises again (additive increase). Without one (the
// caller may not list shards), one stream-wide bucket counts records
// (a record of more than 1 KiB counts as size/1 KiB records), unlimited until
// the first throttle, then AIMD from the rate acknowledged just before it.
//
// Records wait for pacing in per-lane queues; they still hold their share of
// the bytes-in-flight budget, so a stream that throttles makes reading wait.
// Only the dispatcher goroutine uses a pacer.
type pacer struct {
	m        *ShardMap // nil: stream-wide
	gen      int       // map generation; records routed under another are routed again
	balance  bool
	rr       int // --balance: next shard
	lanes    []*lane
	cursor   int   // admission round-robin
	active   []int // fill's scratch: lanes that may give a record
	queued   int
	recLimit float64 // per-shard records/s
	bytLimit float64 // per-shard bytes/s

	decreases []time.Time // recent throttle decreases, for the refresh hint
	stale     bool        // the map looks out of date
}

// lane is one shard's pacing state (or the stream's, without a map).
type lane struct {
	q          deque
	factor     float64 // shard mode: fraction of the shard limit
	rate       float64 // stream mode: records/s; +Inf before the first throttle
	base       float64 // stream mode: rate set by the last decrease
	recTok     float64
	bytTok     float64
	last       time.Time
	lastDecr   time.Time
	ackWindow  time.Time // stream mode: start of the current 1 s window
	ackCur     float64   // records acknowledged in the current window
	ackPrev    float64   // in the previous one
	throttledN int64
}

func newPacer(m *ShardMap, balance bool, recLimit, bytLimit float64, now time.Time) *pacer {
	p := &pacer{balance: balance, recLimit: recLimit, bytLimit: bytLimit}
	p.setMap(m, now)
	return p
}

// setMap replaces the shard map (nil: stream-wide pacing) and routes every
// queued record again.
func (p *pacer) setMap(m *ShardMap, now time.Time) {
	old := p.drain()
	p.m = m
	p.gen++
	p.stale = false
	n := 1
	if m != nil {
		n = len(m.Shards)
	}
	p.lanes = make([]*lane, n)
	for i := range p.lanes {
		l := &lane{factor: 1, rate: math.Inf(1), last: now, ackWindow: now}
		// Buckets start full, as Kinesis's do.
		l.recTok, l.bytTok = p.recLimit, p.bytLimit
		p.lanes[i] = l
	}
	p.cursor = 0
	for _, r := range old {
		p.push(r)
	}
}

// route picks r's lane under the current map.
func (p *pacer) route(r *Record) {
	r.gen, r.lane = p.gen, 0
	if p.m == nil {
		return // shardID is "" already: only routing under a map sets it, and a pacer with a map never goes back to none
	}
	r.shardID = ""
	if p.balance {
		i := p.rr % len(p.m.Shards)
		p.rr++
		r.lane, r.shardID, r.hashKey = i, p.m.Shards[i].ID, p.m.BalanceKey(i)
		return
	}
	var h [16]byte
	ok := false
	if r.hashKey != "" {
		h, ok = parseHashKey(r.hashKey)
	}
	if !ok {
		h = PartitionHash(r.Key)
	}
	i := p.m.Find(h)
	if i < 0 {
		p.stale = true // a gap: the map is out of date
		return
	}
	r.lane, r.shardID = i, p.m.Shards[i].ID
}

// push queues r for pacing.
func (p *pacer) push(r *Record) {
	if r.gen != p.gen {
		p.route(r)
	}
	p.lanes[r.lane].q.pushBack(r)
	p.queued++
}

// pushAll queues rs in order, as push does each. Without a map, the one
// lane's records are routed as fill lets them through instead: routing
// them costs nothing there but a pass over the records (which only what
// was let through depends on).
func (p *pacer) pushAll(rs []*Record) {
	if p.m == nil {
		p.lanes[0].q.pushBackAll(rs)
		p.queued += len(rs)
		return
	}
	for _, r := range rs {
		p.push(r)
	}
}

// pushFront queues a record due for retry ahead of new ones of its lane.
func (p *pacer) pushFront(r *Record) {
	if r.gen != p.gen {
		p.route(r)
	}
	p.lanes[r.lane].q.pushFront(r)
	p.queued++
}

// drain removes every queued record.
func (p *pacer) drain() []*Record {
	var out []*Record
	for _, l := range p.lanes {
		for l.q.len() > 0 {
			out = append(out, l.q.popFront())
		}
	}
	p.queued = 0
	return out
}

// cost is what r takes from a stream-wide bucket, in records.
func (p *pacer) cost(r *Record) float64 {
	return max(1, float64(r.Size())*p.recLimit/p.bytLimit)
}

// refill brings l's buckets up to now.
func (p *pacer) refill(l *lane, now time.Time) {
	dt := now.Sub(l.last).Seconds()
	if dt <= 0 {
		return
	}
	l.last = now
	if p.m == nil {
		if math.IsInf(l.rate, 1) {
			return
		}
		l.rate += max(streamIncrease*l.base, minStreamIncrease) * dt
		l.recTok = min(l.rate, l.recTok+l.rate*dt) // holds one second's worth
		return
	}
	l.factor = min(1, l.factor+increasePerSecond*dt)
	l.recTok = min(p.recLimit, l.recTok+l.factor*p.recLimit*dt)
	l.bytTok = min(p.bytLimit, l.bytTok+l.factor*p.bytLimit*dt)
}

// admits reports whether l's bucket holds enough for r. A record larger
// than a full bucket goes when the bucket is full, leaving it in debt.
func (p *pacer) admits(l *lane, r *Record) bool {
	if p.m == nil {
		if math.IsInf(l.rate, 1) {
			return true
		}
		c := p.cost(r)
		return l.recTok >= min(c, l.rate)
	}
	return l.recTok >= 1 && l.bytTok >= min(float64(r.Size()), p.bytLimit)
}

func (p *pacer) take(l *lane, r *Record) {
	if p.m == nil {
		if !math.IsInf(l.rate, 1) {
			l.recTok -= p.cost(r)
		}
		return
	}
	l.recTok--
	l.bytTok -= float64(r.Size())
}

// admit marks r as let through at now.
func (p *pacer) admit(l *lane, r *Record, now time.Time) {
	p.take(l, r)
	r.paced = instantOf(now)
}

// fill appends to batch the records the lanes let through now, while they
// fit: batch holds at most maxRecords records, and bytes (the size of those
// in batch) at most maxBytes, except that a first record always fits. The
// record let through that does not fit is returned as carry. The lanes take
// turns from the cursor, one record each: a lane is skipped while empty or
// while its buckets refuse its front record. Each record is marked paced at
// now.
//
// One call fills a whole batch: it refills each lane once and stops
// visiting a lane that can give nothing more, rather than scan the lanes
// again for every record.
func (p *pacer) fill(now time.Time, batch []*Record, bytes, maxRecords, maxBytes int) (_ []*Record, _ int, carry *Record) {
	if p.queued == 0 || len(batch) >= maxRecords {
		return batch, bytes, nil
	}
	if len(p.lanes) == 1 {
		return p.fillLane(p.lanes[0], now, batch, bytes, maxRecords, maxBytes)
	}
	// The lanes with records, in turn from the cursor. A lane leaves the
	// list once empty or once its front record is refused (its buckets do
	// not change again at now).
	n := len(p.lanes)
	active := p.active[:0]
	for k := 0; k < n; k++ {
		i := p.cursor + k
		if i >= n {
			i -= n
		}
		if p.lanes[i].q.len() > 0 {
			active = append(active, i)
		}
	}
	p.active = active // its array, for the next fill
	for j, first := 0, true; len(active) > 0 && len(batch) < maxRecords; {
		if j == len(active) {
			j, first = 0, false
		}
		i := active[j]
		l := p.lanes[i]
		if first {
			p.refill(l, now) // at its first visit: later ones at now would add nothing
		}
		r := l.q.front()
		if !p.admits(l, r) {
			active = append(active[:j], active[j+1:]...)
			continue
		}
		l.q.popFront()
		p.queued--
		p.admit(l, r, now)
		p.cursor = i + 1
		if p.cursor == n {
			p.cursor = 0
		}
		if l.q.len() == 0 {
			active = append(active[:j], active[j+1:]...)
		} else {
			j++
		}
		size := r.Size()
		if len(batch) > 0 && bytes+size > maxBytes {
			return batch, bytes, r
		}
		batch, bytes = append(batch, r), bytes+size
	}
	return batch, bytes, nil
}

// fillLane is fill with one lane. It reads the lane's ring in place and
// removes what it let through at the end.
func (p *pacer) fillLane(l *lane, now time.Time, batch []*Record, bytes, maxRecords, maxBytes int) (_ []*Record, _ int, carry *Record) {
	p.refill(l, now)
	unlimited := p.m == nil && math.IsInf(l.rate, 1)
	q := &l.q
	mask := len(q.buf) - 1
	n := 0 // let through
	for n < q.size && len(batch) < maxRecords {
		r := q.buf[(q.head+n)&mask]
		if r.gen != p.gen {
			p.route(r) // without a map: see pushAll
		}
		if !unlimited {
			if !p.admits(l, r) {
				break
			}
			p.take(l, r)
		}
		n++
		r.paced = instantOf(now)
		size := r.Size()
		if len(batch) > 0 && bytes+size > maxBytes {
			carry = r
			break
		}
		batch, bytes = append(batch, r), bytes+size
	}
	q.popFrontN(n)
	p.queued -= n
	return batch, bytes, carry
}

// wake is when the earliest lane with a queued record can admit it; zero
// when nothing waits.
func (p *pacer) wake(now time.Time) time.Time {
	if p.queued == 0 {
		return time.Time{}
	}
	var best time.Duration = -1
	for _, l := range p.lanes {
		if l.q.len() == 0 {
			continue
		}
		p.refill(l, now)
		r := l.q.front()
		var d time.Duration
		if p.m == nil {
			if !math.IsInf(l.rate, 1) {
				need := min(p.cost(r), l.rate) - l.recTok
				d = secs(need / l.rate)
			}
		} else {
			rate := l.factor * p.recLimit
			d = secs((1 - l.recTok) / rate)
			brate := l.factor * p.bytLimit
			d = max(d, secs((min(float64(r.Size()), p.bytLimit)-l.bytTok)/brate))
		}
		if best < 0 || d < best {
			best = d
		}
	}
	// At least a millisecond: a fraction of a token is not worth a wake-up.
	return now.Add(max(best, time.Millisecond))
}

func secs(s float64) time.Duration {
	if s <= 0 {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}

// acked notes a record stored (stream mode measures the acknowledged rate,
// in the units its bucket counts).
func (p *pacer) acked(r *Record, now time.Time) {
	if p.m != nil || r.gen != p.gen {
		return
	}
	l := p.lanes[0]
	p.roll(l, now)
	l.ackCur += p.cost(r) // in the bucket's units: an aggregate counts as its size
}

// ackLane readies the stream-wide lane to count records stored at now, as
// acked does, and returns it; nil with a shard map (nothing to count). The
// caller adds ackCost of each record stored: one roll for an answer rather
// than one a record.
func (p *pacer) ackLane(now time.Time) *lane {
	if p.m != nil {
		return nil
	}
	l := p.lanes[0]
	p.roll(l, now)
	return l
}

// ackCost is what acked adds for r to the lane ackLane returned.
func (p *pacer) ackCost(r *Record) float64 {
	if r.gen != p.gen {
		return 0
	}
	return p.cost(r)
}

// roll moves the acknowledgement window forward.
func (p *pacer) roll(l *lane, now time.Time) {
	for now.Sub(l.ackWindow) >= time.Second {
		l.ackPrev, l.ackCur = l.ackCur, 0
		l.ackWindow = l.ackWindow.Add(time.Second)
		if now.Sub(l.ackWindow) >= time.Second {
			l.ackPrev = 0
			l.ackWindow = now
		}
	}
}

// throttled lowers the rate of r's lane: once per decreaseInterval, and
// only for a record let through after the last decrease (one sent at the
// old rate says nothing about the new one).
func (p *pacer) throttled(r *Record, now time.Time) {
	if r.gen != p.gen {
		return
	}
	l := p.lanes[r.lane]
	l.throttledN++
	if !l.lastDecr.IsZero() && (now.Sub(l.lastDecr) < decreaseInterval || (r.paced == 0 || r.paced < instantOf(l.lastDecr))) {
		return
	}
	p.refill(l, now)
	l.lastDecr = now
	if p.m == nil {
		p.roll(l, now)
		if math.IsInf(l.rate, 1) {
			// The first throttle: start from what the stream took just before.
			frac := now.Sub(l.ackWindow).Seconds()
			acked := l.ackPrev*(1-frac) + l.ackCur
			l.rate = max(p.recLimit, acked)
			l.recTok = 0
		}
		l.rate = max(minStreamRate, l.rate*decreaseFactor)
		l.base = l.rate
		l.recTok = min(l.recTok, l.rate)
		return
	}
	l.factor = max(minFactor, l.factor*decreaseFactor)
	l.recTok = min(l.recTok, l.factor*p.recLimit)
	l.bytTok = min(l.bytTok, l.factor*p.bytLimit)
	p.decreases = append(p.decreases, now)
	k := 0
	for _, t := range p.decreases {
		if now.Sub(t) < refreshWindow {
			p.decreases[k] = t
			k++
		}
	}
	p.decreases = p.decreases[:k]
	if len(p.decreases) >= refreshAfterDecreases {
		p.stale = true
		p.decreases = p.decreases[:0]
	}
}

// misrouted notes that Kinesis stored r in another shard than the map says.
func (p *pacer) misrouted() {
	if p.m != nil {
		p.stale = true
	}
}

// deque is a FIFO of records that can also take one at the front: a ring
// whose size is a power of two, so that an index wraps with a mask.
type deque struct {
	buf        []*Record
	head, size int
}

func (d *deque) len() int { return d.size }

// grow makes room for at least n more records.
func (d *deque) grow(n int) {
	c := max(16, len(d.buf))
	for c < d.size+n {
		c *= 2
	}
	if c == len(d.buf) {
		return
	}
	nb := make([]*Record, c)
	if d.size > 0 {
		k := copy(nb, d.buf[d.head:min(d.head+d.size, len(d.buf))])
		copy(nb[k:d.size], d.buf)
	}
	d.buf, d.head = nb, 0
}

func (d *deque) pushBack(r *Record) {
	if d.size == len(d.buf) {
		d.grow(1)
	}
	d.buf[(d.head+d.size)&(len(d.buf)-1)] = r
	d.size++
}

// pushBackAll queues rs in order, as pushBack does each.
func (d *deque) pushBackAll(rs []*Record) {
	if d.size+len(rs) > len(d.buf) {
		d.grow(len(rs))
	}
	tail := (d.head + d.size) & (len(d.buf) - 1)
	k := copy(d.buf[tail:], rs)
	copy(d.buf, rs[k:])
	d.size += len(rs)
}

func (d *deque) pushFront(r *Record) {
	if d.size == len(d.buf) {
		d.grow(1)
	}
	d.head = (d.head - 1) & (len(d.buf) - 1)
	d.buf[d.head] = r
	d.size++
}

func (d *deque) front() *Record { return d.buf[d.head] }

func (d *deque) popFront() *Record {
	r := d.buf[d.head]
	d.buf[d.head] = nil
	d.head = (d.head + 1) & (len(d.buf) - 1)
	d.size--
	if d.size == 0 {
		d.head = 0
	}
	return r
}

// popFrontN removes the first n records.
func (d *deque) popFrontN(n int) {
	if n == 0 {
		return
	}
	end := d.head + n
	if end <= len(d.buf) {
		clear(d.buf[d.head:end])
	} else {
		clear(d.buf[d.head:])
		clear(d.buf[:end-len(d.buf)])
	}
	d.head = end & (len(d.buf) - 1)
	d.size -= n
	if d.size == 0 {
		d.head = 0
	}
}

// pacedLinger is how long a partial batch waits for more records while
// records wait for their shard's rate: pacing, not the batch, sets the pace
// then, and fuller batches mean fewer requests.
const pacedLinger = 50 * time.Millisecond

// linger is how long a partial batch may wait for more records.
func (p *pacer) linger(base time.Duration) time.Duration {
	if p.queued > 0 {
		return max(base, pacedLinger)
	}
	return base
}
