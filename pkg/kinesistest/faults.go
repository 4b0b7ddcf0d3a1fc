package kinesistest

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Faults sets the probability (0..1) of each injected fault. Each write
// request (PutRecord, PutRecords; and GetShardIterator, GetRecords when
// Reads is set) draws, in this order and only for non-zero probabilities:
// Latency, then Reset, then Request500, then LostResponse; then each record
// of a PutRecords that gets that far draws RecordFailure. Draws come from one
// PCG source seeded with [Options.Seed] under a mutex, so a client that sends
// requests one at a time sees the same faults on every run; with concurrent
// requests the faults depend on arrival order.
type Faults struct {
	// Request500 fails the whole request with HTTP 500 InternalFailure;
	// nothing is stored.
	Request500 float64
	// RecordFailure fails one PutRecords record with ErrorCode
	// InternalFailure in an HTTP 200 answer; that record is not stored.
	// It does not apply to PutRecord.
	RecordFailure float64
	// LostResponse stores the request's records as usual, then closes the
	// connection without answering: the client sees an error (EOF) although
	// the records were stored, and resending them makes duplicates.
	LostResponse float64
	// Reset closes the connection with a TCP RST (SO_LINGER 0) after reading
	// the request and before storing anything: the client sees an error and
	// nothing was stored.
	Reset float64
	// Latency delays the request, before anything else happens, by a
	// duration drawn uniformly from [LatencyMin, LatencyMax] (LatencyMin
	// when LatencyMax is not above it).
	Latency    float64
	LatencyMin time.Duration
	LatencyMax time.Duration
	// Reads applies Latency, Reset, Request500 and LostResponse to
	// GetShardIterator and GetRecords too (off by default).
	Reads bool
}

// requestFaults is what the draws decided for one request.
type requestFaults struct {
	delay   time.Duration
	reset   bool
	fail500 bool
	lose    bool
}

func (s *Server) drawRequestFaults() requestFaults {
	f := s.opts.Faults
	if f.Latency <= 0 && f.Reset <= 0 && f.Request500 <= 0 && f.LostResponse <= 0 {
		return requestFaults{}
	}
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	var rf requestFaults
	if f.Latency > 0 && s.rng.Float64() < f.Latency {
		rf.delay = f.LatencyMin
		if f.LatencyMax > f.LatencyMin {
			rf.delay += time.Duration(s.rng.Int64N(int64(f.LatencyMax-f.LatencyMin) + 1))
		}
	}
	if f.Reset > 0 && s.rng.Float64() < f.Reset {
		rf.reset = true
		return rf
	}
	if f.Request500 > 0 && s.rng.Float64() < f.Request500 {
		rf.fail500 = true
		return rf
	}
	if f.LostResponse > 0 && s.rng.Float64() < f.LostResponse {
		rf.lose = true
	}
	return rf
}

// drawRecordFailures returns which of n records fail with InternalFailure,
// or nil when none can.
func (s *Server) drawRecordFailures(n int) []bool {
	p := s.opts.Faults.RecordFailure
	if p <= 0 {
		return nil
	}
	failed := make([]bool, n)
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	for i := range failed {
		failed[i] = s.rng.Float64() < p
	}
	return failed
}

// Script answers PutRecords requests as a test dictates, for sequences of
// answers that random Faults cannot give: "throttle the first request
// whole", "fail records 1 and 3", "hold this request until I say",
// "answer without sequence numbers". It is called for every PutRecords
// request that passed validation (a request Kinesis would refuse is refused
// before), on the request's own goroutine, so concurrent requests call it
// concurrently. It may block, to keep a request in flight, until
// call.Context ends.
type Script func(call *Call) Reply

// Call is one PutRecords request, as a [Script] sees it.
type Call struct {
	// Context ends when the client goes away (gave up, or its connection
	// closed) or the server closes.
	Context context.Context
	// N numbers the requests the Script was called for, from 0, in the
	// order they reached it.
	N       int
	Stream  string
	Records []Entry
}

// Entry is one record of a PutRecords request. Data is shared with what
// the server stores: do not modify it.
type Entry struct {
	Data            []byte
	PartitionKey    string
	ExplicitHashKey string // "" when not set
}

// Reply is a [Script]'s answer to one request. The zero Reply lets the
// request through as usual: write limits and the random Faults apply.
// Any other Reply replaces the random Faults for that request, and the
// first of these that is set decides the answer:
type Reply struct {
	// Hang stores nothing and answers nothing: the request waits until the
	// client gives up or the server closes, and its connection is closed.
	Hang bool
	// Body is sent as it is with Status (200 when 0) and ContentType (the
	// JSON 1.1 type when empty), storing nothing: for answers Kinesis never
	// gives (result entries without a sequence number, fewer entries than
	// records, a proxy's HTML page).
	Body        []byte
	Status      int
	ContentType string
	// ErrorCode answers the whole request with this AWS error code, Message
	// and Status (when 0, as AWS: 500 for InternalFailure, 503 for
	// ServiceUnavailable, 400 for the rest), storing nothing.
	ErrorCode string
	Message   string
	// RecordErrors fails the records at these indexes with these error
	// codes, and Message ("Injected by a Script." when empty), in an HTTP
	// 200 answer; the others are stored as usual, under the write limits.
	// It combines with LoseResponse.
	RecordErrors map[int]string
	// LoseResponse stores the records as usual, then closes the connection
	// without answering (counted in FaultStats.LostResponses).
	LoseResponse bool
}

// HangFrom returns a Script that lets the first n requests through as
// usual and hangs every later one (Reply.Hang), calling then, when not nil,
// before it hangs: "store n requests, then interrupt the run (then is its
// cancel function) with a request in flight".
func HangFrom(n int, then func()) Script {
	return func(call *Call) Reply {
		if call.N < n {
			return Reply{}
		}
		if then != nil {
			then()
		}
		return Reply{Hang: true}
	}
}

// Hold returns a Script that holds each request that held picks (by its
// number, from 0) until release is closed, then lets it through as usual;
// the others go through at once. It closes started, when not nil, as it
// holds the first request: "keep the run's first request in flight until
// I say". A held request whose client has given up (as the server sees
// it, which can take a moment) is dropped, unstored.
func Hold(held func(n int) bool, started, release chan struct{}) Script {
	var once sync.Once
	return func(call *Call) Reply {
		if !held(call.N) {
			return Reply{}
		}
		if started != nil {
			once.Do(func() { close(started) })
		}
		select {
		case <-release:
		case <-call.Context.Done():
		}
		if call.Context.Err() != nil {
			return Reply{Hang: true}
		}
		return Reply{}
	}
}

func (r *Reply) isZero() bool {
	return !r.Hang && r.Body == nil && r.Status == 0 && r.ContentType == "" && r.ErrorCode == "" &&
		r.Message == "" && r.RecordErrors == nil && !r.LoseResponse
}

// WriteLimits are per-shard write limits, enforced with two token buckets
// per shard: one of records, one of bytes (data plus partition key). Each
// bucket holds at most one second's worth (RecordsPerSecond records,
// BytesPerSecond bytes), starts full, and refills continuously at its rate.
// A record is accepted when both buckets cover it; a record larger than
// BytesPerSecond is accepted when the byte bucket is full, leaving it in
// debt. Real Kinesis measures over a window of about a second too, but its
// exact algorithm is not documented.
type WriteLimits struct {
	RecordsPerSecond int
	BytesPerSecond   int
}

// DefaultWriteLimits returns the Kinesis limits: 1,000 records/s and 1 MiB/s
// per shard.
func DefaultWriteLimits() *WriteLimits {
	return &WriteLimits{RecordsPerSecond: 1000, BytesPerSecond: 1 << 20}
}

// bucket is a shard's pair of token buckets; the shard's mutex guards it.
type bucket struct {
	on                   bool
	recordRate, byteRate float64
	records, bytes       float64
	last                 time.Time
}

func newBucket(l WriteLimits, now time.Time) bucket {
	return bucket{
		on:         true,
		recordRate: float64(l.RecordsPerSecond), byteRate: float64(l.BytesPerSecond),
		records: float64(l.RecordsPerSecond), bytes: float64(l.BytesPerSecond),
		last: now,
	}
}

// take reports whether a record of size bytes fits now, and if so takes it.
func (b *bucket) take(now time.Time, size int) bool {
	if !b.on {
		return true
	}
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.records = min(b.recordRate, b.records+dt*b.recordRate)
		b.bytes = min(b.byteRate, b.bytes+dt*b.byteRate)
		b.last = now
	}
	if b.records < 1 || (b.bytes < float64(size) && b.bytes < b.byteRate) {
		return false
	}
	b.records--
	b.bytes -= float64(size)
	return true
}

// Stats counts what the server saw. Records in requests that failed
// validation are not counted as received.
type Stats struct {
	// Requests counts every HTTP request; Operations counts them by
	// operation name ("PutRecords", ...; "unknown" for anything else).
	Requests   int64            `json:"requests"`
	Operations map[string]int64 `json:"operations"`
	// ClientErrors counts 4xx answers other than throttling (validation,
	// unknown stream, bad JSON, ...).
	ClientErrors int64 `json:"client_errors"`
	// RecordsReceived counts records in valid PutRecord and PutRecords
	// requests, whatever became of them.
	RecordsReceived int64 `json:"records_received"`
	// RecordsAccepted counts records stored (including those stored in a
	// response that was then lost).
	RecordsAccepted int64 `json:"records_accepted"`
	// RecordsThrottled counts records refused with
	// ProvisionedThroughputExceededException (per record in PutRecords, or a
	// whole PutRecord).
	RecordsThrottled int64 `json:"records_throttled"`
	// Faults counts injected faults.
	Faults FaultStats `json:"faults"`
}

// FaultStats counts injected faults by kind.
type FaultStats struct {
	// Request500 counts requests answered with HTTP 500 InternalFailure.
	Request500 int64 `json:"request_500"`
	// RecordFailures counts PutRecords records failed with InternalFailure.
	RecordFailures int64 `json:"record_failures"`
	// LostResponses counts responses dropped after storing;
	// LostResponseRecords counts the records those requests stored, the
	// most duplicates a correct client can cause by resending them.
	LostResponses       int64 `json:"lost_responses"`
	LostResponseRecords int64 `json:"lost_response_records"`
	// Resets counts connections reset before storing; ResetRecords counts
	// the records in those requests (none stored).
	Resets       int64 `json:"resets"`
	ResetRecords int64 `json:"reset_records"`
	// Delays counts delayed requests; DelayMillis their total delay.
	Delays      int64 `json:"delays"`
	DelayMillis int64 `json:"delay_millis"`
	// Scripted counts requests a Script answered with a Reply other than
	// the zero one.
	Scripted int64 `json:"scripted"`
}

var operationNames = []string{
	"CreateStream", "DescribeStreamSummary", "ListShards", "PutRecord", "PutRecords",
	"GetShardIterator", "GetRecords", "SplitShard", "unknown",
}

type stats struct {
	requests, clientErrors                  atomic.Int64
	ops                                     map[string]*atomic.Int64
	received, accepted, throttled           atomic.Int64
	fail500, recordFailures                 atomic.Int64
	lost, lostRecords, resets, resetRecords atomic.Int64
	delays, delayNanos                      atomic.Int64
	scriptCalls, scripted                   atomic.Int64
}

func (st *stats) init() {
	st.ops = map[string]*atomic.Int64{}
	for _, op := range operationNames {
		st.ops[op] = new(atomic.Int64)
	}
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	st := &s.stats
	out := Stats{
		Requests:         st.requests.Load(),
		Operations:       map[string]int64{},
		ClientErrors:     st.clientErrors.Load(),
		RecordsReceived:  st.received.Load(),
		RecordsAccepted:  st.accepted.Load(),
		RecordsThrottled: st.throttled.Load(),
		Faults: FaultStats{
			Request500:          st.fail500.Load(),
			RecordFailures:      st.recordFailures.Load(),
			LostResponses:       st.lost.Load(),
			LostResponseRecords: st.lostRecords.Load(),
			Resets:              st.resets.Load(),
			ResetRecords:        st.resetRecords.Load(),
			Delays:              st.delays.Load(),
			DelayMillis:         st.delayNanos.Load() / int64(time.Millisecond),
			Scripted:            st.scripted.Load(),
		},
	}
	for op, n := range st.ops {
		if v := n.Load(); v > 0 {
			out.Operations[op] = v
		}
	}
	return out
}
