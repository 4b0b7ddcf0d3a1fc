package ingest

import (
	"time"

	"github.com/ldexport/ldexport/pkg/sender"
)

// Summary is a Job's outcome; its JSON keys are the CLI contract's (`ldexport
// send -o json`). The fields without a JSON key are for the text summary and
// for the commands to send what is left.
type Summary struct {
	Records            int64   `json:"records"`
	Sent               int64   `json:"sent"`
	Failed             int64   `json:"failed"`
	Invalid            int64   `json:"invalid"`
	Bytes              int64   `json:"bytes"`
	Requests           int64   `json:"requests"`
	Retries            int64   `json:"retries"`
	Throttled          int64   `json:"throttled"`
	PossibleDuplicates int64   `json:"possibleDuplicates"`
	DurationSeconds    float64 `json:"durationSeconds"`
	RecordsPerSecond   float64 `json:"recordsPerSecond"`
	// Skipped counts records already done by an earlier run (checkpoint);
	// they are not read again and not counted in Records.
	Skipped int64 `json:"skipped"`
	// Failed records by what became of them: GivenUp (retry budget spent)
	// and Stopped (an interrupt or a fatal error stopped the run first) are
	// in the reject file; LeftForNextRun (stopped, with a checkpoint) are
	// not: the next run sends them. Failed = GivenUp + Stopped + LeftForNextRun.
	GivenUp        int64 `json:"givenUp"`
	Stopped        int64 `json:"stopped"`
	LeftForNextRun int64 `json:"leftForNextRun"`
	// RejectFile is where rejected lines went, when there were any.
	RejectFile string `json:"rejectFile,omitempty"`
	// KinesisRecords (Aggregate only) counts the Kinesis records that
	// carried the Sent user records.
	KinesisRecords *int64 `json:"kinesisRecords,omitempty"`
	// Unread names, per input not read to its end (an interrupt or a stop),
	// the first line never read; absent when every input was read.
	Unread []Unread `json:"unread,omitempty"`
	// Error is why a job that stopped before reading failed (NotStarted):
	// the line the command prints on standard error.
	Error string `json:"error,omitempty"`

	Stream      string   `json:"-"` // the stream sent to
	DryRun      bool     `json:"-"`
	Checkpoint  string   `json:"-"` // the checkpoint's path, "" without one
	Complete    bool     `json:"-"` // the checkpoint records every line of the inputs as done
	RejectLines int      `json:"-"` // lines written (or meant) for the reject file
	Resume      []Resume `json:"-"` // where to start sending each input not done, in order
}

// Unread is an input that was not read to its end: every line from FromLine
// on was never read (and neither sent nor counted). File is "-" for
// standard input.
type Unread struct {
	File     string `json:"file"`
	FromLine int64  `json:"fromLine"`
}

// Resume is where sending an input must start again: a line never read, or
// (FixFirst) an invalid line that stopped the run and must be fixed first.
type Resume struct {
	File     string
	FromLine int64
	FixFirst bool
	Gzipped  bool
}

// summary is the run's outcome from the tracker's counts and the sender's
// request statistics.
func (t *tracker) summary(st sender.Stats, elapsed time.Duration) *Summary {
	s := &Summary{
		Records: t.records.Load(), Sent: t.sent.Load(), Invalid: t.invalid.Load(), Bytes: t.sentBytes.Load(),
		GivenUp: t.givenUp.Load(), Stopped: t.stopped.Load(), LeftForNextRun: t.left.Load(), Skipped: t.skipped.Load(),
		Requests: st.Requests, Retries: st.Retries, Throttled: st.Throttled, PossibleDuplicates: st.PossibleDuplicates,
		DurationSeconds: elapsed.Seconds(),
	}
	s.Failed = s.GivenUp + s.Stopped + s.LeftForNextRun
	if elapsed > 0 {
		s.RecordsPerSecond = float64(s.Sent) / elapsed.Seconds()
	}
	return s
}

// NotStarted is the summary of a job whose Run returned none, because it
// stopped before reading (a refused file, a stream not found or not
// reachable) on err: nothing counted, every input unread from its first
// line, and err's one line.
func (j *Job) NotStarted(err error) *Summary {
	files := j.Inputs
	if len(files) == 0 {
		files = []string{"-"}
	}
	s := &Summary{Stream: j.Target.Stream, DryRun: j.Connect == nil}
	if err != nil {
		s.Error = err.Error()
	}
	for _, f := range files {
		s.Unread = append(s.Unread, Unread{File: f, FromLine: 1})
	}
	return s
}
