package send

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/muesli/termenv"
)

// summaryView is what the text summary needs besides the counts.
type summaryView struct {
	stream     string
	dryRun     bool
	rejectPath string // where rejected lines went ("" if none)
	checkpoint string // --checkpoint PATH ("" without one)
	complete   bool   // the checkpoint records every line of the inputs as done
}

// summaryStyles colours the state names on a colour terminal.
type summaryStyles struct{ good, bad, warn, label lipgloss.Style }

func newSummaryStyles(ios *iostreams.IOStreams, w io.Writer) summaryStyles {
	r := lipgloss.NewRenderer(w)
	r.SetColorProfile(termenv.Ascii)
	if ios.ErrColorEnabled() {
		r.SetColorProfile(termenv.ANSI256)
	}
	return summaryStyles{
		good:  r.NewStyle().Foreground(lipgloss.Color("42")),
		bad:   r.NewStyle().Foreground(lipgloss.Color("196")),
		warn:  r.NewStyle().Foreground(lipgloss.Color("214")),
		label: r.NewStyle(),
	}
}

// writeSummary prints the run's outcome on w, one state a line, each count
// once and in this order: delivered, rejected (invalid or given up, in the
// reject file), stopped before delivery (in the reject file), left for the
// next run (checkpoint), not read (the lines from which an input was never
// read); then the request counts. What an earlier run did comes right after
// the delivered line.
func writeSummary(w io.Writer, st summaryStyles, s Summary, v summaryView) {
	line := func(style lipgloss.Style, label, format string, args ...any) {
		fmt.Fprintf(w, "%s %s\n", style.Render(fmt.Sprintf("%-13s", label)), fmt.Sprintf(format, args...))
	}
	rate := fmt.Sprintf("in %.1fs, %.0f records/s", s.DurationSeconds, s.RecordsPerSecond)
	switch {
	case v.dryRun:
		line(st.good, "Dry run", "%d of %d records valid (%s), would go to %s; nothing sent", s.Sent, s.Records, humanBytes(s.Bytes), v.stream)
	case s.Records == 0 && s.Skipped > 0 && v.complete:
		line(st.good, "Nothing to do", "checkpoint %s records all %d records of these inputs as done", v.checkpoint, s.Skipped)
	default:
		packed := ""
		if s.KinesisRecords != nil { // --aggregate
			packed = fmt.Sprintf(" in %d KPL aggregated Kinesis records", *s.KinesisRecords)
		}
		line(st.good, "Delivered", "%d of %d records (%s)%s to %s %s", s.Sent, s.Records, humanBytes(s.Bytes), packed, v.stream, rate)
	}
	if s.Skipped > 0 && !(s.Records == 0 && v.complete) {
		line(st.label, "Already done", "%s, by an earlier run (checkpoint %s)", records(s.Skipped), v.checkpoint)
	}
	if n := s.Invalid + s.GivenUp; n > 0 {
		var parts []string
		if s.Invalid > 0 {
			parts = append(parts, fmt.Sprintf("%d invalid", s.Invalid))
		}
		if s.GivenUp > 0 {
			parts = append(parts, fmt.Sprintf("%d given up after retries", s.GivenUp))
		}
		where := ", written to " + v.rejectPath
		if v.rejectPath == "" { // the invalid line that stopped an --on-invalid fail run is not written
			where = ""
		}
		line(st.bad, "Rejected", "%s: %s%s", records(n), strings.Join(parts, ", "), where)
	}
	if s.Stopped > 0 {
		line(st.bad, "Not delivered", "%s, stopped before delivery, written to %s to send again", records(s.Stopped), v.rejectPath)
	}
	if s.LeftForNextRun > 0 {
		line(st.warn, "Left", "%s for the next run: progress saved in %s; run the same command to send them", records(s.LeftForNextRun), filepath.Clean(v.checkpoint))
	}
	if len(s.Unread) > 0 {
		parts := make([]string, len(s.Unread))
		for i, u := range s.Unread {
			parts[i] = fmt.Sprintf("%s from line %d", displayName(u.File), u.FromLine)
		}
		line(st.warn, "Not read", "%s", strings.Join(parts, ", "))
	}
	if !v.dryRun && s.Requests > 0 {
		line(st.label, "Requests", "%d, %d retries, %d throttled, %d possible duplicates", s.Requests, s.Retries, s.Throttled, s.PossibleDuplicates)
	}
}

// records says "1 record" or "n records".
func records(n int64) string {
	if n == 1 {
		return "1 record"
	}
	return fmt.Sprintf("%d records", n)
}

// printSummary prints the summary: as text on stderr, or with -o json/yaml
// on stdout. quiet leaves out the text of a run that delivered everything.
func printSummary(ios *iostreams.IOStreams, format output.Format, s Summary, v summaryView, named int, quiet bool) error {
	if named > maxShownRejects {
		fmt.Fprintf(ios.ErrOut, "... and %d more rejected lines\n", named-maxShownRejects)
	}
	if format != output.Table {
		if s.RejectFile != "" {
			fmt.Fprintf(ios.ErrOut, "Rejected lines written to %s\n", s.RejectFile)
		}
		return output.Write(ios, format, s, nil)
	}
	if quiet && s.Failed+s.Invalid == 0 && len(s.Unread) == 0 {
		return nil
	}
	writeSummary(ios.ErrOut, newSummaryStyles(ios, ios.ErrOut), s, v)
	return nil
}
