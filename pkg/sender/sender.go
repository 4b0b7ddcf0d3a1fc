// Package sender delivers records to a Kinesis stream with PutRecords:
// batches of at most 500 records and 5 MiB, several requests in flight, a
// bounded number of bytes held in memory, and retries that it owns.
//
// A record that fails alone (ProvisionedThroughputExceededException or
// InternalFailure in the response) is retried alone: only the failed entries
// go back into later requests, with exponential backoff and full jitter. A
// whole request that is throttled, fails with a 5xx, times out or loses its
// connection is retried record by record the same way; when the response was
// lost after the request went out, its records may already be stored and
// are counted as possible duplicates. Throttles, 5xx answers and timeouts
// mean an overloaded endpoint: they halve the requests in flight and lower
// the pacing rate, both growing back gradually (window.go, pacer.go). A
// fatal error (stream missing, access
// denied, KMS key unusable, invalid request) stops the run. Every record
// handed to Put ends up either sent or passed to the reject callback.
package sender

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"golang.org/x/sync/semaphore"
)

// PutRecordsAPI is the part of the Kinesis client the sender uses.
type PutRecordsAPI interface {
	PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error)
}

// Kinesis limits, from the PutRecords documentation.
const (
	MaxBatchRecords = 500
	MaxBatchBytes   = 5 << 20
)

// AggregateBatchBytes is the default request size under Config.Aggregate:
// about 20 aggregates of the default size.
const AggregateBatchBytes = 1 << 20

// Record is one record to send, with where it came from.
type Record struct {
	Source string // input name, for error messages and the reject file
	Line   int64  // 1-based line number in Source
	Data   []byte
	Key    string // partition key
	// RandomKey says nothing depends on which key the record has: under
	// Config.Aggregate it may take a key shared with its aggregate.
	RandomKey bool

	attempts int
	first    time.Time
	due      time.Time
	lastErr  string
	weight   int64

	// Rate control (pacer.go): the lane (shard) the record waits in, under
	// which map generation, the shard it should land in, and its
	// ExplicitHashKey under --balance.
	lane    int
	gen     int
	shardID string
	hashKey string
	paced   time.Time // when the pacer last let it into a batch

	users []*Record // a KPL aggregated record's user records (aggregate.go)
}

// Size is what the record counts against Kinesis's limits: data plus partition key.
func (r *Record) Size() int { return len(r.Data) + len(r.Key) }

// Where returns "source:line".
func (r *Record) Where() string { return fmt.Sprintf("%s:%d", r.Source, r.Line) }

// Config tunes a Sender. Zero values take the defaults shown.
type Config struct {
	StreamName       string
	Concurrency      int           // requests in flight; default 8
	MaxBatchRecords  int           // default 500
	MaxBatchBytes    int           // default 5 MiB; a larger record goes alone
	MaxBytesInFlight int64         // bytes read but not yet delivered or rejected; default 16 MiB
	RetryTimeout     time.Duration // per record, from its first attempt; default 10m
	MaxAttempts      int           // per record; default 100
	BaseBackoff      time.Duration // default 100ms
	MaxBackoff       time.Duration // default 10s
	RequestTimeout   time.Duration // one PutRecords call; default 30s
	ShutdownTimeout  time.Duration // wait for requests in flight after an interrupt; default 10s
	Linger           time.Duration // how long a partial batch waits for more records; default 5ms
	Now              func() time.Time
	Seed             uint64 // for the backoff jitter

	// OnSent, if set, is called with each record Kinesis acknowledged, from
	// the one goroutine that settles requests (e.g. to checkpoint progress).
	OnSent func(r *Record)
	// Rate control (pacer.go). With ShardMap, each open shard is paced at
	// the shard limits (adapted to throttling) and Lister, when set, lists
	// the shards again after a suspected reshard. Without ShardMap, one
	// stream-wide rate adapts to throttling. Balance spreads records over
	// the shards in turn with an ExplicitHashKey (needs ShardMap).
	ShardMap              *ShardMap
	Lister                ListShardsAPI
	Balance               bool
	ShardRecordsPerSecond int // default 1,000
	ShardBytesPerSecond   int // default 1 MiB

	// Aggregate packs records into KPL aggregated records (aggregate.go) of
	// at most AggregateMaxBytes (data plus partition key; default 51,200,
	// and never above MaxRecordBytes, the stream's record size limit,
	// default 1 MiB); an open aggregate waits at most AggregateLinger
	// (default 100ms) for more. Put, OnSent, the reject callback and Stats'
	// Sent, Failed and Bytes still count user records.
	Aggregate         bool
	AggregateMaxBytes int
	AggregateLinger   time.Duration
	MaxRecordBytes    int
}

func (c *Config) defaults() {
	if c.Concurrency <= 0 {
		c.Concurrency = 8
	}
	if c.MaxBatchRecords <= 0 || c.MaxBatchRecords > MaxBatchRecords {
		c.MaxBatchRecords = MaxBatchRecords
	}
	if c.MaxBatchBytes <= 0 {
		c.MaxBatchBytes = MaxBatchBytes
		if c.Aggregate {
			// Aggregates fill requests by bytes long before 500 records:
			// smaller requests keep more of them in flight and their bodies
			// within the reuse pool's size (lean.go).
			c.MaxBatchBytes = AggregateBatchBytes
		}
	}
	if c.MaxBytesInFlight <= 0 {
		c.MaxBytesInFlight = 16 << 20
	}
	if c.RetryTimeout <= 0 {
		c.RetryTimeout = 10 * time.Minute
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 100
	}
	if c.BaseBackoff <= 0 {
		c.BaseBackoff = 100 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 10 * time.Second
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 30 * time.Second
	}
	// A record's retry budget bounds each of its attempts too: with
	// --retry-timeout 2s no request waits 30s for an answer.
	c.RequestTimeout = min(c.RequestTimeout, c.RetryTimeout)
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	if c.Linger <= 0 {
		c.Linger = 5 * time.Millisecond
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ShardRecordsPerSecond <= 0 {
		c.ShardRecordsPerSecond = ShardRecordsPerSecond
	}
	if c.ShardBytesPerSecond <= 0 {
		c.ShardBytesPerSecond = ShardBytesPerSecond
	}
	if c.MaxRecordBytes <= 0 {
		c.MaxRecordBytes = 1 << 20
	}
	if c.AggregateMaxBytes <= 0 {
		c.AggregateMaxBytes = DefaultAggregateMaxBytes
	}
	c.AggregateMaxBytes = min(c.AggregateMaxBytes, c.MaxRecordBytes)
	if c.AggregateLinger <= 0 {
		c.AggregateLinger = DefaultAggregateLinger
	}
	if c.Aggregate {
		c.Balance = false // an aggregate goes to the shard of its records' keys
	}
}

// Stats are the sender's counters.
type Stats struct {
	Sent               int64 // records stored
	Failed             int64 // records given up or not sent (passed to the reject callback)
	Bytes              int64 // data bytes of the records sent
	Requests           int64 // PutRecords calls
	Retries            int64 // records sent again after a failure
	Throttled          int64 // records throttled (alone or with their request)
	PossibleDuplicates int64 // copies of records that may be stored more than once: one per record per lost response
	// KinesisRecords counts the Kinesis records stored: Sent, or with
	// Aggregate the aggregated records (and lone records) that carried them.
	// Requests, Retries and Throttled count Kinesis records too.
	KinesisRecords int64
}

// RejectFunc receives a record that will not be delivered, with the reason.
// It is called from several goroutines, never twice for one record.
type RejectFunc func(r *Record, reason string)

// Sender sends records. Use New, then Put each record, then Close.
type Sender struct {
	api      PutRecordsAPI
	cfg      Config
	onReject RejectFunc

	in      chan *Record
	work    chan []*Record
	results chan result
	budget  *semaphore.Weighted
	stop    context.Context // done on interrupt or fatal error
	halt    context.CancelCauseFunc
	reqCtx  context.Context // in-flight requests; cancelled ShutdownTimeout after an interrupt
	abort   context.CancelFunc
	done    chan struct{}
	workers sync.WaitGroup
	rng     *rand.Rand
	pace    *pacer         // dispatcher only
	agg     *aggregator    // dispatcher only; nil unless Config.Aggregate
	window  *window        // dispatcher only
	maps    chan *ShardMap // refreshed shard maps (nil: listing failed)

	sent, failed, bytes, requests, retries, throttled, dups, kinesisRecords atomic.Int64

	err error // set by the dispatcher before done closes

	closeMu sync.RWMutex // Put holds it shared while handing over; Close exclusively to close s.in
	closed  bool
}

// ErrClosed is returned by Put after Close.
var ErrClosed = errors.New("sender closed")

// Stopped is closed when the sender stops taking records: an interrupt or a
// fatal error. Close then says which.
func (s *Sender) Stopped() <-chan struct{} { return s.stop.Done() }

// ErrInterrupted is the reason given to records not sent because the run was interrupted.
var ErrInterrupted = errors.New("interrupted before delivery")

// New starts a Sender whose requests go to api. It stops taking records when
// ctx is cancelled (an interrupt).
func New(ctx context.Context, api PutRecordsAPI, cfg Config, onReject RejectFunc) *Sender {
	cfg.defaults()
	s := &Sender{
		api:      api,
		cfg:      cfg,
		onReject: onReject,
		in:       make(chan *Record, cfg.MaxBatchRecords),
		work:     make(chan []*Record),
		results:  make(chan result, cfg.Concurrency),
		budget:   semaphore.NewWeighted(cfg.MaxBytesInFlight),
		done:     make(chan struct{}),
		rng:      rand.New(rand.NewPCG(cfg.Seed, cfg.Seed+1)),
		maps:     make(chan *ShardMap, 1),
		window:   newWindow(cfg.Concurrency),
	}
	s.pace = newPacer(cfg.ShardMap, cfg.Balance && cfg.ShardMap != nil,
		float64(cfg.ShardRecordsPerSecond), float64(cfg.ShardBytesPerSecond), cfg.Now())
	if cfg.Aggregate {
		s.agg = newAggregator(cfg.AggregateMaxBytes, cfg.AggregateLinger, cfg.ShardMap)
	}
	s.stop, s.halt = context.WithCancelCause(ctx)
	s.reqCtx, s.abort = context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		select {
		case <-ctx.Done():
			t := time.NewTimer(cfg.ShutdownTimeout)
			defer t.Stop()
			select {
			case <-t.C:
				s.abort()
			case <-s.done:
			}
		case <-s.done:
		}
	}()
	for i := 0; i < cfg.Concurrency; i++ {
		s.workers.Add(1)
		go s.worker()
	}
	go s.dispatch(ctx)
	return s
}

// Put hands r to the sender, waiting while too many bytes are in flight. From
// then on the sender owns r: it is sent or rejected. Put returns an error once
// the sender has stopped (interrupt or fatal error); r is rejected then.
func (s *Sender) Put(r *Record) error {
	r.weight = min(int64(r.Size()), s.cfg.MaxBytesInFlight)
	if err := s.budget.Acquire(s.stop, r.weight); err != nil {
		s.reject(r, s.stopReason())
		return s.stopErr()
	}
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		s.budget.Release(r.weight)
		s.reject(r, "not sent: the run had ended")
		return ErrClosed
	}
	select {
	case s.in <- r:
		return nil
	case <-s.stop.Done():
		s.budget.Release(r.weight)
		s.reject(r, s.stopReason())
		return s.stopErr()
	}
}

// Close says no more records come, waits until every record is sent or
// rejected, and returns the error that stopped the run, if any: a *FatalError,
// or the context's error after an interrupt.
//
// Close may be called while another goroutine is still in Put (a reader
// abandoned after an interrupt): that Put then rejects its record.
func (s *Sender) Close() error {
	s.closeMu.Lock()
	if !s.closed {
		s.closed = true
		close(s.in)
	}
	s.closeMu.Unlock()
	<-s.done
	s.abort()
	return s.err
}

// Stats returns the counters so far (safe at any time, e.g. for progress).
func (s *Sender) Stats() Stats {
	return Stats{
		Sent: s.sent.Load(), Failed: s.failed.Load(), Bytes: s.bytes.Load(),
		Requests: s.requests.Load(), Retries: s.retries.Load(), Throttled: s.throttled.Load(),
		PossibleDuplicates: s.dups.Load(), KinesisRecords: s.kinesisRecords.Load(),
	}
}

func (s *Sender) stopErr() error {
	if c := context.Cause(s.stop); c != nil {
		return c
	}
	return ErrInterrupted
}

func (s *Sender) stopReason() string {
	var fe *FatalError
	if c := context.Cause(s.stop); errors.As(c, &fe) {
		return "not sent: " + fe.Error()
	}
	return ErrInterrupted.Error()
}

// reject gives r (each user record of an aggregate) up. Called once per record.
func (s *Sender) reject(r *Record, reason string) {
	r.each(func(u *Record) {
		s.failed.Add(1)
		s.onReject(u, reason)
	})
}

// finish releases a record's (each user record's) share of the byte budget.
func (s *Sender) finish(r *Record) {
	r.each(func(u *Record) { s.budget.Release(u.weight) })
}

// dispatch is the only goroutine that builds batches, schedules retries and
// decides each record's fate after a request.
func (s *Sender) dispatch(ctx context.Context) {
	defer close(s.done)
	var (
		batch       = make([]*Record, 0, s.cfg.MaxBatchRecords)
		batchBytes  int
		batchStart  time.Time // when the batch's first record arrived
		carry       *Record   // read but did not fit the batch
		retry       retryQueue
		outstanding int // records taken from s.in and not finished
		inOpen      = true
		stopping    bool
		timer       = time.NewTimer(time.Hour)
		refreshing  bool      // a ListShards refresh is running
		lastRefresh time.Time // when the last one started
	)
	defer timer.Stop()
	fits := func(r *Record) bool {
		return len(batch) == 0 || (len(batch) < s.cfg.MaxBatchRecords && batchBytes+r.Size() <= s.cfg.MaxBatchBytes)
	}
	add := func(r *Record) {
		if len(batch) == 0 {
			batchStart = s.cfg.Now()
		}
		batch = append(batch, r)
		batchBytes += r.Size()
	}
	// A record taken from s.in waits in the pacer (still holding its share of
	// the byte budget) until its shard's rate lets it into a batch.
	take := func(r *Record) {
		outstanding++
		if stopping {
			s.finish(r)
			s.reject(r, s.stopReason())
			outstanding--
			return
		}
		if s.agg != nil {
			s.agg.add(r, s.cfg.Now())
			return
		}
		s.pace.push(r)
	}
	halt := func(cause error) {
		if stopping {
			return
		}
		stopping = true
		s.halt(cause)
		reason := s.stopReason()
		pending := append(batch, retry.drain()...)
		pending = append(pending, s.pace.drain()...)
		if carry != nil {
			pending = append(pending, carry)
		}
		if s.agg != nil {
			pending = append(pending, s.agg.flush(time.Time{}, true)...)
		}
		for _, r := range pending {
			s.finish(r)
			s.reject(r, reason)
			outstanding -= r.count()
		}
		batch, batchBytes, carry = nil, 0, nil
	}
	ctxDone := ctx.Done()
	for {
		// Results first: a fatal error must stop new requests as soon as possible.
	results:
		for {
			select {
			case res := <-s.results:
				if res.fatal != nil {
					halt(res.fatal)
				}
				outstanding -= s.settle(res, stopping, &retry)
			default:
				break results
			}
		}
		if !stopping {
			now := s.cfg.Now()
			for retry.Len() > 0 && !retry.peek().due.After(now) {
				s.pace.pushFront(retry.pop())
			}
		drain:
			for inOpen {
				select {
				case r, ok := <-s.in:
					if !ok {
						inOpen = false
						break drain
					}
					take(r)
				default:
					break drain
				}
			}
			if s.agg != nil {
				for _, a := range s.agg.flush(now, !inOpen) {
					s.pace.push(a)
				}
			}
			for carry == nil && len(batch) < s.cfg.MaxBatchRecords {
				r := s.pace.next(now)
				if r == nil {
					break
				}
				if fits(r) {
					add(r)
				} else {
					carry = r
				}
			}
			if s.pace.stale && s.cfg.Lister != nil && !refreshing && (lastRefresh.IsZero() || now.Sub(lastRefresh) >= refreshWindow) {
				refreshing, lastRefresh = true, now
				go s.refreshShards()
			}
		}
		if !inOpen && outstanding == 0 {
			break
		}
		full := carry != nil || len(batch) >= s.cfg.MaxBatchRecords
		now := s.cfg.Now()
		// A partial batch waits up to Linger for more records, so a reader that
		// is only a little slower than the requests still fills batches.
		var wake time.Time
		var workCh chan []*Record
		if len(batch) > 0 && !stopping && s.window.open() {
			if lingerEnd := batchStart.Add(s.pace.linger(s.cfg.Linger)); full || (!inOpen && s.pace.queued == 0) || !now.Before(lingerEnd) {
				workCh = s.work
			} else {
				wake = lingerEnd
			}
		}
		var inCh chan *Record
		if inOpen {
			inCh = s.in // the byte budget bounds what waits in the pacer
		}
		if !stopping && retry.Len() > 0 && (wake.IsZero() || retry.peek().due.Before(wake)) {
			wake = retry.peek().due
		}
		if !stopping && !full {
			if w := s.pace.wake(now); !w.IsZero() && (wake.IsZero() || w.Before(wake)) {
				wake = w
			}
		}
		if s.agg != nil && !stopping {
			if w := s.agg.wake(); !w.IsZero() && (wake.IsZero() || w.Before(wake)) {
				wake = w
			}
		}
		var timerC <-chan time.Time
		if !wake.IsZero() {
			timer.Reset(max(wake.Sub(now), 0))
			timerC = timer.C
		}
		select {
		case workCh <- batch:
			s.window.sent()
			batch, batchBytes = make([]*Record, 0, s.cfg.MaxBatchRecords), 0
			if carry != nil {
				add(carry)
				carry = nil
			}
		case r, ok := <-inCh:
			if !ok {
				inOpen = false
				continue
			}
			take(r)
		case res := <-s.results:
			if res.fatal != nil {
				halt(res.fatal)
			}
			outstanding -= s.settle(res, stopping, &retry)
		case m := <-s.maps:
			refreshing = false
			s.pace.stale = false
			if m != nil && !stopping {
				if s.agg != nil {
					s.agg.setMap(m) // sealed here, pushed to the new map's lanes below
				}
				s.pace.setMap(m, s.cfg.Now())
			}
		case <-timerC:
		case <-ctxDone:
			ctxDone = nil
			halt(ctx.Err())
		}
	}
	close(s.work)
	s.workers.Wait()
	if c := context.Cause(s.stop); c != nil && stopping {
		s.err = c
	}
}

// settle decides the fate of each record of a finished request and returns
// how many are finished (sent or rejected); the others are queued for retry.
func (s *Sender) settle(res result, stopping bool, q *retryQueue) int {
	finished := 0
	now := s.cfg.Now()
	s.window.done(res.overloaded)
	if res.misrouted {
		s.pace.misrouted()
	}
	for i, r := range res.batch {
		reason := res.errs[i]
		if reason == "" {
			if s.cfg.OnSent != nil {
				r.each(s.cfg.OnSent)
			}
			s.pace.acked(r, now)
			s.finish(r)
			finished += r.count()
			continue
		}
		if isThrottle(reason) || res.overloaded {
			// A 5xx or a timeout says the endpoint is overloaded: slow
			// down as for a throttle, rather than retry harder.
			s.pace.throttled(r, now)
		}
		r.lastErr = reason
		if res.maybeStored || reason == unconfirmed {
			// Each lost response may have stored one more copy of the record,
			// so a record in two lost responses counts twice.
			s.dups.Add(int64(r.count()))
		}
		if stopping {
			s.finish(r)
			finished += r.count()
			s.reject(r, fmt.Sprintf("%s (last error: %s)", s.stopReason(), reason))
			continue
		}
		delay := s.backoff(r.attempts)
		if r.attempts >= s.cfg.MaxAttempts || now.Add(delay).Sub(r.first) > s.cfg.RetryTimeout {
			s.finish(r)
			finished += r.count()
			s.reject(r, fmt.Sprintf("gave up after %d attempts over %s: %s", r.attempts, now.Sub(r.first).Round(time.Millisecond), reason))
			continue
		}
		r.due = now.Add(delay)
		q.push(r)
	}
	return finished
}

// backoff is "full jitter": a uniform delay in [0, min(max, base·2^(n-1))).
func (s *Sender) backoff(attempts int) time.Duration {
	d := s.cfg.MaxBackoff
	if attempts < 40 {
		if e := s.cfg.BaseBackoff << (attempts - 1); e > 0 && e < d {
			d = e
		}
	}
	return time.Duration(s.rng.Int64N(int64(d)) + 1)
}
