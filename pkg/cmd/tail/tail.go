// Package tail implements `ldexport tail`: print the records of a stream.
package tail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/ldexport/ldexport/pkg/awserr"
	"github.com/ldexport/ldexport/pkg/cmd/dest/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/streamread"
	"github.com/spf13/cobra"
)

// TailOptions are the dependencies and flag values of `tail`.
type TailOptions struct {
	Factory *cmdutil.Factory

	Dest    string
	Stream  string
	From    streamread.Position
	Grep    string
	Max     int
	Follow  bool
	Timeout time.Duration

	// Read tunes the reader (tests shorten its pauses).
	Read streamread.Options
}

// NewCmdTail returns `ldexport tail`; runF replaces tailRun in tests.
func NewCmdTail(f *cmdutil.Factory, runF func(context.Context, *TailOptions) error) *cobra.Command {
	opts := &TailOptions{Factory: f}
	var from string
	cmd := &cobra.Command{
		Use:   "tail (--dest NAME | --stream S)",
		Short: "Print the records of a stream, one NDJSON line each",
		Long: `Print the records of every shard of a stream as lines on stdout.

Records are read from every shard (closed parent shards before their children).
A record that is JSON is printed on one line (compacted if it spans several);
a record that is not JSON and holds a line break is printed as a JSON string
with a warning on stderr, so two records never share a line. One trailing
newline of a record is dropped.

Without --follow, tail ends when every shard is drained.`,
		Example: `  ldexport tail --dest prod --grep LaunchDarklyDataExportTestEvent --max 1
  ldexport tail --stream ld-events --from latest --follow
  ldexport tail --stream ld-events --from 2026-11-26T10:00:00Z --timeout 1m`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (opts.Dest == "") == (opts.Stream == "") {
				return cmdutil.FlagErrorf("name exactly one of --dest NAME or --stream S")
			}
			pos, err := streamread.ParsePosition(from)
			if err != nil {
				return cmdutil.FlagErrorf("--from: %v", err)
			}
			opts.From = pos
			if f.Now != nil && pos.Timestamp.After(f.Now()) {
				return cmdutil.FlagErrorf("--from: %s is in the future", from)
			}
			if opts.Max < 0 {
				return cmdutil.FlagErrorf("--max: must be 0 (no limit) or more, got %d", opts.Max)
			}
			if opts.Timeout < 0 {
				return cmdutil.FlagErrorf("--timeout: must not be negative, got %s", opts.Timeout)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return tailRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Dest, "dest", "", "read the stream of this destination")
	fl.StringVar(&opts.Stream, "stream", "", "read this stream (with --region and --endpoint-url)")
	fl.StringVar(&from, "from", "trim-horizon", "where to start: trim-horizon, latest or an RFC 3339 time")
	fl.StringVar(&opts.Grep, "grep", "", "print only records containing this text")
	fl.IntVar(&opts.Max, "max", 0, "stop after this many records are printed, 0 or more (0: no limit)")
	fl.BoolVar(&opts.Follow, "follow", false, "keep waiting for new records")
	fl.DurationVar(&opts.Timeout, "timeout", 0, "stop after this long, e.g. 30s, 5m (0: no limit; running out is exit 1)")
	_ = cmd.RegisterFlagCompletionFunc("dest", cmdutil.DestinationNames(f))
	_ = cmd.RegisterFlagCompletionFunc("from", cobra.FixedCompletions([]cobra.Completion{"trim-horizon", "latest"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func tailRun(ctx context.Context, opts *TailOptions) error {
	f := opts.Factory
	t, err := shared.ResolveTarget(f, opts.Dest, opts.Stream)
	if err != nil {
		return err
	}
	client, err := f.Kinesis(ctx, t.Region, t.Endpoint)
	if err != nil {
		return err
	}
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = awserr.WithDeadline(ctx, opts.Timeout, "--timeout")
		defer cancel()
	}
	// The call is named from the SDK's error (ListShards, GetRecords...).
	op := awserr.Op{Resource: fmt.Sprintf("stream %q", t.Stream), Region: t.Region, Endpoint: aws.ToString(client.Options().BaseEndpoint), DeadlineFlag: "--timeout"}
	ro := opts.Read
	ro.Stream = t.Stream
	ro.From = opts.From
	ro.Follow = opts.Follow
	p := &Printer{Out: f.IOStreams.Out, ErrOut: f.IOStreams.ErrOut, Grep: []byte(opts.Grep), Max: opts.Max}
	err = streamread.Read(ctx, client, ro, p.Print)
	ce := awserr.ContextErr(ctx, op)
	switch {
	case err == nil:
		return nil
	case ce != nil && ce.Kind == awserr.Canceled:
		return ce
	case ce != nil && errors.Is(err, context.DeadlineExceeded) && !isCallError(err):
		// The deadline came between calls: the read itself went well.
		if opts.Follow {
			return nil // --timeout is how a follow ends
		}
		return cmdutil.RuntimeErrorf("tail: --timeout %s reached before every shard of stream %s was drained (%d records printed)", opts.Timeout, t.Stream, p.Printed)
	case isCallError(err):
		return fmt.Errorf("tail: %w", awserr.Explain(ctx, err, op))
	default:
		return err
	}
}

// isCallError reports whether err came from an AWS call (a call that failed
// or never got its answer), not from the read ending on its own.
func isCallError(err error) bool {
	var oe *smithy.OperationError
	return errors.As(err, &oe)
}

// Printer writes records as lines: JSON records on one line each (compacted
// when they span lines), other records as they are unless they hold a line
// break, then as a JSON string with a warning.
type Printer struct {
	Out, ErrOut io.Writer
	// Grep keeps only records containing it (empty: all).
	Grep []byte
	// Max stops after this many records printed (0: no limit).
	Max int
	// Printed counts the records printed.
	Printed int
}

// Print prints one record, or returns streamread.ErrStop once Max is reached.
func (p *Printer) Print(r streamread.Record) error {
	if p.Max > 0 && p.Printed >= p.Max {
		return streamread.ErrStop
	}
	if len(p.Grep) > 0 && !bytes.Contains(r.Data, p.Grep) {
		return nil
	}
	line, quoted := Line(r.Data)
	if quoted {
		fmt.Fprintf(p.ErrOut, "warning: record %s in %s is not JSON and holds a line break: printed as a JSON string\n", r.SequenceNumber, r.ShardID)
	}
	line = append(line, '\n')
	if _, err := p.Out.Write(line); err != nil {
		return err
	}
	p.Printed++
	if p.Max > 0 && p.Printed >= p.Max {
		return streamread.ErrStop
	}
	return nil
}

// Line returns a record's data as one line (without the newline): one
// trailing newline is dropped; JSON spanning lines is compacted; other data
// with a line break becomes a JSON string (quoted reports that).
func Line(data []byte) (line []byte, quoted bool) {
	d := bytes.TrimSuffix(data, []byte("\n"))
	d = bytes.TrimSuffix(d, []byte("\r"))
	if !bytes.ContainsAny(d, "\r\n") {
		return append([]byte(nil), d...), false
	}
	var b bytes.Buffer
	if json.Valid(d) && json.Compact(&b, d) == nil {
		return b.Bytes(), false
	}
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(string(d)) // a string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), true
}
