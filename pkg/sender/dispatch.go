package sender

import (
	"container/heap"
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// dispatcher is the one goroutine that builds batches, schedules retries and
// decides each record's fate after a request. Records flow
//
//	s.in → receive → (aggregator →) pacer → batch → s.work → worker → s.results → settle
//
// and a failed record goes from settle to the retry queue, then back to the
// front of its pacer lane when it is due. All of its state is its own.
type dispatcher struct {
	s       *Sender
	ctx     context.Context // the run's: done on interrupt
	ctxDone <-chan struct{} // ctx.Done() until the interrupt is handled, then nil

	pace   *pacer
	agg    *aggregator // nil unless Config.Aggregate
	window *window
	rng    *rand.Rand // backoff jitter
	retry  retryQueue // failed records, by due time

	batch      []*Record
	batchBytes int
	batchStart time.Time // when the batch's first record arrived
	carry      *Record   // let through by the pacer, did not fit the batch

	outstanding int       // records taken from s.in and not finished
	inOpen      bool      // s.in is not closed yet
	freed       int64     // budget bytes of finished records, not yet released
	sent        []*Record // delivered records of the answer being settled, for OnSent
	stopping    bool      // interrupted or stopped by a fatal error

	refreshing  bool      // a ListShards refresh is running
	lastRefresh time.Time // when the last one started
	timer       *time.Timer
}

func newDispatcher(ctx context.Context, s *Sender) *dispatcher {
	cfg := &s.cfg
	d := &dispatcher{
		s: s, ctx: ctx, ctxDone: ctx.Done(),
		pace: newPacer(cfg.ShardMap, cfg.Balance && cfg.ShardMap != nil,
			float64(cfg.ShardRecordsPerSecond), float64(cfg.ShardBytesPerSecond), cfg.Now()),
		window: newWindow(cfg.Concurrency),
		rng:    rand.New(rand.NewPCG(cfg.Seed, cfg.Seed+1)),
		batch:  make([]*Record, 0, cfg.MaxBatchRecords),
		inOpen: true,
		timer:  time.NewTimer(time.Hour),
	}
	if cfg.Aggregate {
		d.agg = newAggregator(cfg.AggregateMaxBytes, cfg.AggregateLinger, cfg.ShardMap)
	}
	return d
}

// run is the dispatcher's loop, until every record taken is finished.
func (d *dispatcher) run() {
	defer close(d.s.done)
	defer d.timer.Stop()
	for {
		// Results first: a fatal error must stop new requests as soon as possible.
		d.settleReady()
		if !d.stopping {
			d.advance(d.s.cfg.Now())
		}
		if !d.inOpen && d.outstanding == 0 {
			break
		}
		d.release()
		d.waitNext()
	}
	d.release()
	close(d.s.work)
	d.s.workers.Wait()
	if c := context.Cause(d.s.stop); c != nil && d.stopping {
		d.s.err = c
	}
}

// advance moves records forward without waiting: due retries, records
// already in s.in and aggregates whose linger is over into the pacer, then
// what the pacer lets through into the batch.
func (d *dispatcher) advance(now time.Time) {
	for d.retry.Len() > 0 && d.retry.peek().due <= instantOf(now) {
		d.pace.pushFront(d.retry.pop())
	}
	d.drainInput()
	if d.agg != nil {
		for _, a := range d.agg.flush(now, !d.inOpen) {
			d.pace.push(a)
		}
	}
	d.fillBatch(now)
	d.maybeRefresh(now)
}

// waitNext waits for one event: a worker free to take the batch, a record,
// a request's result, a new shard map, a timer (linger, retry, pacing,
// aggregate) or the interrupt.
func (d *dispatcher) waitNext() {
	now := d.s.cfg.Now()
	work, wake := d.ready(now)
	timer := d.arm(now, d.nextWake(now, wake))
	select {
	case work <- d.batch:
		d.launched()
	case recs, ok := <-d.input():
		d.receive(recs, ok)
	case res := <-d.s.results:
		d.onResult(res)
	case m := <-d.s.maps:
		d.onMap(m)
	case <-timer:
	case <-d.ctxDone:
		d.ctxDone = nil
		d.halt(d.ctx.Err())
	}
}

// settleReady settles the results already waiting, without blocking.
func (d *dispatcher) settleReady() {
	for {
		select {
		case res := <-d.s.results:
			d.onResult(res)
		default:
			return
		}
	}
}

// drainInput takes the records already waiting in s.in, without blocking.
// The byte budget bounds what then waits in the pacer.
func (d *dispatcher) drainInput() {
	for d.inOpen {
		select {
		case recs, ok := <-d.s.in:
			d.receive(recs, ok)
		default:
			return
		}
	}
}

// input is s.in while it is open, else nil (never ready).
func (d *dispatcher) input() <-chan []*Record {
	if d.inOpen {
		return d.s.in
	}
	return nil
}

// receive handles one receive from s.in: records, or (!ok) its close.
// Each waits in the pacer (or an open aggregate), still holding its share
// of the byte budget, until its shard's rate lets it into a batch.
func (d *dispatcher) receive(recs []*Record, ok bool) {
	if !ok {
		d.inOpen = false
		return
	}
	if d.stopping {
		reason := d.s.stopReason()
		for _, r := range recs {
			d.finish(r)
			d.s.reject(r, reason)
		}
		return
	}
	d.outstanding += len(recs)
	if d.agg != nil {
		now := d.s.cfg.Now() // handed over together: one arrival time
		for _, r := range recs {
			d.agg.add(r, now)
		}
		return
	}
	d.pace.pushAll(recs)
}

// fillBatch adds the records the pacer lets through now, until the batch is
// full or a record does not fit (it is carried to the next batch).
func (d *dispatcher) fillBatch(now time.Time) {
	if d.carry != nil {
		return
	}
	empty := len(d.batch) == 0
	d.batch, d.batchBytes, d.carry = d.pace.fill(now, d.batch, d.batchBytes, d.s.cfg.MaxBatchRecords, d.s.cfg.MaxBatchBytes)
	if empty && len(d.batch) > 0 {
		d.batchStart = d.s.cfg.Now()
	}
}

func (d *dispatcher) add(r *Record) {
	if len(d.batch) == 0 {
		d.batchStart = d.s.cfg.Now()
	}
	d.batch = append(d.batch, r)
	d.batchBytes += r.Size()
}

func (d *dispatcher) full() bool {
	return d.carry != nil || len(d.batch) >= d.s.cfg.MaxBatchRecords
}

// ready returns s.work when the batch should go now; else, for a partial
// batch, the time its linger ends. A partial batch waits up to Linger for
// more records, so a reader that is only a little slower than the requests
// still fills batches.
func (d *dispatcher) ready(now time.Time) (chan<- []*Record, time.Time) {
	if len(d.batch) == 0 || d.stopping || !d.window.open() {
		return nil, time.Time{}
	}
	lingerEnd := d.batchStart.Add(d.pace.linger(d.s.cfg.Linger))
	if d.full() || (!d.inOpen && d.pace.queued == 0) || !now.Before(lingerEnd) {
		return d.s.work, time.Time{}
	}
	return nil, lingerEnd
}

// launched notes the batch handed to a worker and starts the next one.
func (d *dispatcher) launched() {
	d.window.sent()
	d.batch, d.batchBytes = make([]*Record, 0, d.s.cfg.MaxBatchRecords), 0
	if d.carry != nil {
		d.add(d.carry)
		d.carry = nil
	}
}

// nextWake is the earliest of wake and the times when a retry falls due,
// the pacer can let a record through and an open aggregate's linger ends;
// zero when nothing waits for time.
func (d *dispatcher) nextWake(now, wake time.Time) time.Time {
	if d.stopping {
		return wake
	}
	if d.retry.Len() > 0 {
		wake = earliest(wake, d.retry.peek().due.time())
	}
	if !d.full() {
		wake = earliest(wake, d.pace.wake(now))
	}
	if d.agg != nil {
		wake = earliest(wake, d.agg.wake())
	}
	return wake
}

// earliest is the earlier of two times, a zero time meaning none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// arm sets the timer for wake and returns its channel; nil (never ready)
// for a zero wake.
func (d *dispatcher) arm(now, wake time.Time) <-chan time.Time {
	if wake.IsZero() {
		return nil
	}
	d.timer.Reset(max(wake.Sub(now), 0))
	return d.timer.C
}

// maybeRefresh lists the shards again in the background when the pacer
// suspects a reshard, at most once per refreshWindow.
func (d *dispatcher) maybeRefresh(now time.Time) {
	if !d.pace.stale || d.s.cfg.Lister == nil || d.refreshing {
		return
	}
	if !d.lastRefresh.IsZero() && now.Sub(d.lastRefresh) < refreshWindow {
		return
	}
	d.refreshing, d.lastRefresh = true, now
	go d.s.refreshShards()
}

// onMap takes a refreshed shard map (nil: the listing failed).
func (d *dispatcher) onMap(m *ShardMap) {
	d.refreshing = false
	d.pace.stale = false
	if m == nil || d.stopping {
		return
	}
	if d.agg != nil {
		d.agg.setMap(m) // sealed here, pushed to the new map's lanes below
	}
	d.pace.setMap(m, d.s.cfg.Now())
}

// onResult takes a finished request's result.
func (d *dispatcher) onResult(res result) {
	if res.fatal != nil {
		d.halt(res.fatal)
	}
	d.outstanding -= d.settle(res)
}

// finish gives back a record's (each user record's) share of the byte
// budget, at the next release: one Release a round rather than one a record.
func (d *dispatcher) finish(r *Record) {
	if r.users == nil {
		d.freed += r.weight
		return
	}
	for _, u := range r.users {
		d.freed += u.weight
	}
}

// release returns to the byte budget what finish collected. The dispatcher
// calls it before it waits: a Put may be waiting for those bytes.
func (d *dispatcher) release() {
	if d.freed > 0 {
		d.s.budget.Release(d.freed)
		d.freed = 0
	}
}

// halt stops the run for cause (an interrupt or a fatal error): every record
// the dispatcher holds is rejected, and results still to come are rejected
// unless they were stored.
func (d *dispatcher) halt(cause error) {
	if d.stopping {
		return
	}
	d.stopping = true
	d.s.halt(cause)
	reason := d.s.stopReason()
	for _, r := range d.pending() {
		d.finish(r)
		d.s.reject(r, reason)
		d.outstanding -= r.count()
	}
	d.batch, d.batchBytes, d.carry = nil, 0, nil
}

// pending removes and returns every record held outside a request: the
// batch, the retries, the pacer's queues, the carried record and the open
// aggregates.
func (d *dispatcher) pending() []*Record {
	p := append(d.batch, d.retry.drain()...)
	p = append(p, d.pace.drain()...)
	if d.carry != nil {
		p = append(p, d.carry)
	}
	if d.agg != nil {
		p = append(p, d.agg.flush(time.Time{}, true)...)
	}
	return p
}

// settle decides the fate of each record of a finished request and returns
// how many user records are finished (sent or rejected); the others wait in
// the retry queue.
func (d *dispatcher) settle(res result) int {
	finished := 0
	now := d.s.cfg.Now()
	d.window.done(res.overloaded)
	if res.misrouted {
		d.pace.misrouted()
	}
	if res.verdicts == nil {
		finished = d.deliveredAll(res.batch, now)
	} else {
		for i, r := range res.batch {
			if v := res.verdict(i); v.err == "" {
				d.delivered(r, now)
			} else if !d.failed(r, v, res.overloaded, now) {
				continue
			}
			finished += r.count()
		}
	}
	if len(d.sent) > 0 {
		d.s.cfg.OnSent(d.sent)
		clear(d.sent) // no record kept alive by the reused slice
		d.sent = d.sent[:0]
	}
	return finished
}

// delivered finishes a record Kinesis stored; OnSent hears of it at the end
// of the settling.
func (d *dispatcher) delivered(r *Record, now time.Time) {
	d.noteSent(r)
	d.pace.acked(r, now)
	d.finish(r)
}

// noteSent keeps r (its user records) for OnSent.
func (d *dispatcher) noteSent(r *Record) {
	if d.s.cfg.OnSent == nil {
		return
	}
	if r.users == nil {
		d.sent = append(d.sent, r)
	} else {
		d.sent = append(d.sent, r.users...)
	}
}

// deliveredAll is delivered for each record of batch, every one stored, in
// one pass, and returns how many user records they carry.
func (d *dispatcher) deliveredAll(batch []*Record, now time.Time) int {
	ack := d.pace.ackLane(now)
	finished, plain := 0, true
	for _, r := range batch {
		if ack != nil {
			ack.ackCur += d.pace.ackCost(r)
		}
		if r.users != nil {
			plain = false
		}
		finished += r.count()
		d.finish(r)
	}
	if plain && d.s.cfg.OnSent != nil {
		d.s.cfg.OnSent(batch) // the records themselves: no copy needed
		return finished
	}
	for _, r := range batch {
		d.noteSent(r)
	}
	return finished
}

// failed handles a record that was not stored: it queues a retry, or gives
// the record up (and reports true) when the run is stopping or the
// record's retry budget is spent.
func (d *dispatcher) failed(r *Record, v verdict, overloaded bool, now time.Time) (finished bool) {
	if v.throttled || overloaded {
		// A 5xx or a timeout says the endpoint is overloaded: slow down as
		// for a throttle, rather than retry harder.
		d.pace.throttled(r, now)
	}
	r.lastErr = v.err
	if v.maybeStored {
		// Each lost response may have stored one more copy of the record,
		// so a record in two lost responses counts twice.
		d.s.dups.Add(int64(r.count()))
	}
	if d.stopping {
		d.giveUp(r, fmt.Sprintf("%s (last error: %s)", d.s.stopReason(), v.err))
		return true
	}
	delay := d.backoff(int(r.attempts))
	if int(r.attempts) >= d.s.cfg.MaxAttempts || time.Duration(instantOf(now.Add(delay))-r.first) > d.s.cfg.RetryTimeout {
		r.each(func(u *Record) { u.givenUp = true }) // the retry budget, not the run's end
		d.giveUp(r, fmt.Sprintf("gave up after %d attempts over %s: %s", r.attempts, time.Duration(instantOf(now)-r.first).Round(time.Millisecond), v.err))
		return true
	}
	r.due = instantOf(now.Add(delay))
	d.retry.push(r)
	return false
}

func (d *dispatcher) giveUp(r *Record, reason string) {
	d.finish(r)
	d.s.reject(r, reason)
}

// backoff is "full jitter": a uniform delay in [0, min(max, base·2^(n-1))).
func (d *dispatcher) backoff(attempts int) time.Duration {
	cfg := &d.s.cfg
	limit := cfg.MaxBackoff
	if attempts < 40 {
		if e := cfg.BaseBackoff << (attempts - 1); e > 0 && e < limit {
			limit = e
		}
	}
	return time.Duration(d.rng.Int64N(int64(limit)) + 1)
}

// retryQueue is a min-heap of records by due time.
type retryQueue []*Record

func (q retryQueue) Len() int           { return len(q) }
func (q retryQueue) Less(i, j int) bool { return q[i].due < q[j].due }
func (q retryQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *retryQueue) Push(x any)        { *q = append(*q, x.(*Record)) }
func (q *retryQueue) Pop() any          { old := *q; r := old[len(old)-1]; *q = old[:len(old)-1]; return r }
func (q *retryQueue) push(r *Record)    { heap.Push(q, r) }
func (q *retryQueue) pop() *Record      { return heap.Pop(q).(*Record) }
func (q retryQueue) peek() *Record      { return q[0] }
func (q *retryQueue) drain() []*Record  { d := *q; *q = nil; return d }
