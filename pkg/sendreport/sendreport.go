// Package sendreport words the outcome of a send (an ingest.Summary) for
// people: the text summary, and the counts and whereabouts an error line
// adds. pkg/ingest keeps the data; this package, the wording.
package sendreport

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/ldexport/ldexport/pkg/ingest"
	"github.com/ldexport/ldexport/pkg/quantity"
	"github.com/muesli/termenv"
)

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

// WriteText prints s on w, one state a line, each count once and
// in this order: delivered, rejected (invalid or given up, in the reject
// file), stopped before delivery (in the reject file), left for the next
// run (checkpoint), not read (the lines from which an input was never
// read); then the request counts. What an earlier run did comes right
// after the delivered line.
func WriteText(w io.Writer, s *ingest.Summary, st Styles) {
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
		line(st.Warn, "Not read", "%s", UnreadText(s))
	}
	if !s.DryRun && s.Requests > 0 {
		line(st.Label, "Requests", "%d, %d retries, %d throttled, %d possible duplicates", s.Requests, s.Retries, s.Throttled, s.PossibleDuplicates)
	}
}

// UnreadText names the lines never read: "a.ndjson from line 7, standard
// input from line 1".
func UnreadText(s *ingest.Summary) string {
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
func Counts(s *ingest.Summary) string {
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
func Whereabouts(s *ingest.Summary, counted bool) string {
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
