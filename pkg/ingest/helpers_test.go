package ingest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/partitionkey"
)

// result is what a Job returned, and what it wrote on Notes.
type result struct {
	sum   *Summary
	err   error
	notes string
}

// summary is the result's summary, zero when the job did not start.
func (r result) summary() Summary {
	if r.sum == nil {
		return Summary{}
	}
	return *r.sum
}

// kind is the Kind of the result's error, -1 for none or another error.
func (r result) kind() Kind {
	var e *Error
	if errors.As(r.err, &e) {
		return e.Kind
	}
	return -1
}

// runJob runs j against k (nil: a dry run), with what the tests share
// filled in: stream "s" in us-east-1, random keys, 2 requests in flight, no
// pacing.
func runJob(t *testing.T, ctx context.Context, j Job, k Kinesis) result {
	t.Helper()
	return run(t, ctx, j, k, false)
}

// run is runJob, pacing each shard when paced.
func run(t *testing.T, ctx context.Context, j Job, k Kinesis, paced bool) result {
	t.Helper()
	if j.Target.Stream == "" {
		j.Target = Target{Stream: "s", Region: "us-east-1"}
	}
	if j.Keys == nil {
		keys, err := partitionkey.New("", 1)
		if err != nil {
			t.Fatal(err)
		}
		j.Keys = keys
	}
	if j.Limits == (Limits{}) {
		j.Limits = Limits{Concurrency: 2, RetryTimeout: time.Minute, ShutdownTimeout: 100 * time.Millisecond}
	}
	j.NoPace = !paced
	if k != nil {
		j.Connect = func(context.Context) (Kinesis, error) { return k, nil }
	}
	var notes bytes.Buffer
	j.Notes = &syncWriter{w: &notes}
	if j.Now == nil {
		j.Now = func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) }
	}
	sum, err := j.Run(ctx)
	if sum != nil && sum.Records != sum.Sent+sum.Failed+sum.Invalid {
		t.Fatalf("records %d != sent %d + failed %d + invalid %d", sum.Records, sum.Sent, sum.Failed, sum.Invalid)
	}
	return result{sum: sum, err: err, notes: notes.String()}
}

// syncWriter serialises writes from the reader and the sender.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
