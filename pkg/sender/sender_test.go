package sender

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go"

	"github.com/ldexport/ldexport/pkg/kinesistest"
)

// fakeKinesis is stream "s" on a pkg/kinesistest server, which answers as
// Kinesis does unless script (nil: never) says otherwise, with a log of the
// data of each PutRecords request's records, in arrival order.
type fakeKinesis struct {
	srv    *kinesistest.Server
	script kinesistest.Script

	mu       sync.Mutex
	requests [][]string
}

func newFake(t testing.TB, shards int, script kinesistest.Script) *fakeKinesis {
	t.Helper()
	f := &fakeKinesis{script: script}
	f.srv = kinesistest.NewServer(kinesistest.Options{Script: f.answer})
	t.Cleanup(f.srv.Close)
	if err := f.srv.CreateStream("s", shards); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fakeKinesis) answer(c *kinesistest.Call) kinesistest.Reply {
	data := make([]string, len(c.Records))
	for i, e := range c.Records {
		data[i] = string(e.Data)
	}
	f.mu.Lock()
	f.requests = append(f.requests, data)
	f.mu.Unlock()
	if f.script == nil {
		return kinesistest.Reply{}
	}
	return f.script(c)
}

// client is a real SDK client for the server, set up as send sets it up.
func (f *fakeKinesis) client() *kinesis.Client { return f.srv.NewClient(ClientOptions(8)) }

// log returns the data of each request's records, in arrival order.
func (f *fakeKinesis) log() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// stored counts the copies of each record data the stream holds.
func (f *fakeKinesis) stored() map[string]int {
	n := map[string]int{}
	for _, r := range f.srv.Records("s") {
		n[string(r.Data)]++
	}
	return n
}

// failAll fails every record of a request with code.
func failAll(c *kinesistest.Call, code string) kinesistest.Reply {
	errs := map[int]string{}
	for i := range c.Records {
		errs[i] = code
	}
	return kinesistest.Reply{RecordErrors: errs}
}

type run struct {
	stats    Stats
	err      error
	rejected map[string]string // data → reason
}

func records(n int) []*Record {
	rs := make([]*Record, n)
	for i := range rs {
		rs[i] = &Record{Source: "in.ndjson", Line: int64(i + 1), Data: []byte(fmt.Sprintf(`{"n":%d}`, i)), Key: fmt.Sprintf("k%d", i)}
	}
	return rs
}

func send(t *testing.T, ctx context.Context, api PutRecordsAPI, cfg Config, rs []*Record) run {
	t.Helper()
	var mu sync.Mutex
	rej := map[string]string{}
	if cfg.BaseBackoff == 0 {
		cfg.BaseBackoff = time.Millisecond
		cfg.MaxBackoff = 5 * time.Millisecond
	}
	s := New(ctx, api, cfg, func(r *Record, reason string) {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := rej[string(r.Data)]; dup {
			t.Errorf("record %s rejected twice", r.Data)
		}
		rej[string(r.Data)] = reason
		// Given up (retries spent) is the sender's own verdict, kept on the record.
		if r.GivenUp() != strings.HasPrefix(reason, "gave up after") {
			t.Errorf("record %s: GivenUp %v for reason %q", r.Data, r.GivenUp(), reason)
		}
	})
	put := 0
	for _, r := range rs {
		put++
		if err := s.Put(r); err != nil {
			break // the producer stops reading; r itself was rejected by Put
		}
	}
	err := s.Close()
	st := s.Stats()
	// The invariant: every record handed over is sent or rejected, never both, never neither.
	if st.Sent+st.Failed != int64(put) {
		t.Fatalf("sent %d + failed %d != records put %d", st.Sent, st.Failed, put)
	}
	if int64(len(rej)) != st.Failed {
		t.Fatalf("%d records rejected, Failed = %d", len(rej), st.Failed)
	}
	return run{stats: st, err: err, rejected: rej}
}

func TestSendAllDelivered(t *testing.T) {
	f := newFake(t, 1, nil)
	rs := records(1234)
	r := send(t, context.Background(), f.client(), Config{StreamName: "s", Concurrency: 3}, rs)
	if r.err != nil || r.stats.Sent != 1234 || r.stats.Failed != 0 || r.stats.Retries != 0 {
		t.Fatalf("err %v stats %+v", r.err, r.stats)
	}
	total := 0
	for _, req := range f.log() {
		if len(req) > 500 {
			t.Errorf("request of %d records", len(req))
		}
		total += len(req)
	}
	stored := f.stored()
	if total != 1234 || len(stored) != 1234 {
		t.Fatalf("put %d records, stored %d distinct", total, len(stored))
	}
	for d, n := range stored {
		if n != 1 {
			t.Errorf("%s stored %d times", d, n)
		}
	}
}

func TestBatchByteLimit(t *testing.T) {
	f := newFake(t, 1, nil)
	rs := make([]*Record, 120)
	for i := range rs {
		d := fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", 100<<10))
		rs[i] = &Record{Source: "-", Line: int64(i + 1), Data: []byte(d), Key: "k"}
	}
	r := send(t, context.Background(), f.client(), Config{StreamName: "s", Concurrency: 2}, rs)
	if r.err != nil || r.stats.Sent != 120 {
		t.Fatalf("err %v stats %+v", r.err, r.stats)
	}
	for _, req := range f.log() {
		size := 0
		for _, d := range req {
			size += len(d) + 1
		}
		if size > MaxBatchBytes {
			t.Errorf("request of %d bytes", size)
		}
	}
}

func TestPartialFailureResendsOnlyFailedRecords(t *testing.T) {
	f := newFake(t, 1, func(c *kinesistest.Call) kinesistest.Reply {
		if c.N == 0 {
			return kinesistest.Reply{RecordErrors: map[int]string{1: "ProvisionedThroughputExceededException", 3: "InternalFailure", 4: "ProvisionedThroughputExceededException"}}
		}
		return kinesistest.Reply{}
	})
	rs := records(6)
	r := send(t, context.Background(), f.client(), Config{StreamName: "s", Concurrency: 1, MaxBatchRecords: 6}, rs)
	if r.err != nil {
		t.Fatal(r.err)
	}
	var resent []string
	for _, req := range f.log()[1:] {
		resent = append(resent, req...)
	}
	sort.Strings(resent)
	want := []string{`{"n":1}`, `{"n":3}`, `{"n":4}`}
	if fmt.Sprint(resent) != fmt.Sprint(want) {
		t.Fatalf("resent %v, want exactly %v", resent, want)
	}
	if r.stats.Sent != 6 || r.stats.Retries != 3 || r.stats.Throttled != 2 || r.stats.PossibleDuplicates != 0 {
		t.Fatalf("stats %+v", r.stats)
	}
	for d, n := range f.stored() {
		if n != 1 {
			t.Errorf("%s stored %d times", d, n)
		}
	}
}

func TestWholeRequestErrorsAreRetried(t *testing.T) {
	tests := []struct {
		name      string
		reply     kinesistest.Reply
		throttled int64
		dups      int64
		stored    int // times each record ends up stored
	}{
		{"throttled", kinesistest.Reply{ErrorCode: "ProvisionedThroughputExceededException", Message: "slow down"}, 4, 0, 1},
		{"kms throttled", kinesistest.Reply{ErrorCode: "KMSThrottlingException"}, 4, 0, 1},
		{"internal failure", kinesistest.Reply{ErrorCode: "InternalFailure", Status: 500}, 0, 0, 1},
		{"lost response after storing", kinesistest.Reply{LoseResponse: true}, 0, 4, 2},
		{"timeout", kinesistest.Reply{Hang: true}, 0, 4, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, 1, func(c *kinesistest.Call) kinesistest.Reply {
				if c.N == 0 {
					return tt.reply
				}
				return kinesistest.Reply{}
			})
			cfg := Config{StreamName: "s", Concurrency: 1, MaxBatchRecords: 4}
			if tt.reply.Hang {
				cfg.RequestTimeout = 200 * time.Millisecond
			}
			r := send(t, context.Background(), f.client(), cfg, records(4))
			if r.err != nil || r.stats.Sent != 4 || r.stats.Retries != 4 {
				t.Fatalf("err %v stats %+v", r.err, r.stats)
			}
			if r.stats.Throttled != tt.throttled || r.stats.PossibleDuplicates != tt.dups {
				t.Fatalf("throttled %d dups %d, want %d %d", r.stats.Throttled, r.stats.PossibleDuplicates, tt.throttled, tt.dups)
			}
			for d, n := range f.stored() {
				if n != tt.stored {
					t.Errorf("%s stored %d times, want %d", d, n, tt.stored)
				}
			}
		})
	}
}

// A record whose response is lost three times may be stored four times:
// three possible duplicates, one per lost response (here all four are stored).
func TestPossibleDuplicatesCountEveryLostResponse(t *testing.T) {
	f := newFake(t, 1, func(c *kinesistest.Call) kinesistest.Reply {
		return kinesistest.Reply{LoseResponse: c.N < 3}
	})
	r := send(t, context.Background(), f.client(), Config{StreamName: "s", Concurrency: 1}, records(1))
	if r.stats.Sent != 1 || r.stats.PossibleDuplicates != 3 || r.stats.Retries != 3 || f.stored()[`{"n":0}`] != 4 {
		t.Fatalf("stats %+v, stored %v", r.stats, f.stored())
	}
}

func TestFatalErrorStopsAndRejectsEverything(t *testing.T) {
	for _, code := range []string{"ResourceNotFoundException", "AccessDeniedException", "KMSDisabledException", "ValidationException", "InvalidArgumentException"} {
		t.Run(code, func(t *testing.T) {
			f := newFake(t, 1, func(*kinesistest.Call) kinesistest.Reply {
				return kinesistest.Reply{ErrorCode: code, Message: "boom"}
			})
			r := send(t, context.Background(), f.client(), Config{StreamName: "s", Concurrency: 2}, records(2000))
			var fe *FatalError
			if !errors.As(r.err, &fe) || fe.Code != code {
				t.Fatalf("err = %v, want FatalError %s", r.err, code)
			}
			if r.stats.Sent != 0 || r.stats.Failed == 0 {
				t.Fatalf("stats %+v", r.stats)
			}
			for d, reason := range r.rejected {
				if !strings.Contains(reason, code) {
					t.Fatalf("%s rejected with %q", d, reason)
				}
			}
			// Results are handled before new work is handed out, so each
			// worker starts at most one more request after the fatal one.
			if n := len(f.log()); n > 4 {
				t.Errorf("%d requests; want at most 2 per worker", n)
			}
		})
	}
}

func TestPerRecordFatalCodeStops(t *testing.T) {
	f := newFake(t, 1, func(*kinesistest.Call) kinesistest.Reply {
		return kinesistest.Reply{RecordErrors: map[int]string{0: "KMSAccessDeniedException"}}
	})
	r := send(t, context.Background(), f.client(), Config{StreamName: "s", Concurrency: 1, MaxBatchRecords: 3}, records(3))
	var fe *FatalError
	if !errors.As(r.err, &fe) || fe.Code != "KMSAccessDeniedException" {
		t.Fatalf("err %v", r.err)
	}
	if r.stats.Sent != 2 || r.stats.Failed != 1 {
		t.Fatalf("stats %+v", r.stats)
	}
}

func TestRetryBudget(t *testing.T) {
	f := newFake(t, 1, func(c *kinesistest.Call) kinesistest.Reply {
		failed := map[int]string{}
		for i, e := range c.Records {
			if string(e.Data) == `{"n":2}` {
				failed[i] = "ProvisionedThroughputExceededException"
			}
		}
		return kinesistest.Reply{RecordErrors: failed}
	})
	r := send(t, context.Background(), f.client(), Config{StreamName: "s", Concurrency: 1, MaxAttempts: 4}, records(5))
	if r.stats.Sent != 4 || r.stats.Failed != 1 {
		t.Fatalf("stats %+v", r.stats)
	}
	reason := r.rejected[`{"n":2}`]
	if !strings.HasPrefix(reason, "gave up after 4 attempts") || !strings.Contains(reason, "ProvisionedThroughputExceededException") {
		t.Fatalf("reason %q", reason)
	}
	log := f.log()
	if got := len(log); got != 4 {
		t.Fatalf("%d requests, want 4 (1 + 3 retries of the one record)", got)
	}
	for _, req := range log[1:] {
		if len(req) != 1 || req[0] != `{"n":2}` {
			t.Fatalf("retry request %v", req)
		}
	}
}

func TestRetryTimeout(t *testing.T) {
	f := newFake(t, 1, func(*kinesistest.Call) kinesistest.Reply {
		return kinesistest.Reply{ErrorCode: "InternalFailure", Status: 500}
	})
	start := time.Now()
	// The retry budget caps each request's wait for an answer too: 200ms
	// leaves a loaded machine's local round trip well inside it.
	r := send(t, context.Background(), f.client(), Config{StreamName: "s", Concurrency: 1, RetryTimeout: 200 * time.Millisecond, BaseBackoff: 5 * time.Millisecond, MaxBackoff: 10 * time.Millisecond}, records(3))
	if r.stats.Failed != 3 || r.stats.Sent != 0 || r.err != nil {
		t.Fatalf("err %v stats %+v", r.err, r.stats)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("took %s", el)
	}
	for _, reason := range r.rejected {
		if !strings.Contains(reason, "gave up") || !strings.Contains(reason, "InternalFailure") {
			t.Fatalf("reason %q", reason)
		}
	}
}

func TestInterruptRejectsUndelivered(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	f := newFake(t, 1, func(c *kinesistest.Call) kinesistest.Reply {
		if c.N == 0 {
			return kinesistest.Reply{}
		}
		if c.N == 1 {
			cancel()
		}
		<-release
		return kinesistest.Reply{}
	})
	go func() { time.Sleep(50 * time.Millisecond); close(release) }()
	r := send(t, ctx, f.client(), Config{StreamName: "s", Concurrency: 2, MaxBatchRecords: 10}, records(1000))
	if !errors.Is(r.err, context.Canceled) {
		t.Fatalf("err %v", r.err)
	}
	// The requests in flight when the interrupt came finish within the grace period.
	if r.stats.Sent < 10 || r.stats.Failed == 0 {
		t.Fatalf("stats %+v", r.stats)
	}
}

func TestInterruptAbandonsHungRequests(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := newFake(t, 1, func(*kinesistest.Call) kinesistest.Reply {
		cancel()
		return kinesistest.Reply{Hang: true} // until the sender gives the request up
	})
	start := time.Now()
	r := send(t, ctx, f.client(), Config{StreamName: "s", Concurrency: 1, ShutdownTimeout: 20 * time.Millisecond}, records(10))
	if !errors.Is(r.err, context.Canceled) || r.stats.Failed != 10 || r.stats.PossibleDuplicates != 10 {
		t.Fatalf("err %v stats %+v", r.err, r.stats)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatal("shutdown not bounded")
	}
}

func TestBytesInFlightBounded(t *testing.T) {
	var mu sync.Mutex
	inflight, peak := 0, 0
	f := newFake(t, 1, func(c *kinesistest.Call) kinesistest.Reply {
		mu.Lock()
		for _, e := range c.Records {
			inflight += len(e.Data)
		}
		peak = max(peak, inflight)
		mu.Unlock()
		time.Sleep(time.Millisecond)
		mu.Lock()
		for _, e := range c.Records {
			inflight -= len(e.Data)
		}
		mu.Unlock()
		return kinesistest.Reply{}
	})
	rs := make([]*Record, 300)
	for i := range rs {
		rs[i] = &Record{Source: "-", Line: int64(i + 1), Data: []byte(fmt.Sprintf("%04d%s", i, strings.Repeat("x", 10<<10))), Key: "k"}
	}
	r := send(t, context.Background(), f.client(), Config{StreamName: "s", Concurrency: 8, MaxBytesInFlight: 100 << 10}, rs)
	if r.stats.Sent != 300 {
		t.Fatalf("stats %+v", r.stats)
	}
	mu.Lock()
	defer mu.Unlock()
	if peak > 100<<10 {
		t.Fatalf("peak %d bytes in flight, budget %d", peak, 100<<10)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err  error
		want failure
	}{
		{&smithy.GenericAPIError{Code: "ResourceNotFoundException"}, failFatal},
		{&smithy.GenericAPIError{Code: "LimitExceededException"}, failThrottled},
		{&smithy.GenericAPIError{Code: "InternalFailure"}, failRetry},
		{context.DeadlineExceeded, failLost},
		{errors.New("use of closed network connection"), failLost},
	}
	for _, tt := range tests {
		if got, _ := classify(tt.err); got != tt.want {
			t.Errorf("classify(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}
