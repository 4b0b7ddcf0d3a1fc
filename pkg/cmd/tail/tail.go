// Package tail implements `ldexport tail`: print the records of a stream.
package tail

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go"
	"github.com/ldexport/ldexport/pkg/awserr"
	"github.com/ldexport/ldexport/pkg/cmd/dest/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/kpl"
	"github.com/ldexport/ldexport/pkg/store"
	"github.com/ldexport/ldexport/pkg/streamread"
	"github.com/spf13/cobra"
)

// TailOptions are the dependencies and flag values of `tail`.
type TailOptions struct {
	IO      *iostreams.IOStreams
	Store   func() (*store.Store, error)
	Kinesis func(ctx context.Context, region, endpointURL string) (*kinesis.Client, error)
	Now     func() time.Time
	// EndpointURL is the global --endpoint-url.
	EndpointURL string

	Dest    string
	Stream  string
	From    streamread.Position
	Grep    string
	Max     int
	Follow  bool
	Timeout time.Duration
	Raw     bool // print KPL aggregated records as stored, not as their user records

	// Read tunes the reader (tests shorten its pauses).
	Read streamread.Options

	from string // --from as given
}

// NewCmdTail returns `ldexport tail`; runF replaces tailRun in tests.
func NewCmdTail(f *cmdutil.Factory, runF func(context.Context, *TailOptions) error) *cobra.Command {
	opts := &TailOptions{}
	cmd := &cobra.Command{
		Use:   "tail (--dest NAME | --stream S)",
		Short: "Print the records of a stream, one NDJSON line each",
		Long: `Print the records of every shard of a stream as lines on stdout.

Records are read from every shard (closed parent shards before their children).
A record that is JSON is printed on one line (compacted if it spans several);
a record that is not JSON and holds a line break is printed as a JSON string
with a warning on stderr, so two records never share a line. One trailing
newline of a record is dropped.

A KPL aggregated record (as the Kinesis Producer Library or send --aggregate
writes) prints as its user records, one line each; its MD5 is checked, and a
corrupt aggregate is reported on stderr, not printed (exit 1 at the end).
--raw prints every Kinesis record as stored (an aggregated record, which is
binary, as one line of base64).

Without --follow, tail ends when every shard is drained.`,
		Example: `  ldexport tail --dest prod --grep LaunchDarklyDataExportTestEvent --max 1
  ldexport tail --stream ld-events --from latest --follow
  ldexport tail --stream ld-events --from 2026-11-26T10:00:00Z --timeout 1m`,
		Args: cmdutil.NoArgs,
		RunE: cmdutil.RunE(f, opts, runF, tailRun),
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Dest, "dest", "", "read the stream of this destination")
	fl.StringVar(&opts.Stream, "stream", "", "read this stream (with --region and --endpoint-url)")
	fl.StringVar(&opts.from, "from", "trim-horizon", "where to start: trim-horizon, latest or an RFC 3339 time")
	fl.StringVar(&opts.Grep, "grep", "", "print only records containing this text")
	fl.IntVar(&opts.Max, "max", 0, "stop after this many records are printed, 0 or more (0: no limit)")
	fl.BoolVar(&opts.Follow, "follow", false, "keep waiting for new records")
	fl.DurationVar(&opts.Timeout, "timeout", 0, "stop after this long, e.g. 30s, 5m (0: no limit; running out is exit 1)")
	fl.BoolVar(&opts.Raw, "raw", false, "print KPL aggregated records as stored, not as their user records")
	_ = cmd.RegisterFlagCompletionFunc("dest", cmdutil.CompleteDestinationNames(f.Store))
	_ = cmd.RegisterFlagCompletionFunc("from", cobra.FixedCompletions([]cobra.Completion{"trim-horizon", "latest"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete takes the globals and what tail uses from f.
func (o *TailOptions) Complete(f *cmdutil.Factory, _ *cobra.Command, _ []string) error {
	o.IO, o.Store, o.Kinesis, o.Now = f.IOStreams, f.Store, f.Kinesis, f.Now
	o.EndpointURL = f.Globals.EndpointURL
	return nil
}

// Validate checks the target (shared.ValidateTarget), --from (read into From), --max and --timeout.
func (o *TailOptions) Validate() error {
	if err := shared.ValidateTarget(o.Dest, o.Stream); err != nil {
		return err
	}
	pos, err := streamread.ParsePosition(o.from)
	if err != nil {
		return cmdutil.FlagErrorf("--from: %v", err)
	}
	o.From = pos
	if o.Now != nil && pos.Timestamp.After(o.Now()) {
		return cmdutil.FlagErrorf("--from: %s is in the future", o.from)
	}
	if o.Max < 0 {
		return cmdutil.FlagErrorf("--max: must be 0 (no limit) or more, got %d", o.Max)
	}
	if o.Timeout < 0 {
		return cmdutil.FlagErrorf("--timeout: must not be negative, got %s", o.Timeout)
	}
	return nil
}

func tailRun(ctx context.Context, opts *TailOptions) error {
	t, err := shared.Resolve(opts.Store, opts.EndpointURL, opts.Dest, opts.Stream)
	if err != nil {
		return err
	}
	client, err := opts.Kinesis(ctx, t.Region, t.Endpoint)
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
	p := &Printer{Out: opts.IO.Out, ErrOut: opts.IO.ErrOut, Grep: []byte(opts.Grep), Max: opts.Max, Raw: opts.Raw}
	err = streamread.Read(ctx, client, ro, p.Print)
	ce := awserr.ContextErr(ctx, op)
	followEnded := opts.Follow && ce != nil && ce.Kind != awserr.Canceled && errors.Is(err, context.DeadlineExceeded) && !isCallError(err)
	if p.Corrupt > 0 && (err == nil || followEnded) {
		return cmdutil.RuntimeErrorf("tail: %d corrupt KPL aggregated records in stream %s were not printed (named above; --raw prints them as stored)", p.Corrupt, t.Stream)
	}
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
// break, then as a JSON string with a warning. A KPL aggregated record prints
// as its user records unless Raw.
type Printer struct {
	Out, ErrOut io.Writer
	// Grep keeps only records containing it (empty: all).
	Grep []byte
	// Max stops after this many records printed (0: no limit).
	Max int
	// Raw prints KPL aggregated records as stored, in base64.
	Raw bool
	// Printed counts the records printed (user records of an aggregate each count).
	Printed int
	// Corrupt counts aggregated records not printed because they are corrupt.
	Corrupt int
}

// Print prints one record, or returns streamread.ErrStop once Max is reached.
func (p *Printer) Print(r streamread.Record) error {
	if p.Max > 0 && p.Printed >= p.Max {
		return streamread.ErrStop
	}
	if !kpl.IsAggregated(r.Data) {
		return p.print(r.Data, r.SequenceNumber, r.ShardID)
	}
	if p.Raw {
		return p.print([]byte(base64.StdEncoding.EncodeToString(r.Data)), r.SequenceNumber, r.ShardID)
	}
	users, err := kpl.Deaggregate(r.Data)
	if err != nil {
		p.Corrupt++
		fmt.Fprintf(p.ErrOut, "record %s in %s: %v: not printed\n", r.SequenceNumber, r.ShardID, err)
		return nil
	}
	for i, u := range users {
		if err := p.print(u.Data, fmt.Sprintf("%s (user record %d)", r.SequenceNumber, i), r.ShardID); err != nil {
			return err
		}
	}
	return nil
}

// print prints one record's data as a line; seq and shard name it in a warning.
func (p *Printer) print(data []byte, seq, shard string) error {
	if p.Max > 0 && p.Printed >= p.Max {
		return streamread.ErrStop
	}
	if len(p.Grep) > 0 && !bytes.Contains(data, p.Grep) {
		return nil
	}
	line, quoted := Line(data)
	if quoted {
		fmt.Fprintf(p.ErrOut, "warning: record %s in %s is not JSON and holds a line break: printed as a JSON string\n", seq, shard)
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
