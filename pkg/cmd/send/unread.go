package send

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/sender"
)

// Unread is an input that was not read to its end: every line from FromLine
// on was never read (and neither sent nor counted). File is "-" for
// standard input.
type Unread struct {
	File     string `json:"file"`
	FromLine int64  `json:"fromLine"`
}

// unread lists the inputs not read to their end; nil when all were.
// Inputs never opened start at line 1.
func (in *inputs) unread() []Unread {
	var u []Unread
	for _, src := range in.list {
		if src.done.Load() || src.lastBad.Load() {
			continue
		}
		u = append(u, Unread{File: src.name, FromLine: max(src.next.Load(), 1)})
	}
	return u
}

// printUnread names on stderr the lines never read, unless the text summary
// already did (named), and how to send them: the same command again with a
// checkpoint, otherwise one command per input.
func printUnread(ios *iostreams.IOStreams, opts *SendOptions, in *inputs, unread []Unread, checkpointed, named bool) {
	todo := unread
	for _, src := range in.list {
		if src.lastBad.Load() { // no line unread, but its invalid line is still to send
			todo = append([]Unread{{File: src.name, FromLine: src.invalidAt.Load()}}, todo...)
		}
	}
	if len(todo) == 0 {
		return
	}
	if !named && len(unread) > 0 {
		parts := make([]string, len(unread))
		for i, u := range unread {
			parts[i] = fmt.Sprintf("%s from line %d", displayName(u.File), u.FromLine)
		}
		fmt.Fprintf(ios.ErrOut, "Never read: %s\n", strings.Join(parts, ", "))
	}
	if checkpointed {
		fmt.Fprintf(ios.ErrOut, "To finish the job, run the same command again: it resumes from checkpoint %s\n", opts.Checkpoint)
		return
	}
	flags := resendFlags(opts)
	fmt.Fprintln(ios.ErrOut, "To send them:")
	byName := map[string]*input{}
	for _, src := range in.list {
		byName[src.name] = src
	}
	for _, u := range todo {
		src := byName[u.File]
		from, note := u.FromLine, ""
		if bad := src.invalidAt.Load(); bad > 0 {
			from, note = bad, fmt.Sprintf("   # after fixing line %d", bad)
		}
		var cmd string
		switch {
		case u.File == "-":
			cmd = fmt.Sprintf("<the same input> | tail -n +%d | ldexport send%s", from, flags)
		case from == 1:
			cmd = fmt.Sprintf("ldexport send %s%s", shellQuote(u.File), flags)
		case src.gzipped.Load():
			cmd = fmt.Sprintf("gzip -dc %s | tail -n +%d | ldexport send%s", shellQuote(u.File), from, flags)
		default:
			cmd = fmt.Sprintf("tail -n +%d %s | ldexport send%s", from, shellQuote(u.File), flags)
		}
		fmt.Fprintf(ios.ErrOut, "  %s%s\n", cmd, note)
	}
	if !slices.ContainsFunc(in.list, func(src *input) bool { return src.name == "-" }) {
		fmt.Fprintln(ios.ErrOut, "(with --checkpoint FILE, a run that stops is finished by running the same command again)")
	}
}

func displayName(file string) string {
	if file == "-" {
		return "standard input"
	}
	return file
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
	if g := opts.Factory.Globals; g != nil {
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
		b.WriteString(" " + shellQuote(s))
	}
	return b.String()
}

var plainWord = regexp.MustCompile(`^[A-Za-z0-9_./:@%+=,-]+$`)

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if plainWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
