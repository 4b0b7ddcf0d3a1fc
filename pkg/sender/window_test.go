package sender

import (
	"context"
	"errors"
	"math"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// overloadedKinesis answers its first `failing` requests with fail() and the
// others with success, each after a short delay, and records how many
// requests were in flight when each one arrived.
type overloadedKinesis struct {
	failing int
	fail    func() error

	mu       sync.Mutex
	n        int
	inflight int
	seen     []int // requests in flight, as each request arrived
	stored   map[string]int
}

func (k *overloadedKinesis) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	k.mu.Lock()
	k.n++
	n := k.n
	k.inflight++
	k.seen = append(k.seen, k.inflight)
	k.mu.Unlock()
	time.Sleep(2 * time.Millisecond)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.inflight--
	if n <= k.failing {
		return nil, k.fail()
	}
	if k.stored == nil {
		k.stored = map[string]int{}
	}
	out := &kinesis.PutRecordsOutput{}
	for _, e := range in.Records {
		k.stored[string(e.Data)]++
		out.Records = append(out.Records, types.PutRecordsResultEntry{ShardId: aws.String("shardId-000000000000"), SequenceNumber: aws.String("1")})
	}
	return out, nil
}

func http5xx() error {
	return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusServiceUnavailable}}, Err: errors.New("service unavailable")}
}

// Overload (5xx, timeouts) cuts the requests in flight, like a throttle, and
// the window grows back one request at a time once answers are good again.
func TestOverloadCutsRequestsInFlight(t *testing.T) {
	for _, tt := range []struct {
		name string
		fail func() error
	}{
		{"HTTP 503", http5xx},
		{"timeout", func() error { return context.DeadlineExceeded }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			k := &overloadedKinesis{failing: 24, fail: tt.fail}
			rs := make([]*Record, 4000)
			for i := range rs {
				rs[i] = &Record{Source: "-", Line: int64(i + 1), Data: []byte{byte(i), byte(i >> 8)}, Key: "k"}
			}
			r := send(t, context.Background(), k, Config{StreamName: "s", Concurrency: 8, MaxBatchRecords: 10, ShardRecordsPerSecond: 1 << 20}, rs)
			if r.err != nil || r.stats.Sent != 4000 || len(k.stored) != 4000 {
				t.Fatalf("err %v, stats %+v, %d stored", r.err, r.stats, len(k.stored))
			}
			for d, n := range k.stored {
				if n != 1 {
					t.Fatalf("record %q stored %d times", d, n)
				}
			}
			seen := k.seen
			peak := func(from, to int) int {
				m := 0
				for _, v := range seen[from:min(to, len(seen))] {
					m = max(m, v)
				}
				return m
			}
			first := peak(0, 8)
			// Right after the failures the window is cut to a few requests...
			after := peak(k.failing, k.failing+8)
			// ...grows back gradually...
			full := k.failing
			for full < len(seen) && seen[full] < 8 {
				full++
			}
			// ...and by the end it is whole again.
			last := peak(len(seen)-40, len(seen))
			t.Logf("requests in flight: %d at the start, %d after %d overloaded answers, 8 again %d requests later, %d at the end (%d requests)", first, after, k.failing, full-k.failing, last, len(seen))
			if first < 6 {
				t.Errorf("only %d requests in flight at the start, want about 8", first)
			}
			if after > 4 {
				t.Errorf("%d requests in flight after the endpoint was overloaded, want at most 4", after)
			}
			if full-k.failing < 16 {
				t.Errorf("the window was whole again %d requests after the overload, want a gradual recovery (16 or more)", full-k.failing)
			}
			if last < 6 {
				t.Errorf("%d requests in flight at the end, want the window grown back to about 8", last)
			}
		})
	}
}

// A 5xx lowers the pacing rate as a throttle does (stream mode: from no
// limit to a finite rate).
func TestOverloadLowersPacingRate(t *testing.T) {
	k := &overloadedKinesis{failing: 2, fail: http5xx}
	s := New(context.Background(), k, Config{StreamName: "s", Concurrency: 2, MaxBatchRecords: 10, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}, func(*Record, string) {
		t.Error("a record was rejected")
	})
	for i := 0; i < 100; i++ {
		if err := s.Put(&Record{Source: "-", Line: int64(i + 1), Data: []byte{byte(i)}, Key: "k"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The dispatcher has stopped: its pacer can be read.
	if l := s.disp.pace.lanes[0]; math.IsInf(l.rate, 1) || l.throttledN == 0 {
		t.Errorf("after HTTP 503s the pacing rate is %v (%d throttle signals), want a finite rate", l.rate, l.throttledN)
	}
}
