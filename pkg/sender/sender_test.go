package sender

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
)

// fakeKinesis records every request and answers with respond, which sees the
// request number (from 0) and the data of its records.
type fakeKinesis struct {
	mu       sync.Mutex
	requests [][]string
	stored   map[string]int
	respond  func(n int, data []string) (failed map[int]string, err error)
}

func (f *fakeKinesis) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	data := make([]string, len(in.Records))
	for i, e := range in.Records {
		data[i] = string(e.Data)
		if aws.ToString(e.PartitionKey) == "" {
			return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "empty partition key"}
		}
	}
	f.mu.Lock()
	n := len(f.requests)
	f.requests = append(f.requests, data)
	f.mu.Unlock()
	var failed map[int]string
	var err error
	if f.respond != nil {
		failed, err = f.respond(n, data)
	}
	if err != nil {
		if errors.Is(err, errLostAfterStore) {
			f.store(data, nil)
		}
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := &kinesis.PutRecordsOutput{Records: make([]types.PutRecordsResultEntry, len(data))}
	for i := range data {
		if code, ok := failed[i]; ok {
			out.Records[i] = types.PutRecordsResultEntry{ErrorCode: aws.String(code), ErrorMessage: aws.String("fake")}
			// FailedRecordCount deliberately left 0, as some emulators do.
		} else {
			out.Records[i] = types.PutRecordsResultEntry{SequenceNumber: aws.String("1"), ShardId: aws.String("shardId-0")}
		}
	}
	f.store(data, failed)
	return out, nil
}

var errLostAfterStore = fmt.Errorf("read tcp: connection reset by peer: %w", io.ErrUnexpectedEOF)

func (f *fakeKinesis) store(data []string, failed map[int]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stored == nil {
		f.stored = map[string]int{}
	}
	for i, d := range data {
		if _, bad := failed[i]; !bad {
			f.stored[d]++
		}
	}
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
	f := &fakeKinesis{}
	rs := records(1234)
	r := send(t, context.Background(), f, Config{StreamName: "s", Concurrency: 3}, rs)
	if r.err != nil || r.stats.Sent != 1234 || r.stats.Failed != 0 || r.stats.Retries != 0 {
		t.Fatalf("err %v stats %+v", r.err, r.stats)
	}
	total := 0
	for _, req := range f.requests {
		if len(req) > 500 {
			t.Errorf("request of %d records", len(req))
		}
		total += len(req)
	}
	if total != 1234 || len(f.stored) != 1234 {
		t.Fatalf("put %d records, stored %d distinct", total, len(f.stored))
	}
	for d, n := range f.stored {
		if n != 1 {
			t.Errorf("%s stored %d times", d, n)
		}
	}
}

func TestBatchByteLimit(t *testing.T) {
	f := &fakeKinesis{}
	rs := make([]*Record, 120)
	for i := range rs {
		d := fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", 100<<10))
		rs[i] = &Record{Source: "-", Line: int64(i + 1), Data: []byte(d), Key: "k"}
	}
	r := send(t, context.Background(), f, Config{StreamName: "s", Concurrency: 2}, rs)
	if r.err != nil || r.stats.Sent != 120 {
		t.Fatalf("err %v stats %+v", r.err, r.stats)
	}
	for _, req := range f.requests {
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
	f := &fakeKinesis{respond: func(n int, data []string) (map[int]string, error) {
		if n == 0 {
			return map[int]string{1: "ProvisionedThroughputExceededException", 3: "InternalFailure", 4: "ProvisionedThroughputExceededException"}, nil
		}
		return nil, nil
	}}
	rs := records(6)
	r := send(t, context.Background(), f, Config{StreamName: "s", Concurrency: 1, MaxBatchRecords: 6}, rs)
	if r.err != nil {
		t.Fatal(r.err)
	}
	var resent []string
	for _, req := range f.requests[1:] {
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
	for d, n := range f.stored {
		if n != 1 {
			t.Errorf("%s stored %d times", d, n)
		}
	}
}

func TestWholeRequestErrorsAreRetried(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		throttled int64
		dups      int64
		stored    int // times each record ends up stored
	}{
		{"throttled", &smithy.GenericAPIError{Code: "ProvisionedThroughputExceededException", Message: "slow down"}, 4, 0, 1},
		{"kms throttled", &smithy.GenericAPIError{Code: "KMSThrottlingException"}, 4, 0, 1},
		{"internal failure", &smithy.GenericAPIError{Code: "InternalFailure"}, 0, 0, 1},
		{"lost response after storing", errLostAfterStore, 0, 4, 2},
		{"timeout", context.DeadlineExceeded, 0, 4, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeKinesis{respond: func(n int, data []string) (map[int]string, error) {
				if n == 0 {
					return nil, tt.err
				}
				return nil, nil
			}}
			r := send(t, context.Background(), f, Config{StreamName: "s", Concurrency: 1, MaxBatchRecords: 4}, records(4))
			if r.err != nil || r.stats.Sent != 4 || r.stats.Retries != 4 {
				t.Fatalf("err %v stats %+v", r.err, r.stats)
			}
			if r.stats.Throttled != tt.throttled || r.stats.PossibleDuplicates != tt.dups {
				t.Fatalf("throttled %d dups %d, want %d %d", r.stats.Throttled, r.stats.PossibleDuplicates, tt.throttled, tt.dups)
			}
			for d, n := range f.stored {
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
	f := &fakeKinesis{respond: func(n int, data []string) (map[int]string, error) {
		if n < 3 {
			return nil, errLostAfterStore
		}
		return nil, nil
	}}
	r := send(t, context.Background(), f, Config{StreamName: "s", Concurrency: 1}, records(1))
	if r.stats.Sent != 1 || r.stats.PossibleDuplicates != 3 || r.stats.Retries != 3 || f.stored[`{"n":0}`] != 4 {
		t.Fatalf("stats %+v", r.stats)
	}
}

func TestFatalErrorStopsAndRejectsEverything(t *testing.T) {
	for _, code := range []string{"ResourceNotFoundException", "AccessDeniedException", "KMSDisabledException", "ValidationException", "InvalidArgumentException"} {
		t.Run(code, func(t *testing.T) {
			f := &fakeKinesis{respond: func(n int, data []string) (map[int]string, error) {
				return nil, &smithy.GenericAPIError{Code: code, Message: "boom"}
			}}
			r := send(t, context.Background(), f, Config{StreamName: "s", Concurrency: 2}, records(2000))
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
			if len(f.requests) > 4 {
				t.Errorf("%d requests; want at most 2 per worker", len(f.requests))
			}
		})
	}
}

func TestPerRecordFatalCodeStops(t *testing.T) {
	f := &fakeKinesis{respond: func(n int, data []string) (map[int]string, error) {
		return map[int]string{0: "KMSAccessDeniedException"}, nil
	}}
	r := send(t, context.Background(), f, Config{StreamName: "s", Concurrency: 1, MaxBatchRecords: 3}, records(3))
	var fe *FatalError
	if !errors.As(r.err, &fe) || fe.Code != "KMSAccessDeniedException" {
		t.Fatalf("err %v", r.err)
	}
	if r.stats.Sent != 2 || r.stats.Failed != 1 {
		t.Fatalf("stats %+v", r.stats)
	}
}

func TestRetryBudget(t *testing.T) {
	f := &fakeKinesis{respond: func(n int, data []string) (map[int]string, error) {
		failed := map[int]string{}
		for i, d := range data {
			if d == `{"n":2}` {
				failed[i] = "ProvisionedThroughputExceededException"
			}
		}
		return failed, nil
	}}
	r := send(t, context.Background(), f, Config{StreamName: "s", Concurrency: 1, MaxAttempts: 4}, records(5))
	if r.stats.Sent != 4 || r.stats.Failed != 1 {
		t.Fatalf("stats %+v", r.stats)
	}
	reason := r.rejected[`{"n":2}`]
	if !strings.HasPrefix(reason, "gave up after 4 attempts") || !strings.Contains(reason, "ProvisionedThroughputExceededException") {
		t.Fatalf("reason %q", reason)
	}
	if got := len(f.requests); got != 4 {
		t.Fatalf("%d requests, want 4 (1 + 3 retries of the one record)", got)
	}
	for _, req := range f.requests[1:] {
		if len(req) != 1 || req[0] != `{"n":2}` {
			t.Fatalf("retry request %v", req)
		}
	}
}

func TestRetryTimeout(t *testing.T) {
	f := &fakeKinesis{respond: func(n int, data []string) (map[int]string, error) {
		return nil, &smithy.GenericAPIError{Code: "InternalFailure"}
	}}
	start := time.Now()
	r := send(t, context.Background(), f, Config{StreamName: "s", Concurrency: 1, RetryTimeout: 50 * time.Millisecond, BaseBackoff: 5 * time.Millisecond, MaxBackoff: 10 * time.Millisecond}, records(3))
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
	f := &fakeKinesis{respond: func(n int, data []string) (map[int]string, error) {
		if n == 0 {
			return nil, nil
		}
		if n == 1 {
			cancel()
		}
		<-release
		return nil, nil
	}}
	go func() { time.Sleep(50 * time.Millisecond); close(release) }()
	r := send(t, ctx, f, Config{StreamName: "s", Concurrency: 2, MaxBatchRecords: 10}, records(1000))
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
	f := &fakeKinesis{respond: func(n int, data []string) (map[int]string, error) {
		cancel()
		time.Sleep(time.Second) // a hung request: the fake then checks ctx
		return nil, nil
	}}
	start := time.Now()
	r := send(t, ctx, f, Config{StreamName: "s", Concurrency: 1, ShutdownTimeout: 20 * time.Millisecond}, records(10))
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
	f := &fakeKinesis{respond: func(n int, data []string) (map[int]string, error) {
		mu.Lock()
		for _, d := range data {
			inflight += len(d)
		}
		peak = max(peak, inflight)
		mu.Unlock()
		time.Sleep(time.Millisecond)
		mu.Lock()
		for _, d := range data {
			inflight -= len(d)
		}
		mu.Unlock()
		return nil, nil
	}}
	rs := make([]*Record, 300)
	for i := range rs {
		rs[i] = &Record{Source: "-", Line: int64(i + 1), Data: []byte(fmt.Sprintf("%04d%s", i, strings.Repeat("x", 10<<10))), Key: "k"}
	}
	r := send(t, context.Background(), f, Config{StreamName: "s", Concurrency: 8, MaxBytesInFlight: 100 << 10}, rs)
	if r.stats.Sent != 300 {
		t.Fatalf("stats %+v", r.stats)
	}
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
