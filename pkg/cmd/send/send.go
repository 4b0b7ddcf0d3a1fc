// Package send implements `ldexport send`: push NDJSON event files (or
// standard input) into a Kinesis stream with PutRecords.
package send

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/ldexport/ldexport/pkg/awsarn"
	"github.com/ldexport/ldexport/pkg/awserr"
	"github.com/ldexport/ldexport/pkg/cmd/dest/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/ndjson"
	"github.com/ldexport/ldexport/pkg/sender"
	"github.com/spf13/cobra"
)

// SendOptions are the dependencies and flag values of `send`.
type SendOptions struct {
	Factory *cmdutil.Factory

	Files        []string // "-" is standard input; none means standard input
	Dest         string
	Stream       string
	PartitionKey string
	OnInvalid    string
	RejectFile   string
	Raw          bool
	DryRun       bool
	RetryTimeout time.Duration
	Concurrency  int
	Checkpoint   string // --checkpoint PATH: record progress there, resume from it
	Balance      bool
	NoPace       bool // --no-pace: no per-shard pacing, only throttling feedback
	Quiet        bool // --quiet: no progress bar, no text summary when everything was delivered
	// Aggregate sends KPL aggregated records of at most AggregateMaxBytes
	// (--aggregate, --aggregate-max-bytes).
	Aggregate         bool
	AggregateMaxBytes int

	rate rateControl // the stream's shards, learnt before sending (ratecontrol.go)

	// Set by checkFiles before Kinesis is asked anything, so a refused file
	// or a checkpoint in use ends the command at once.
	filesChecked bool
	ck           *runCheckpoint // locked; released by run

	shutdownTimeout time.Duration // tests shorten the wait for requests in flight after an interrupt
	progressDelay   time.Duration // how long a send runs before its progress bar shows
}

// NewCmdSend returns `send`; runF replaces sendRun in tests.
func NewCmdSend(f *cmdutil.Factory, runF func(context.Context, *SendOptions) error) *cobra.Command {
	opts := &SendOptions{Factory: f, progressDelay: progressDelay}
	cmd := &cobra.Command{
		Use:   "send [FILE...] (--dest NAME | --stream S)",
		Short: "Send NDJSON events into a Kinesis stream",
		Long: `Send NDJSON records (one JSON object a line) from files or standard input into a
Kinesis stream, as LaunchDarkly Data Export would: PutRecords batches of up to 500
records and 5 MiB, several requests in flight, random partition keys by default.

Gzip input is recognised by its magic bytes. Failed records (throttled, internal
failure, lost response) are retried alone with backoff and jitter; records that cannot
be delivered, and invalid lines under --on-invalid skip, are written verbatim to the
reject file so they can be fixed and sent again.

--aggregate packs records into KPL aggregated records, one open aggregate per shard,
each record on the shard its own key hashes to (docs/aggregation.md); consumers must
deaggregate (KCL, Lambda libraries, Firehose and ldexport tail do).`,
		Example: `  ldexport send events.ndjson --dest prod
  zcat events.ndjson.gz | ldexport send --stream ld-events --region us-east-1
  ldexport send a.ndjson b.ndjson.gz --dest prod --partition-key event.contextKeys.user -o json
  ldexport send events.ndjson --dest prod --on-invalid skip --reject-file bad.ndjson
  ldexport send events.ndjson --stream ld-events --dry-run`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			if (opts.Dest == "") == (opts.Stream == "") {
				return cmdutil.FlagErrorf("name the target: exactly one of --dest NAME or --stream S")
			}
			if opts.Stream != "" {
				if err := awsarn.ValidateStreamName(opts.Stream); err != nil {
					return cmdutil.FlagErrorf("--stream: %v", err)
				}
			}
			if opts.OnInvalid != "fail" && opts.OnInvalid != "skip" {
				return cmdutil.FlagErrorf("--on-invalid: %q is not fail or skip", opts.OnInvalid)
			}
			if opts.RetryTimeout <= 0 {
				return cmdutil.FlagErrorf("--retry-timeout: must be positive, got %s", opts.RetryTimeout)
			}
			if opts.Concurrency < 1 || opts.Concurrency > 64 {
				return cmdutil.FlagErrorf("--concurrency: must be 1..64, got %d", opts.Concurrency)
			}
			for _, name := range []string{"checkpoint", "reject-file"} {
				// An empty variable ("--checkpoint $CK") must not quietly mean "none".
				if f := cmd.Flags().Lookup(name); f.Changed && f.Value.String() == "" {
					return cmdutil.FlagErrorf("--%s: empty path: name a file, or leave the flag out", name)
				}
			}
			if opts.Checkpoint != "" {
				if err := checkCheckpointFlags(opts); err != nil {
					return err
				}
			}
			if opts.NoPace && opts.Balance {
				return cmdutil.FlagErrorf("--balance needs the shard map that --no-pace does without: use one or the other")
			}
			if opts.Balance && opts.PartitionKey != "random" && opts.PartitionKey != "" {
				return cmdutil.FlagErrorf("--balance spreads records over the shards whatever their key: it cannot be used with --partition-key %s", opts.PartitionKey)
			}
			if err := checkAggregateFlags(cmd, opts); err != nil {
				return err
			}
			if opts.Raw && opts.PartitionKey != "random" && opts.PartitionKey != "" {
				return cmdutil.FlagErrorf("--partition-key %s needs JSON records: it cannot be used with --raw", opts.PartitionKey)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return sendRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Dest, "dest", "", "stored destination to send to (stream, region and endpoint)")
	fl.StringVar(&opts.Stream, "stream", "", "stream name to send to (with --region / --endpoint-url)")
	fl.StringVar(&opts.PartitionKey, "partition-key", "random", "random, or a field path such as event.contextKeys.user")
	fl.StringVar(&opts.OnInvalid, "on-invalid", "fail", "an invalid line: fail (stop, exit 2) or skip (write it to the reject file)")
	fl.StringVar(&opts.RejectFile, "reject-file", "", "where invalid and undelivered lines go: a new or empty file, appended to when resuming a --checkpoint (default ldexport-rejects-<UTC time>-<pid>.ndjson, created only if needed)")
	fl.BoolVar(&opts.Raw, "raw", false, "send lines as they are, without checking they are JSON objects")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "read and validate, send nothing (needs no AWS credentials)")
	fl.DurationVar(&opts.RetryTimeout, "retry-timeout", 10*time.Minute, "how long to keep retrying a record from its first attempt, e.g. 30s, 10m, 1h")
	fl.IntVar(&opts.Concurrency, "concurrency", 8, "PutRecords requests in flight, 1 to 64")
	fl.StringVar(&opts.Checkpoint, "checkpoint", "", "record progress in this file; after an interrupt the same command resumes from it")
	fl.BoolVar(&opts.NoPace, "no-pace", false, "do not pace each shard at its write limit; slow down on throttling only (emulators without limits)")
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "no progress bar, and no summary when every record was delivered")
	fl.BoolVar(&opts.Balance, "balance", false, "spread records evenly over the open shards (an ExplicitHashKey per record, in turn)")
	fl.BoolVar(&opts.Aggregate, "aggregate", false, "pack records into KPL aggregated records, one per shard at a time (consumers must deaggregate: KCL, Lambda, Firehose do)")
	fl.IntVar(&opts.AggregateMaxBytes, "aggregate-max-bytes", sender.DefaultAggregateMaxBytes, "with --aggregate: largest aggregated record, data plus partition key")
	_ = cmd.RegisterFlagCompletionFunc("dest", cmdutil.DestinationNames(f))
	_ = cmd.RegisterFlagCompletionFunc("on-invalid", cobra.FixedCompletions([]cobra.Completion{"fail", "skip"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// target is where records go.
type target struct {
	stream   string
	region   string
	endpoint string
}

func sendRun(ctx context.Context, opts *SendOptions) error {
	f := opts.Factory
	t := target{stream: opts.Stream}
	if opts.Dest != "" {
		s, err := f.Store()
		if err != nil {
			return err
		}
		d, err := s.Get(opts.Dest)
		if err != nil {
			return shared.StoreError(err)
		}
		t = target{stream: d.StreamName, region: d.Region, endpoint: d.EndpointURL}
	}
	if f.Globals.EndpointURL != "" {
		t.endpoint = f.Globals.EndpointURL
	}
	inputs, err := openInputs(opts.Files, f.IOStreams.In)
	if err != nil {
		return err
	}
	defer inputs.close()
	if opts.ck, err = checkFiles(opts, t, inputs); err != nil {
		return err
	}
	defer opts.ck.release() // run releases it too, as soon as it is done
	opts.filesChecked = true

	var api sender.PutRecordsAPI
	limit := ndjson.DefaultMaxLine
	if !opts.DryRun {
		client, err := f.Kinesis(ctx, t.region, t.endpoint)
		if err != nil {
			return err
		}
		t.region = client.Options().Region
		// Learning the stream is bounded by --retry-timeout too: a silent
		// endpoint ends the run before anything is read.
		setup, cancel := awserr.WithDeadline(ctx, opts.RetryTimeout, "--retry-timeout")
		defer cancel()
		limit, err = recordSizeLimit(setup, client, t)
		if err != nil {
			if ctx.Err() != nil { // interrupted while asking: not a failure to reach Kinesis
				return &cmdutil.ExitError{Code: cmdutil.ExitInterrupted, Err: errors.New("interrupted before sending anything")}
			}
			return err
		}
		if !opts.NoPace {
			opts.rate = loadRateControl(setup, client, t.stream, opts.Balance, f.IOStreams.ErrOut)
		}
		cancel()
		if opts.Aggregate && opts.rate.shards == nil {
			fmt.Fprintf(f.IOStreams.ErrOut, "Note: --aggregate without the shard map: one aggregate per partition key, so each lands where its records' key hashes (records with random keys share one key per aggregate)\n")
		}
		// The lean PutRecords path: bodies written from the records into reused buffers.
		api = sender.NewLeanClient(kinesis.New(client.Options(), sender.ClientOptions(opts.Concurrency)), 2*opts.Concurrency)
	}
	defer tuneGC()()
	return run(ctx, opts, t, inputs, api, limit)
}

// tuneGC trades a little memory for CPU while sending: the garbage collector
// runs at GOGC=400 under a 40 MiB soft memory limit, unless the user set
// GOGC or GOMEMLIMIT. Measured on 200,000 400-byte records to a local sink:
// about a quarter less CPU than the default, peak RSS still under 64 MiB
// (bench/README.md). The returned func restores the previous settings.
func tuneGC() (restore func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	gc := debug.SetGCPercent(400)
	limit := debug.SetMemoryLimit(40 << 20)
	return func() {
		debug.SetGCPercent(gc)
		debug.SetMemoryLimit(limit)
	}
}

// recordSizeLimit reads the stream's record size limit; 1 MiB when the caller
// may not ask or the endpoint does not say (kinesalite).
func recordSizeLimit(ctx context.Context, c *kinesis.Client, t target) (int, error) {
	out, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(t.stream)})
	if err != nil {
		if awserr.ContextErr(ctx, t.op("")) == nil {
			switch awserr.Classify(err) {
			// DescribeStreamSummary allows 20 calls a second per account: when it
			// stays throttled after the SDK's retries, or the service fails,
			// assume the default limit (a longer line is then rejected, never lost).
			case awserr.AccessDenied, awserr.Unsupported, awserr.Throttled, awserr.ServerError:
				return ndjson.DefaultMaxLine, nil
			}
		}
		return 0, awserr.Explain(ctx, err, t.op("DescribeStreamSummary"))
	}
	if s := out.StreamDescriptionSummary; s != nil && s.MaxRecordSizeInKiB != nil && *s.MaxRecordSizeInKiB > 0 {
		return int(*s.MaxRecordSizeInKiB) << 10, nil
	}
	return ndjson.DefaultMaxLine, nil
}

// op names a call on the target stream for awserr's messages.
func (t target) op(call string) awserr.Op {
	return awserr.Op{Service: "Kinesis", Call: call, Resource: fmt.Sprintf("stream %q", t.stream), Region: t.region,
		Endpoint: t.endpoint, Permission: "kinesis:" + call, DeadlineFlag: "--retry-timeout"}
}

// describeFatal turns an error that stopped the run into one line that says
// what is wrong, where, and the fix.
func describeFatal(fe *sender.FatalError, t target) error {
	return awserr.Explain(context.Background(), fe.Err, t.op("PutRecords"))
}

// input is one opened input.
type input struct {
	name  string
	r     io.Reader
	close func() error
	size  int64 // bytes of its lines; -1 when unknown (standard input, a pipe, gzip)
	// regular: a regular file, whose reads never wait for a writer.
	regular bool

	// Written by the reader, read for the summary (unread.go).
	next      atomic.Int64 // the first line not accounted for; 0 before any
	done      atomic.Bool  // read to its end, or done by an earlier run
	gzipped   atomic.Bool
	invalidAt atomic.Int64 // the invalid line that stopped the run (--on-invalid fail)
	lastBad   atomic.Bool  // nothing but blank lines follows invalidAt: no line is unread
}

type inputs struct {
	list []*input
}

func (in *inputs) close() {
	for _, i := range in.list {
		if i.close != nil {
			_ = i.close()
		}
	}
}

// openInputs opens every file up front, so a typo fails before anything is sent.
func openInputs(files []string, stdin io.Reader) (*inputs, error) {
	if len(files) == 0 {
		files = []string{"-"}
	}
	in := &inputs{}
	stdinUsed := false
	for _, name := range files {
		if name == "-" {
			if stdinUsed {
				in.close()
				return nil, cmdutil.FlagErrorf("standard input (-) named twice")
			}
			stdinUsed = true
			in.list = append(in.list, &input{name: "-", r: stdin, size: -1})
			continue
		}
		fh, err := os.Open(name)
		if err != nil {
			in.close()
			return nil, cmdutil.Usage(err)
		}
		st, err := fh.Stat()
		if err != nil {
			_ = fh.Close()
			in.close()
			return nil, cmdutil.Usage(err)
		}
		if st.IsDir() {
			_ = fh.Close()
			in.close()
			return nil, cmdutil.UsageErrorf("%s: is a directory", name)
		}
		size := int64(-1)
		if st.Mode().IsRegular() && !isGzip(fh) {
			size = st.Size()
		}
		in.list = append(in.list, &input{name: name, r: fh, close: fh.Close, size: size, regular: st.Mode().IsRegular()})
	}
	return in, nil
}

// isGzip reports whether f starts with gzip's magic bytes, without moving
// its offset: a gzip file's size says nothing of the lines in it.
func isGzip(f *os.File) bool {
	var magic [2]byte
	n, _ := f.ReadAt(magic[:], 0)
	return n == 2 && magic == [2]byte{0x1f, 0x8b}
}

// totalSize is the sum of the input sizes, or -1 if any is unknown.
func (in *inputs) totalSize() int64 {
	var n int64
	for _, i := range in.list {
		if i.size < 0 {
			return -1
		}
		n += i.size
	}
	return n
}
