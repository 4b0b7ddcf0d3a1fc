package ingest

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/ldexport/ldexport/pkg/quantity"
	"github.com/ldexport/ldexport/pkg/sender"
	"github.com/muesli/termenv"
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

// Styles colour the state names of the text summary.
type Styles struct{ Good, Bad, Warn, Label lipgloss.Style }

// NewStyles returns the summary's styles for w: colours when colour is
// on, plain text otherwise.
func NewStyles(w io.Writer, colour bool) Styles {
	r := lipgloss.NewRenderer(w)
	r.SetColorProfile(termenv.Ascii)
	if colour {
		r.SetColorProfile(termenv.ANSI256)
	}
	return Styles{
		Good:  r.NewStyle().Foreground(lipgloss.Color("42")),
		Bad:   r.NewStyle().Foreground(lipgloss.Color("196")),
		Warn:  r.NewStyle().Foreground(lipgloss.Color("214")),
		Label: r.NewStyle(),
	}
}

// WriteText prints the outcome on w, one state a line, each count once and
// in this order: delivered, rejected (invalid or given up, in the reject
// file), stopped before delivery (in the reject file), left for the next
// run (checkpoint), not read (the lines from which an input was never
// read); then the request counts. What an earlier run did comes right
// after the delivered line.
func (s *Summary) WriteText(w io.Writer, st Styles) {
	line := func(style lipgloss.Style, label, format string, args ...any) {
		fmt.Fprintf(w, "%s %s\n", style.Render(fmt.Sprintf("%-13s", label)), fmt.Sprintf(format, args...))
	}
	rate := fmt.Sprintf("in %.1fs, %.0f records/s", s.DurationSeconds, s.RecordsPerSecond)
	switch {
	case s.DryRun:
		line(st.Good, "Dry run", "%d of %d records valid (%s), would go to %s; nothing sent", s.Sent, s.Records, quantity.FormatBytes(s.Bytes), s.Stream)
	case s.Records == 0 && s.Skipped > 0 && s.Complete:
		line(st.Good, "Nothing to do", "checkpoint %s records all %d records of these inputs as done", s.Checkpoint, s.Skipped)
	default:
		packed := ""
		if s.KinesisRecords != nil { // Aggregate
			packed = fmt.Sprintf(" in %d KPL aggregated Kinesis records", *s.KinesisRecords)
		}
		line(st.Good, "Delivered", "%d of %d records (%s)%s to %s %s", s.Sent, s.Records, quantity.FormatBytes(s.Bytes), packed, s.Stream, rate)
	}
	if s.Skipped > 0 && !(s.Records == 0 && s.Complete) {
		line(st.Label, "Already done", "%s, by an earlier run (checkpoint %s)", records(s.Skipped), s.Checkpoint)
	}
	if n := s.Invalid + s.GivenUp; n > 0 {
		var parts []string
		if s.Invalid > 0 {
			parts = append(parts, fmt.Sprintf("%d invalid", s.Invalid))
		}
		if s.GivenUp > 0 {
			parts = append(parts, fmt.Sprintf("%d given up after retries", s.GivenUp))
		}
		where := ", written to " + s.RejectFile
		if s.RejectFile == "" { // the invalid line that stopped an OnInvalid fail run is not written
			where = ""
		}
		line(st.Bad, "Rejected", "%s: %s%s", records(n), strings.Join(parts, ", "), where)
	}
	if s.Stopped > 0 {
		line(st.Bad, "Not delivered", "%s, stopped before delivery, written to %s to send again", records(s.Stopped), s.RejectFile)
	}
	if s.LeftForNextRun > 0 {
		line(st.Warn, "Left", "%s for the next run: progress saved in %s; run the same command to send them", records(s.LeftForNextRun), filepath.Clean(s.Checkpoint))
	}
	if len(s.Unread) > 0 {
		line(st.Warn, "Not read", "%s", s.UnreadText())
	}
	if !s.DryRun && s.Requests > 0 {
		line(st.Label, "Requests", "%d, %d retries, %d throttled, %d possible duplicates", s.Requests, s.Retries, s.Throttled, s.PossibleDuplicates)
	}
}

// UnreadText names the lines never read: "a.ndjson from line 7, standard
// input from line 1".
func (s *Summary) UnreadText() string {
	parts := make([]string, len(s.Unread))
	for i, u := range s.Unread {
		parts[i] = fmt.Sprintf("%s from line %d", DisplayName(u.File), u.FromLine)
	}
	return strings.Join(parts, ", ")
}

// DisplayName names an input for people: "standard input" for "-".
func DisplayName(file string) string {
	if file == "-" {
		return "standard input"
	}
	return file
}

// records says "1 record" or "n records".
func records(n int64) string {
	if n == 1 {
		return "1 record"
	}
	return fmt.Sprintf("%d records", n)
}

// Counts says what a stopped run delivered and what became of the rest,
// each count once: "900 of 2000 records delivered, 1100 not delivered"; a
// dry run, which delivers nothing, says how many were valid.
func (s *Summary) Counts() string {
	if s.DryRun {
		return fmt.Sprintf("dry run, %d of %d records valid; nothing sent", s.Sent, s.Records)
	}
	msg := fmt.Sprintf("%d of %d records delivered", s.Sent, s.Records)
	if s.LeftForNextRun > 0 {
		msg += fmt.Sprintf(", %d left for the next run", s.LeftForNextRun)
	}
	if n := s.Failed - s.LeftForNextRun; n > 0 {
		msg += fmt.Sprintf(", %d not delivered", n)
	}
	return msg
}

// Whereabouts says, after an error line, where the records not delivered
// are: "; lines not delivered are in PATH" (a dry run's are only rejected:
// "; rejected lines are in PATH"; or, when counted says no text summary
// gave the count, "; N lines written to PATH"), and how to go on from a
// checkpoint.
func (s *Summary) Whereabouts(counted bool) string {
	note := ""
	switch {
	case s.RejectLines > 0 && counted && s.DryRun:
		note = "; rejected lines are in " + s.RejectFile
	case s.RejectLines > 0 && counted:
		note = "; lines not delivered are in " + s.RejectFile
	case s.RejectLines > 0:
		note = fmt.Sprintf("; %d lines written to %s", s.RejectLines, s.RejectFile)
	}
	if s.Checkpoint != "" {
		note += fmt.Sprintf("; progress saved in %s: run the same command to send the rest", filepath.Clean(s.Checkpoint))
	}
	return note
}
