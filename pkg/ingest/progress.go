package ingest

import (
	"fmt"
	"sync/atomic"

	"github.com/ldexport/ldexport/pkg/sender"
)

// Observer follows a running Job, for example to draw a progress bar. Run
// calls Start once, as reading begins, and Stop once, when every record is
// settled or the run stopped; in between the observer may read p from any
// goroutine.
type Observer interface {
	Start(p *Progress)
	Stop()
}

// Progress is a running Job's progress.
type Progress struct {
	t        *tracker
	snd      *sender.Sender // nil for a dry run
	stopping func() bool
}

// Snapshot is a Job's progress at one moment.
type Snapshot struct {
	// Settled counts the input bytes of the lines whose fate is known
	// (acknowledged, rejected, invalid, done by an earlier run); it never
	// runs ahead of Kinesis's answers. Delivered is the part Kinesis
	// answered for, which a rate is best measured on. Total is the input
	// size, -1 when unknown (standard input, gzip).
	Settled, Delivered, Total int64
	Sent, Retries, Throttled  int64
	Rejected                  int64 // invalid + given up
	// Stopping: an interrupt or a fatal error is ending the run; what
	// settles from then on is not delivery.
	Stopping bool
	DryRun   bool // nothing is sent: Sent counts the valid records
}

// Snapshot returns the progress now.
func (p *Progress) Snapshot() Snapshot {
	t := p.t
	s := Snapshot{
		Settled: t.settled.Load(), Delivered: t.delivered.Load(), Total: t.total,
		Sent:     t.sent.Load(),
		Rejected: t.invalid.Load() + t.givenUp.Load(),
		Stopping: p.stopping(),
		DryRun:   p.snd == nil,
	}
	if p.snd != nil {
		st := p.snd.Stats()
		s.Retries, s.Throttled = st.Retries, st.Throttled
	}
	return s
}

// Counts names the counts of a progress line: "5000 sent · 2 retries · 0
// throttled · 1 rejected", or in a dry run "5000 valid · 1 rejected".
func (s Snapshot) Counts() string {
	if s.DryRun {
		return fmt.Sprintf("%d valid · %d rejected", s.Sent, s.Rejected)
	}
	return fmt.Sprintf("%d sent · %d retries · %d throttled · %d rejected", s.Sent, s.Retries, s.Throttled, s.Rejected)
}

// tracker counts each line's fate for the progress and the summary: the
// reader, the sender's acknowledgements and rejections report to it. A
// line counts once, in the state it ends in.
type tracker struct {
	records atomic.Int64 // non-blank lines read in this run
	skipped atomic.Int64 // records done by an earlier run (checkpoint), not read again

	sent, sentBytes atomic.Int64 // acknowledged by Kinesis (or, in a dry run, valid)
	invalid         atomic.Int64 // invalid lines (reject file under OnInvalid skip)
	givenUp         atomic.Int64 // retry budget spent: in the reject file
	stopped         atomic.Int64 // not delivered because the run stopped: in the reject file
	left            atomic.Int64 // not delivered because the run stopped: left for the next run (checkpoint)

	settled, delivered atomic.Int64 // see Snapshot
	total              int64        // set before the run
}

// lineBytes is what a line occupies in its input: the data and its newline.
func lineBytes(n int) int64 { return int64(n) + 1 }

// acknowledged counts recs, which Kinesis acknowledged.
func (t *tracker) acknowledged(recs []*sender.Record) {
	var data, lines int64
	for _, r := range recs {
		data += int64(len(r.Data))
		lines += lineBytes(len(r.Data))
	}
	t.sent.Add(int64(len(recs)))
	t.sentBytes.Add(data)
	t.settled.Add(lines)
	t.delivered.Add(lines)
}

// rejectKind says why a record handed to the sender was not delivered.
type rejectKind int

const (
	gaveUp         rejectKind = iota // retry budget spent
	stoppedRejects                   // the run stopped; written to the reject file
	stoppedLeft                      // the run stopped; left for the next run
)

// rejected counts a record the sender did not deliver.
func (t *tracker) rejected(r *sender.Record, kind rejectKind) {
	switch kind {
	case gaveUp:
		t.givenUp.Add(1)
	case stoppedRejects:
		t.stopped.Add(1)
	case stoppedLeft:
		t.left.Add(1)
	}
	n := lineBytes(len(r.Data))
	t.settled.Add(n)
	t.delivered.Add(n)
}
