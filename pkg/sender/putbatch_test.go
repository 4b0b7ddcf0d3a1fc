package sender

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// collect is a RejectFunc that keeps each rejected record's reason.
type collect struct {
	mu  sync.Mutex
	why map[string]string
}

func (c *collect) reject(r *Record, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.why == nil {
		c.why = map[string]string{}
	}
	c.why[string(r.Data)] = reason
}

func (c *collect) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.why)
}

// Records handed over in batches are all delivered, each once, and in the
// order handed over (one request at a time, so the order is observable).
func TestPutBatchDelivers(t *testing.T) {
	f := newFake(t, 1, nil)
	var rej collect
	s := New(context.Background(), f.client(), Config{StreamName: "s", Concurrency: 1}, rej.reject)
	rs := records(1000)
	for i := range rs {
		rs[i].Key = "same"
	}
	for i := 0; i < len(rs); i += 64 {
		if err := s.PutBatch(append([]*Record(nil), rs[i:min(i+64, len(rs))]...)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil || s.Stats().Sent != 1000 || rej.count() != 0 {
		t.Fatalf("err %v stats %+v rejected %d", err, s.Stats(), rej.count())
	}
	var got []string
	for _, req := range f.log() {
		got = append(got, req...)
	}
	if len(got) != len(rs) {
		t.Fatalf("%d records stored, want %d", len(got), len(rs))
	}
	for i, d := range got {
		if want := fmt.Sprintf(`{"n":%d}`, i); d != want {
			t.Fatalf("record %d stored as %s, want %s", i, d, want)
		}
	}
}

// A batch handed over after Close, or after an interrupt, is rejected whole,
// each record with the reason.
func TestPutBatchAfterStopRejectsAll(t *testing.T) {
	f := newFake(t, 1, nil)
	var rej collect
	s := New(context.Background(), f.client(), Config{StreamName: "s"}, rej.reject)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBatch(records(5)); !errors.Is(err, ErrClosed) || rej.count() != 5 || s.Stats().Failed != 5 {
		t.Fatalf("after Close: err %v, %d rejected, stats %+v", err, rej.count(), s.Stats())
	}

	ctx, cancel := context.WithCancel(context.Background())
	var rej2 collect
	s = New(ctx, f.client(), Config{StreamName: "s"}, rej2.reject)
	cancel()
	<-s.Stopped()
	err := s.PutBatch(records(7))
	_ = s.Close()
	if !errors.Is(err, context.Canceled) && !errors.Is(err, ErrInterrupted) {
		t.Fatalf("after an interrupt: err %v", err)
	}
	if rej2.count() != 7 || s.Stats().Failed != 7 || s.Stats().Sent != 0 {
		t.Fatalf("after an interrupt: %d rejected, stats %+v", rej2.count(), s.Stats())
	}
	for d, why := range rej2.why {
		if !strings.Contains(why, "interrupted") {
			t.Errorf("%s rejected for %q", d, why)
		}
	}
}

// A batch whose records together weigh more than the whole byte budget is
// handed over one record at a time instead of waiting forever for room
// that can never be free.
func TestPutBatchLargerThanTheBudget(t *testing.T) {
	f := newFake(t, 1, nil)
	var rej collect
	const budget = 64 << 10
	s := New(context.Background(), f.client(), Config{StreamName: "s", MaxBytesInFlight: budget}, rej.reject)
	rs := make([]*Record, 10)
	for i := range rs {
		rs[i] = &Record{Source: "-", Line: int64(i + 1), Data: []byte(fmt.Sprintf("%02d%s", i, strings.Repeat("x", 20<<10))), Key: "k"}
	}
	done := make(chan error, 1)
	go func() { done <- s.PutBatch(rs) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("PutBatch of 200 KiB against a budget of 64 KiB still waits after 10 s")
	}
	if err := s.Close(); err != nil || s.Stats().Sent != 10 || rej.count() != 0 {
		t.Fatalf("err %v stats %+v rejected %d", err, s.Stats(), rej.count())
	}
}
