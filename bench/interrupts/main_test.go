package main

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// TestInterruptsResumeExactlyOnce is the fast version of the benchmark: a
// few runs over a small input, each interrupted at random moments and
// resumed until done; every line must be stored exactly once. Set
// LDEXPORT_TEST_INTERRUPTS_RUNS (e.g. 20) for the full measurement.
func TestInterruptsResumeExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ldexport and runs it several times")
	}
	cfg := Config{Runs: 3, Lines: 3000, Seed: 42, MinDelay: 50 * time.Millisecond,
		LatencyMin: 50 * time.Millisecond, LatencyMax: 200 * time.Millisecond, MaxAttempts: 100, Concurrency: 2}
	if n, err := strconv.Atoi(os.Getenv("LDEXPORT_TEST_INTERRUPTS_RUNS")); err == nil && n > 0 {
		cfg.Runs, cfg.Lines, cfg.Concurrency = n, 20000, 4
	}
	cfg.Log = testWriter{t}
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	if res.Lost != 0 || res.Duplicated != 0 || res.Unexpected != 0 || res.Stored != cfg.Runs*cfg.Lines {
		t.Fatalf("lost %d, duplicated %d, unexpected %d, stored %d of %d", res.Lost, res.Duplicated, res.Unexpected, res.Stored, cfg.Runs*cfg.Lines)
	}
	if res.Rejected != 0 {
		t.Fatalf("%d bytes in reject files", res.Rejected)
	}
	if res.RunsHit != cfg.Runs || res.MidFlight == 0 {
		t.Fatalf("%d of %d runs interrupted, %d with records in flight: the test did not test what it says", res.RunsHit, cfg.Runs, res.MidFlight)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
