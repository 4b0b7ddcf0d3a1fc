package ingest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ldexport/ldexport/pkg/ingest/ingesttest"
	"github.com/ldexport/ldexport/pkg/kinesistest"
	"github.com/ldexport/ldexport/pkg/ndjson"
	"github.com/ldexport/ldexport/pkg/partitionkey"
	"github.com/ldexport/ldexport/pkg/sender"
)

// TestRecycledRecordsKeepEveryLine: lines of every size from a few bytes to
// past the pool's 4 KiB buffers, mixed at random so that records come back
// from the pool with buffers too small, just right and too large for the
// next line (30,000 lines, several times the 8,192 records held at once, so
// most records are reused), with record failures, plain and aggregated: the
// stream holds every line once, byte for byte. Under --aggregate the pool
// keeps no buffer: those of acknowledged user records are slices of their
// aggregate's.
func TestRecycledRecordsKeepEveryLine(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	lines := make([]string, 30000)
	for i := range lines {
		size := rng.IntN(600)
		if rng.IntN(10) == 0 {
			size = rng.IntN(6000)
		}
		lines[i] = fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("p", size))
	}
	for _, aggregate := range []bool{false, true} {
		t.Run(fmt.Sprintf("aggregate %v", aggregate), func(t *testing.T) {
			srv := kinesistest.NewServer(kinesistest.Options{Seed: 9, Faults: kinesistest.Faults{RecordFailure: 0.1}})
			defer srv.Close()
			if err := srv.CreateStream("s", 2); err != nil {
				t.Fatal(err)
			}
			var pool *recordPool
			newPool := newRecordPool
			newRecordPool = func(keepData bool) *recordPool { pool = newPool(keepData); return pool }
			defer func() { newRecordPool = newPool }()
			j := Job{Stdin: strings.NewReader(strings.Join(lines, "\n")), Aggregate: aggregate, Rejects: filepath.Join(t.TempDir(), "rej"),
				Limits: Limits{Concurrency: 8, RetryTimeout: 10 * time.Minute}}
			c := run(t, t.Context(), j, srv.NewClient(), false)
			if c.err != nil {
				t.Fatalf("%v: %s", c.err, c.notes)
			}
			if s := c.summary(); s.Sent != int64(len(lines)) {
				t.Fatalf("summary %+v", s)
			}
			got := ingesttest.Count(userRecords(t, ingesttest.StoredData(srv)))
			for _, l := range lines {
				got[l]--
			}
			for d, n := range got {
				if n != 0 {
					t.Fatalf("line %.40s… stored %d times too many", d, n)
				}
			}
			if st := srv.Stats(); st.Faults.RecordFailures == 0 {
				t.Fatalf("no record failure injected (%+v)", st.Faults)
			}
			// Reading waits for acknowledgements (several times over
			// without --aggregate), and these fill the pool first.
			if pool.reused == 0 || !aggregate && pool.reused < len(lines)/4 || (pool.refilled == 0) != aggregate {
				t.Fatalf("%d records and %d buffers reused for %d lines", pool.reused, pool.refilled, len(lines))
			}
			if aggregate {
				pool.mu.Lock()
				defer pool.mu.Unlock()
				for _, r := range pool.free {
					if r.Data != nil || pool.bytes != 0 {
						t.Fatalf("the pool keeps a buffer of %d bytes under --aggregate (%d in all)", cap(r.Data), pool.bytes)
					}
				}
			}
		})
	}
}

// TestNewRecordReusesWhatFits: a record from the pool is always reused; its
// buffer only for a line it fits (at most an eighth plus 64 bytes too
// large), so that a short line does not hold a long line's buffer.
func TestNewRecordReusesWhatFits(t *testing.T) {
	keys, err := partitionkey.New("", 1)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		bufCap, line int
		reused       bool
	}{
		{448, 429, true},
		{448, 448, true},
		{448, 449, false}, // too small
		{448, 344, true},  // 104 bytes over, 344/8 + 64 = 107 allowed
		{448, 340, false}, // 108 over, 106 allowed
		{80, 10, false},   // 70 over, 65 allowed
		{75, 10, true},
		{0, 10, false},
	}
	for _, tt := range tests {
		pool := newRecordPool(true)
		old := &sender.Record{Line: 99, Data: make([]byte, 0, tt.bufCap), Key: "old"}
		pool.put([]*sender.Record{old})
		r := &reader{job: &Job{Keys: keys}, pool: pool}
		line := ndjson.Line{Source: "in", Number: 3, Data: bytes.Repeat([]byte("x"), tt.line)}
		rec := r.newRecord(line, "k")
		if rec != old || rec.Line != 3 || rec.Key != "k" || !bytes.Equal(rec.Data, line.Data) {
			t.Fatalf("cap %d, line %d: got record %p (pooled %p) line %d key %q", tt.bufCap, tt.line, rec, old, rec.Line, rec.Key)
		}
		if reused := tt.bufCap > 0 && cap(rec.Data) == tt.bufCap; reused != tt.reused {
			t.Errorf("cap %d, line %d: buffer reused %v, want %v", tt.bufCap, tt.line, reused, tt.reused)
		}
	}
}

// TestRecordPoolBounds: the pool keeps at most 4,096 records and 2 MiB of
// their buffers, and never a buffer over 4 KiB.
func TestRecordPoolBounds(t *testing.T) {
	pool := newRecordPool(true)
	recs := make([]*sender.Record, 5000)
	for i := range recs {
		recs[i] = &sender.Record{Data: make([]byte, 0, 1024)}
	}
	recs[0].Data = make([]byte, 0, 5000)
	pool.put(recs)
	held := 0
	for _, r := range pool.free {
		held += cap(r.Data)
	}
	if len(pool.free) != poolRecords || held != pool.bytes || held > poolBytes || cap(recs[0].Data) != 0 {
		t.Fatalf("%d records, %d bytes held (counted %d), first buffer %d", len(pool.free), held, pool.bytes, cap(recs[0].Data))
	}
	spare := pool.take(nil, 3000)
	for _, r := range spare {
		held -= cap(r.Data)
	}
	if len(spare) != 3000 || len(pool.free) != poolRecords-3000 || pool.bytes != held || held == 0 {
		t.Fatalf("took %d, %d left, %d bytes", len(spare), len(pool.free), pool.bytes)
	}
}
