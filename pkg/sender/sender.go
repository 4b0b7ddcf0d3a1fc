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

	// The fields the dispatcher reads or writes for every record, next to
	// Data and Key so that a record costs it two cache lines, not four.
	givenUp  bool  // rejected because its retries ran out, not because the run stopped
	attempts int32 // requests that carried it so far (in the word RandomKey and givenUp share)
	lane     int   // rate control (pacer.go): the lane (shard) the record waits in
	gen      int   // the map generation lane is of; records routed under another are routed again
	weight   int64
	paced    instant   // when the pacer last let it into a batch; 0: never
	users    []*Record // a KPL aggregated record's user records (aggregate.go)

	first   instant // the first attempt
	due     instant // the next attempt, while in the retry queue
	lastErr string

	// Rate control: the shard the record should land in, and its
	// ExplicitHashKey under --balance.
	shardID string
	hashKey string
}

// instant is a moment of Config.Now's clock as nanoseconds from
// clockBase: 8 bytes where a time.Time takes 24, and a Record holds three.
// Differences between instants are those between the times they were
// made from (time.Time.Sub: on the monotonic clock when both times have
// a reading of it, as time.Now's do, else on the wall clock).
type instant int64

var clockBase = time.Now()

func instantOf(t time.Time) instant { return instant(t.Sub(clockBase)) }

// time returns the moment as a time.Time, for timers.
func (i instant) time() time.Time { return clockBase.Add(time.Duration(i)) }

// GivenUp says the sender rejected r because its retries ran out (its
// reason says after how many attempts), rather than because the run
// stopped before r could be delivered.
func (r *Record) GivenUp() bool { return r.givenUp }

// Size is what the record counts against Kinesis's limits: data plus partition key.
func (r *Record) Size() int { return len(r.Data) + len(r.Key) }

// Where returns "source:line".
func (r *Record) Where() string { return fmt.Sprintf("%s:%d", r.Source, r.Line) }

// Config tunes a Sender. Zero values take the defaults shown.
type Config struct {
	StreamName       string
	Concurrency      int   // requests in flight; default 8
	MaxBatchRecords  int   // default 500
	MaxBatchBytes    int   // default 5 MiB; a larger record goes alone
	MaxBytesInFlight int64 // records read but not yet delivered or rejected, in bytes (recordOverhead each besides data and key); default 16 MiB
	// MaxRecordsInFlight bounds the same records by count (default 8192,
	// or twice Concurrency full batches when that is more; not under
	// Aggregate, whose user records fill aggregates by size):
	// each record counts as at least MaxBytesInFlight/MaxRecordsInFlight
	// bytes. Small records are then bounded by number, so they are sent
	// soon after they are read, while still in the processor's cache, and
	// the heap stays small; large ones by bytes.
	MaxRecordsInFlight int
	RetryTimeout       time.Duration // per record, from its first attempt; default 10m
	MaxAttempts        int           // per record; default 100
	BaseBackoff        time.Duration // default 100ms
	MaxBackoff         time.Duration // default 10s
	RequestTimeout     time.Duration // one PutRecords call; default 30s
	ShutdownTimeout    time.Duration // wait for requests in flight after an interrupt; default 10s
	Linger             time.Duration // how long a partial batch waits for more records; default 5ms
	Now                func() time.Time
	Seed               uint64 // for the backoff jitter

	// OnSent, if set, is called with the records Kinesis acknowledged (the
	// user records of an aggregate), those of one answer at a time, from
	// the one goroutine that settles requests (e.g. to checkpoint
	// progress). The slice is only valid during the call. The records are
	// the caller's again once OnSent returns: the sender never reads or
	// writes them after that, so the caller may reuse them and their Data
	// (TestOnSentRecordsAreTheCallersAgain). Under Aggregate a record's
	// Data may by then be a slice of its aggregate's buffer: keeping it
	// keeps the whole aggregate.
	OnSent func(recs []*Record)
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
	if c.MaxRecordsInFlight <= 0 {
		// Enough to fill every request in flight twice over: a higher
		// --concurrency (for a far endpoint) is not capped by the count.
		c.MaxRecordsInFlight = max(8192, 2*c.Concurrency*c.MaxBatchRecords)
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

	in      chan []*Record // from Put and PutBatch
	work    chan []*Record
	results chan result
	budget  *semaphore.Weighted
	stop    context.Context // done on interrupt or fatal error
	halt    context.CancelCauseFunc
	reqCtx  context.Context // in-flight requests; cancelled ShutdownTimeout after an interrupt
	abort   context.CancelFunc
	done    chan struct{}
	workers sync.WaitGroup
	disp    *dispatcher    // the dispatcher goroutine's state: touch it only after done
	maps    chan *ShardMap // refreshed shard maps (nil: listing failed)

	sent, failed, bytes, requests, retries, throttled, dups, kinesisRecords atomic.Int64

	err error // set by the dispatcher before done closes

	closeMu sync.RWMutex // Put holds it shared while handing over; Close exclusively to close s.in
	closed  bool
}

// recordOverhead is what a record holds in memory besides its data and
// key (the Record itself, its key's string), counted in its share of
// MaxBytesInFlight so that the budget bounds the memory the records take.
const recordOverhead = 256

// inQueue is how many hand-overs (Put, PutBatch) may wait for the
// dispatcher; the byte budget bounds what they hold.
const inQueue = 64

// endedReason is the reason given to records handed over after Close.
const endedReason = "not sent: the run had ended"

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
		in:       make(chan []*Record, inQueue),
		work:     make(chan []*Record),
		results:  make(chan result, cfg.Concurrency),
		budget:   semaphore.NewWeighted(cfg.MaxBytesInFlight),
		done:     make(chan struct{}),
		maps:     make(chan *ShardMap, 1),
	}
	s.stop, s.halt = context.WithCancelCause(ctx)
	s.reqCtx, s.abort = context.WithCancel(context.WithoutCancel(ctx))
	s.disp = newDispatcher(ctx, s)
	go s.abortAfterGrace(ctx)
	for i := 0; i < cfg.Concurrency; i++ {
		s.workers.Add(1)
		go s.worker()
	}
	go s.disp.run()
	return s
}

// abortAfterGrace cancels the requests still in flight ShutdownTimeout
// after an interrupt (ctx done), unless the run ends first.
func (s *Sender) abortAfterGrace(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-s.done:
		return
	}
	t := time.NewTimer(s.cfg.ShutdownTimeout)
	defer t.Stop()
	select {
	case <-t.C:
		s.abort()
	case <-s.done:
	}
}

// Put hands r to the sender, waiting while too many bytes are in flight. From
// then on the sender owns r: it is sent or rejected. Put returns an error once
// the sender has stopped (interrupt or fatal error); r is rejected then.
func (s *Sender) Put(r *Record) error { return s.PutBatch([]*Record{r}) }

// PutBatch hands the records to the sender in order, as Put does each: one
// hand-over (and one wait for the byte budget) for them all, which costs a
// reader far less than a Put a record. The sender owns recs from then on:
// the caller must not touch the slice again. On error every record of recs
// is rejected.
func (s *Sender) PutBatch(recs []*Record) error {
	var total int64
	least := s.cfg.MaxBytesInFlight / int64(s.cfg.MaxRecordsInFlight)
	if s.cfg.Aggregate {
		// Bytes alone: user records wait in open aggregates until these
		// fill up by size, and a count bound below that would leave each
		// aggregate to its linger.
		least = 0
	}
	for _, r := range recs {
		r.weight = min(max(int64(r.Size())+recordOverhead, least), s.cfg.MaxBytesInFlight)
		total += r.weight
	}
	if total > s.cfg.MaxBytesInFlight && len(recs) > 1 {
		// Their shares together exceed the whole budget, which nothing
		// could ever free while this waits: one at a time, then.
		for i, r := range recs {
			if err := s.PutBatch([]*Record{r}); err != nil {
				reason := s.stopReason()
				if errors.Is(err, ErrClosed) {
					reason = endedReason
				}
				s.rejectAll(recs[i+1:], reason)
				return err
			}
		}
		return nil
	}
	if err := s.budget.Acquire(s.stop, total); err != nil {
		s.rejectAll(recs, s.stopReason())
		return s.stopErr()
	}
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		s.budget.Release(total)
		s.rejectAll(recs, endedReason)
		return ErrClosed
	}
	select {
	case s.in <- recs:
		return nil
	case <-s.stop.Done():
		s.budget.Release(total)
		s.rejectAll(recs, s.stopReason())
		return s.stopErr()
	}
}

func (s *Sender) rejectAll(recs []*Record, reason string) {
	for _, r := range recs {
		s.reject(r, reason)
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
