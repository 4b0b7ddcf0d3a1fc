package ingest

import (
	"sync"

	"github.com/ldexport/ldexport/pkg/ndjson"
	"github.com/ldexport/ldexport/pkg/sender"
)

// recordPool takes back the records Kinesis acknowledged, with their data
// buffers, for the reader to fill with new lines: a send then allocates
// neither a Record nor a copy of most lines, and the garbage collector has
// far less to do (a 300,000-record send runs 7 collections instead of 13,
// and spends about 13% less CPU; bench/README.md). The sender does not
// use a record again once OnSent has returned (sender.Config.OnSent).
//
// The pool is bounded in records and in the bytes of their buffers; what
// does not fit is left to the garbage collector.
//
// Under --aggregate it keeps the records but not their Data: a sealed
// aggregate's user records point into the aggregate's one buffer
// (sender's aggregator.seal), and a pooled slice of it would keep all of
// it (~50 KB) alive while counting only its own few bytes.
type recordPool struct {
	keepData bool

	mu    sync.Mutex
	free  []*sender.Record
	bytes int // the capacity of the free records' Data

	// What the reader took from the pool: records, and buffers that fit.
	// Written by the reader alone, for tests to read after the run.
	reused, refilled int
}

// newRecordPool returns a job's pool; keepData says whether it keeps
// Data buffers. A variable so that tests can see the pool a job uses.
var newRecordPool = func(keepData bool) *recordPool { return &recordPool{keepData: keepData} }

const (
	poolRecords = 4096
	poolBytes   = 2 << 20
	// A Data buffer larger than poolData goes back without it.
	poolData = 4 << 10
)

// fits reports whether a buffer of capacity c may take a line of n bytes:
// one at most an eighth plus 64 bytes too large, no more than the garbage
// collector's own size classes waste, so that a record holds little more
// than its share of the byte budget (its line plus a Record's bookkeeping)
// also where that share has no floor (--aggregate).
func fits(c, n int) bool { return c >= n && c-n <= n/8+64 }

// put takes back the records of one acknowledgement.
func (p *recordPool) put(recs []*sender.Record) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range recs {
		if len(p.free) >= poolRecords {
			return
		}
		if !p.keepData || cap(r.Data) > poolData || p.bytes+cap(r.Data) > poolBytes {
			r.Data = nil
		}
		p.bytes += cap(r.Data)
		p.free = append(p.free, r)
	}
}

// take appends up to n free records to spare.
func (p *recordPool) take(spare []*sender.Record, n int) []*sender.Record {
	p.mu.Lock()
	defer p.mu.Unlock()
	from := max(len(p.free)-n, 0)
	for _, r := range p.free[from:] {
		p.bytes -= cap(r.Data)
	}
	spare = append(spare, p.free[from:]...)
	clear(p.free[from:]) // no pointer kept to a record the reader owns
	p.free = p.free[:from]
	return spare
}

// newRecord returns the record of line, with its own copy of the line:
// a record from the pool where there is one, with its buffer if that fits.
func (r *reader) newRecord(line ndjson.Line, key string) *sender.Record {
	if len(r.spare) == 0 && r.pool != nil {
		r.spare = r.pool.take(r.spare, handOverRecords)
	}
	var rec *sender.Record
	var buf []byte
	if n := len(r.spare); n > 0 {
		rec = r.spare[n-1]
		r.spare[n-1] = nil
		r.spare = r.spare[:n-1]
		if fits(cap(rec.Data), len(line.Data)) {
			buf = rec.Data[:0]
			r.pool.refilled++
		}
		r.pool.reused++
	} else {
		rec = new(sender.Record)
	}
	*rec = sender.Record{Source: line.Source, Line: line.Number, Data: append(buf, line.Data...), Key: key, RandomKey: r.job.Keys.Random()}
	return rec
}
