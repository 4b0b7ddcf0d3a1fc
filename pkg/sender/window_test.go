package sender

import (
	"context"
	"math"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/kinesistest"
)

// overloaded is stream "s" on a pkg/kinesistest server whose first
// `failing` PutRecords requests fail, as fail says, and the others are
// stored, each after a short delay; it records how many requests were in
// flight when each one arrived.
type overloaded struct {
	*fakeKinesis
	failing int
	fail    func(*kinesistest.Call) kinesistest.Reply

	mu       sync.Mutex
	inflight int
	seen     []int // requests in flight, as each request arrived
}

func newOverloaded(t *testing.T, failing int, fail func(*kinesistest.Call) kinesistest.Reply) *overloaded {
	k := &overloaded{failing: failing, fail: fail}
	k.fakeKinesis = newFake(t, 1, k.answer)
	return k
}

func (k *overloaded) answer(c *kinesistest.Call) kinesistest.Reply {
	k.mu.Lock()
	k.inflight++
	k.seen = append(k.seen, k.inflight)
	k.mu.Unlock()
	defer func() {
		k.mu.Lock()
		k.inflight--
		k.mu.Unlock()
	}()
	if c.N < k.failing {
		return k.fail(c)
	}
	time.Sleep(2 * time.Millisecond)
	return kinesistest.Reply{}
}

// http503 is a load balancer's answer to an overloaded endpoint, after 50ms
// (long enough for the first requests to be in flight together, even on a
// busy machine).
func http503(*kinesistest.Call) kinesistest.Reply {
	time.Sleep(50 * time.Millisecond)
	return kinesistest.Reply{Status: http.StatusServiceUnavailable, ContentType: "text/html", Body: []byte("<html>503 Service Unavailable</html>")}
}

// noAnswer holds the request until the client gives up.
func noAnswer(c *kinesistest.Call) kinesistest.Reply {
	<-c.Context.Done()
	return kinesistest.Reply{Hang: true}
}

// Overload (5xx, timeouts) cuts the requests in flight, like a throttle, and
// the window grows back one request at a time once answers are good again.
func TestOverloadCutsRequestsInFlight(t *testing.T) {
	for _, tt := range []struct {
		name           string
		fail           func(*kinesistest.Call) kinesistest.Reply
		requestTimeout time.Duration
	}{
		{"HTTP 503", http503, 0},
		// Long enough that a request answered in 2ms seldom times out on a
		// busy machine (it would be sent again and stored twice).
		{"timeout", noAnswer, 250 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			k := newOverloaded(t, 24, tt.fail)
			rs := make([]*Record, 4000)
			for i := range rs {
				rs[i] = &Record{Source: "-", Line: int64(i + 1), Data: []byte{byte(i), byte(i >> 8)}, Key: "k"}
			}
			cfg := Config{StreamName: "s", Concurrency: 8, MaxBatchRecords: 10, ShardRecordsPerSecond: 1 << 20, RequestTimeout: tt.requestTimeout}
			r := send(t, context.Background(), k.client(), cfg, rs)
			stored := k.stored()
			if r.err != nil || r.stats.Sent != 4000 || len(stored) != 4000 {
				t.Fatalf("err %v, stats %+v, %d stored", r.err, r.stats, len(stored))
			}
			for d, n := range stored {
				// A request that outlives the client's timeout on a loaded
				// machine may be stored and then sent again: at least once is
				// Kinesis's promise then, exactly once only without timeouts.
				if n != 1 && (tt.requestTimeout == 0 || n > 2) {
					t.Fatalf("record %q stored %d times (stats %+v)", d, n, r.stats)
				}
			}
			k.mu.Lock()
			seen := slices.Clone(k.seen)
			k.mu.Unlock()
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
	k := newOverloaded(t, 2, http503)
	s := New(context.Background(), k.client(), Config{StreamName: "s", Concurrency: 2, MaxBatchRecords: 10, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}, func(*Record, string) {
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
