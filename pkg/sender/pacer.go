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
	cursor   int // admission round-robin
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
	r.gen = p.gen
	r.lane, r.shardID = 0, ""
	if p.m == nil {
		return
	}
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
	r.paced = now
}

// next returns a record its lane allows now, or nil.
func (p *pacer) next(now time.Time) *Record {
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
	if !l.lastDecr.IsZero() && (now.Sub(l.lastDecr) < decreaseInterval || r.paced.Before(l.lastDecr)) {
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

// deque is a FIFO of records that can also take one at the front.
type deque struct {
	buf        []*Record
	head, size int
}

func (d *deque) len() int { return d.size }

func (d *deque) grow() {
	n := max(16, 2*len(d.buf))
	nb := make([]*Record, n)
	for i := 0; i < d.size; i++ {
		nb[i] = d.buf[(d.head+i)%len(d.buf)]
	}
	d.buf, d.head = nb, 0
}

func (d *deque) pushBack(r *Record) {
	if d.size == len(d.buf) {
		d.grow()
	}
	d.buf[(d.head+d.size)%len(d.buf)] = r
	d.size++
}

func (d *deque) pushFront(r *Record) {
	if d.size == len(d.buf) {
		d.grow()
	}
	d.head = (d.head - 1 + len(d.buf)) % len(d.buf)
	d.buf[d.head] = r
	d.size++
}

func (d *deque) front() *Record { return d.buf[d.head] }

func (d *deque) popFront() *Record {
	r := d.buf[d.head]
	d.buf[d.head] = nil
	d.head = (d.head + 1) % len(d.buf)
	d.size--
	if d.size == 0 {
		d.head = 0
	}
	return r
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
