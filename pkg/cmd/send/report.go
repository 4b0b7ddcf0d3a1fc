package send

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/ingest"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/quote"
	"github.com/ldexport/ldexport/pkg/sender"
	"github.com/ldexport/ldexport/pkg/sendreport"
)

// report prints the summary of a job that ran, and what to do about the
// lines it did not send, and returns the exit error for runErr.
func report(opts *SendOptions, sum *ingest.Summary, runErr error) error {
	ios := opts.IO
	table := opts.Globals.Output == output.Table
	if !table {
		if sum.RejectFile != "" {
			fmt.Fprintf(ios.ErrOut, "Rejected lines written to %s\n", sum.RejectFile)
		}
		if err := output.Write(ios, opts.Globals.Output, sum, nil); err != nil {
			return err
		}
	} else if !opts.Quiet || sum.Failed+sum.Invalid > 0 || len(sum.Unread) > 0 {
		sendreport.WriteText(ios.ErrOut, sum, sendreport.NewStyles(ios.ErrOut, ios.ErrColorEnabled()))
	}
	printResume(opts, sum, table)
	return exitError(runErr, sum, table)
}

// exitError gives a job's error its exit code. After the text summary
// (summarised), which gave every count once, the error line only says what
// happened and where things are; with -o json it is the only text a person
// reads, so it gives the counts too.
func exitError(err error, sum *ingest.Summary, summarised bool) error {
	var e *ingest.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Kind {
	case ingest.BadInput:
		return cmdutil.Usage(e.Err)
	case ingest.Interrupted:
		if sum == nil {
			return &cmdutil.ExitError{Code: cmdutil.ExitInterrupted, Err: e.Err}
		}
		msg := "interrupted"
		if !summarised {
			msg += ": " + sendreport.Counts(sum)
		}
		return &cmdutil.ExitError{Code: cmdutil.ExitInterrupted, Err: errors.New(msg + sendreport.Whereabouts(sum, summarised))}
	case ingest.SendFailed:
		return cmdutil.RuntimeErrorf("%v%s", e.Err, sendreport.Whereabouts(sum, summarised))
	case ingest.NotDelivered:
		if summarised {
			return cmdutil.RuntimeErrorf("not every record was delivered%s", sendreport.Whereabouts(sum, summarised))
		}
		return cmdutil.RuntimeErrorf("%d of %d records not delivered%s", sum.Failed, sum.Records, sendreport.Whereabouts(sum, summarised))
	}
	return &cmdutil.ExitError{Code: cmdutil.ExitRuntime, Err: e.Err}
}

// printResume names on stderr the lines never read, unless the text summary
// already did (named), and how to send what is left: the same command again
// with a checkpoint, otherwise one command per input.
func printResume(opts *SendOptions, sum *ingest.Summary, named bool) {
	w := opts.IO.ErrOut
	if len(sum.Resume) == 0 {
		return
	}
	if !named && len(sum.Unread) > 0 {
		fmt.Fprintf(w, "Never read: %s\n", sendreport.UnreadText(sum))
	}
	if sum.Checkpoint != "" {
		fmt.Fprintf(w, "To finish the job, run the same command again: it resumes from checkpoint %s\n", opts.Checkpoint)
		return
	}
	flags, header := resendFlags(opts), "To send them:"
	if sum.DryRun {
		header = "To check them (dry run):"
	}
	fmt.Fprintln(w, header)
	for _, r := range sum.Resume {
		note := ""
		if r.FixFirst {
			note = fmt.Sprintf("   # after fixing line %d", r.FromLine)
		}
		var cmd string
		switch {
		case r.File == "-":
			cmd = fmt.Sprintf("<the same input> | tail -n +%d | ldexport send%s", r.FromLine, flags)
		case r.FromLine == 1:
			cmd = fmt.Sprintf("ldexport send %s%s", quote.Shell(r.File), flags)
		case r.Gzipped:
			cmd = fmt.Sprintf("gzip -dc %s | tail -n +%d | ldexport send%s", quote.Shell(r.File), r.FromLine, flags)
		default:
			cmd = fmt.Sprintf("tail -n +%d %s | ldexport send%s", r.FromLine, quote.Shell(r.File), flags)
		}
		fmt.Fprintf(w, "  %s%s\n", cmd, note)
	}
	if len(opts.Files) > 0 && !slices.Contains(opts.Files, "-") {
		fmt.Fprintln(w, "(with --checkpoint FILE, a run that stops is finished by running the same command again)")
	}
}

// resendFlags are the flags of this run that decide where and how records
// are sent, as a command line would give them (with a leading space).
func resendFlags(opts *SendOptions) string {
	var a []string
	if opts.Dest != "" {
		a = append(a, "--dest", opts.Dest)
	} else {
		a = append(a, "--stream", opts.Stream)
	}
	if g := opts.Globals; g != nil {
		for _, f := range [][2]string{{"--config", g.ConfigPath}, {"--profile", g.Profile}, {"--region", g.Region}, {"--endpoint-url", g.EndpointURL}} {
			if f[1] != "" {
				a = append(a, f[0], f[1])
			}
		}
	}
	if opts.PartitionKey != "" && opts.PartitionKey != "random" {
		a = append(a, "--partition-key", opts.PartitionKey)
	}
	if opts.OnInvalid == "skip" {
		a = append(a, "--on-invalid", "skip")
	}
	for _, f := range []struct {
		on   bool
		name string
	}{{opts.Raw, "--raw"}, {opts.Balance, "--balance"}, {opts.NoPace, "--no-pace"}, {opts.DryRun, "--dry-run"}, {opts.Aggregate, "--aggregate"}} {
		if f.on {
			a = append(a, f.name)
		}
	}
	if opts.Aggregate && opts.AggregateMaxBytes != 0 && opts.AggregateMaxBytes != sender.DefaultAggregateMaxBytes {
		a = append(a, "--aggregate-max-bytes", strconv.Itoa(opts.AggregateMaxBytes))
	}
	var b strings.Builder
	for _, s := range a {
		b.WriteString(" " + quote.Shell(s))
	}
	return b.String()
}
