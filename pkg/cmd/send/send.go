// Package send implements `ldexport send`: push NDJSON event files (or
// standard input) into a Kinesis stream with PutRecords. The sending itself
// is pkg/ingest's; this package parses and checks the flags, builds the
// ingest.Job, draws its progress and prints its summary.
package send

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ldexport/ldexport/pkg/cmd/dest/shared"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/fileguard"
	"github.com/ldexport/ldexport/pkg/ingest"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/output"
	"github.com/ldexport/ldexport/pkg/partitionkey"
	"github.com/ldexport/ldexport/pkg/progress"
	"github.com/ldexport/ldexport/pkg/sender"
	"github.com/ldexport/ldexport/pkg/shardcalc"
	"github.com/ldexport/ldexport/pkg/store"
	"github.com/spf13/cobra"
)

// SendOptions are the dependencies and flag values of `send`.
type SendOptions struct {
	IO      *iostreams.IOStreams
	Globals *cmdutil.GlobalOptions
	// Kinesis returns a client for a region and an endpoint (empty:
	// --endpoint-url, then AWS's own).
	Kinesis func(ctx context.Context, region, endpoint string) (ingest.Kinesis, error)
	// Store opens the destination store, which the run must never write.
	Store func() (*store.Store, error)
	Now   func() time.Time

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

	keys          *partitionkey.Chooser // from --partition-key, by Validate
	emptyPath     string                // --checkpoint or --reject-file given as "", by Complete
	maxBytesGiven bool                  // --aggregate-max-bytes given, by Complete

	shutdownTimeout time.Duration // tests shorten the wait for requests in flight after an interrupt
	progressDelay   time.Duration // how long a send runs before its progress bar shows
}

// progressDelay: a send shorter than this shows no progress bar.
const progressDelay = time.Second

// NewCmdSend returns `send`; runF replaces sendRun in tests.
func NewCmdSend(f *cmdutil.Factory, runF func(context.Context, *SendOptions) error) *cobra.Command {
	opts := &SendOptions{progressDelay: progressDelay}
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
		RunE: cmdutil.RunE(f, opts, runF, sendRun),
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
	_ = cmd.RegisterFlagCompletionFunc("dest", cmdutil.CompleteDestinationNames(f.Store))
	_ = cmd.RegisterFlagCompletionFunc("on-invalid", cobra.FixedCompletions([]cobra.Completion{"fail", "skip"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete takes the files, the globals and what send uses from f.
func (o *SendOptions) Complete(f *cmdutil.Factory, cmd *cobra.Command, args []string) error {
	o.IO, o.Globals, o.Store, o.Now, o.Files = f.IOStreams, f.Globals, f.Store, f.Now, args
	o.Kinesis = func(ctx context.Context, region, endpoint string) (ingest.Kinesis, error) {
		c, err := f.Kinesis(ctx, region, endpoint)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	for _, name := range []string{"checkpoint", "reject-file"} {
		if fl := cmd.Flags().Lookup(name); fl.Changed && fl.Value.String() == "" && o.emptyPath == "" {
			o.emptyPath = name
		}
	}
	o.maxBytesGiven = cmd.Flags().Changed("aggregate-max-bytes")
	return nil
}

// Validate checks the flags together, before anything is opened or asked:
// every mistake in them is a usage error (exit 2).
func (o *SendOptions) Validate() error {
	stdin := len(o.Files) == 0 || slices.Contains(o.Files, "-")
	fieldKey := o.PartitionKey != "random" && o.PartitionKey != ""
	if err := shared.ValidateTarget(o.Dest, o.Stream); err != nil {
		return err
	}
	var aggErr error
	if o.Aggregate {
		aggErr = shardcalc.ValidateAggregateMaxBytes(int64(o.AggregateMaxBytes))
	}
	// In order: the first that applies is the one reported.
	for _, rule := range []struct {
		broken bool
		msg    string
	}{
		{o.OnInvalid != "fail" && o.OnInvalid != "skip", fmt.Sprintf("--on-invalid: %q is not fail or skip", o.OnInvalid)},
		{o.RetryTimeout <= 0, fmt.Sprintf("--retry-timeout: must be positive, got %s", o.RetryTimeout)},
		{o.Concurrency < 1 || o.Concurrency > 64, fmt.Sprintf("--concurrency: must be 1..64, got %d", o.Concurrency)},
		// An empty variable ("--checkpoint $CK") must not quietly mean "none".
		{o.emptyPath != "", "--" + o.emptyPath + ": empty path: name a file, or leave the flag out"},
		{o.Checkpoint != "" && stdin, "--checkpoint cannot be used with standard input: name the input files, which a resumed run reads again"},
		{o.Checkpoint != "" && o.DryRun, "--checkpoint cannot be used with --dry-run: a dry run delivers nothing to record"},
		{o.NoPace && o.Balance, "--balance needs the shard map that --no-pace does without: use one or the other"},
		{o.Balance && fieldKey, "--balance spreads records over the shards whatever their key: it cannot be used with --partition-key " + o.PartitionKey},
		{o.maxBytesGiven && !o.Aggregate, "--aggregate-max-bytes needs --aggregate"},
		{aggErr != nil, fmt.Sprintf("--aggregate-max-bytes: %v", aggErr)},
		{o.Aggregate && o.Balance, "--aggregate sends each aggregate to the shard of its records' keys: it cannot be used with --balance"},
		{o.Raw && fieldKey, fmt.Sprintf("--partition-key %s needs JSON records: it cannot be used with --raw", o.PartitionKey)},
	} {
		if rule.broken {
			return cmdutil.FlagErrorf("%s", rule.msg)
		}
	}
	if i := slices.Index(o.Files, "-"); i >= 0 && slices.Contains(o.Files[i+1:], "-") {
		return cmdutil.FlagErrorf("standard input (-) named twice")
	}
	keys, err := partitionkey.New(o.PartitionKey, uint64(time.Now().UnixNano()))
	if err != nil {
		return cmdutil.FlagErrorf("--partition-key: %v", err)
	}
	o.keys = keys
	return nil
}

func sendRun(ctx context.Context, opts *SendOptions) error {
	t, err := shared.Resolve(opts.Store, opts.Globals.EndpointURL, opts.Dest, opts.Stream)
	if err != nil {
		return err
	}
	scr := progress.NewScreen(opts.IO.ErrOut) // stderr, shared with the progress bar
	job := &ingest.Job{
		Inputs: opts.Files, Stdin: opts.IO.In,
		Target: ingest.Target{Stream: t.Stream, Region: t.Region, Endpoint: t.Endpoint},
		Keys:   opts.keys, Raw: opts.Raw, SkipInvalid: opts.OnInvalid == "skip",
		Rejects: opts.RejectFile, Checkpoint: opts.Checkpoint, Protect: opts.protected(),
		Limits: ingest.Limits{Concurrency: opts.Concurrency, RetryTimeout: opts.RetryTimeout, ShutdownTimeout: opts.shutdownTimeout},
		NoPace: opts.NoPace, Balance: opts.Balance, Aggregate: opts.Aggregate, AggregateMaxBytes: opts.AggregateMaxBytes,
		Notes: scr, Now: opts.Now,
	}
	if !opts.DryRun {
		job.Connect = func(ctx context.Context) (ingest.Kinesis, error) { return opts.Kinesis(ctx, t.Region, t.Endpoint) }
	}
	if !opts.Quiet && opts.IO.IsStderrTTY() {
		job.Observer = &bar{scr: scr, delay: opts.progressDelay}
	}
	sum, err := job.Run(ctx)
	if sum == nil { // stopped before reading; -o json still gets a summary: no counts, all unread, the error
		if err = exitError(err, nil, false); opts.Globals.Output == output.Table {
			return err
		}
		sum = job.NotStarted(err)
	}
	return report(opts, sum, err)
}

// protected lists the files a run must never write: the destination store
// and its lock file.
func (o *SendOptions) protected() []fileguard.Named {
	if o.Store == nil {
		return nil
	}
	s, err := o.Store()
	if err != nil {
		return nil
	}
	named := []fileguard.Named{{Role: "the destination store (--config)", Path: s.Path()}}
	if lp, err := fileguard.LockPath(s.Path()); err == nil {
		named = append(named, fileguard.Named{Role: "the destination store's lock file", Path: lp})
	}
	return named
}

// bar draws a job's progress on stderr, a terminal.
type bar struct {
	scr   *progress.Screen
	delay time.Duration
	stop  func()
}

func (b *bar) Start(p *ingest.Progress) {
	b.stop = progress.Start(b.scr, b.delay, "records", func() (progress.State, bool) {
		s := p.Snapshot()
		return progress.State{Done: s.Settled, Total: s.Total, Measured: s.Delivered, Items: s.Sent, Counts: s.Counts()}, s.Stopping
	})
}

func (b *bar) Stop() { b.stop() }
