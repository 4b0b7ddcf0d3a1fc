// Package ingest sends NDJSON event files into a Kinesis stream: the engine
// of `ldexport send`. Data flows one way: read → validate → key → route →
// batch → put → acknowledge → checkpoint. A Job reads its inputs on one
// goroutine, hands valid records to a sender.Sender (which batches, routes,
// paces and retries them), writes what cannot be delivered to a reject
// file, records progress in a checkpoint, and reports its progress to one
// Observer.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/ldexport/ldexport/pkg/awserr"
	"github.com/ldexport/ldexport/pkg/fileguard"
	"github.com/ldexport/ldexport/pkg/ndjson"
	"github.com/ldexport/ldexport/pkg/partitionkey"
	"github.com/ldexport/ldexport/pkg/sender"
)

// Kinesis is what a Job asks of Kinesis. A *kinesis.Client satisfies it,
// and its PutRecords then go through sender's lean client.
type Kinesis interface {
	sender.PutRecordsAPI
	sender.ListShardsAPI
	DescribeStreamSummary(ctx context.Context, in *kinesis.DescribeStreamSummaryInput, optFns ...func(*kinesis.Options)) (*kinesis.DescribeStreamSummaryOutput, error)
}

// Target is the stream records go to; Region and Endpoint name it in
// messages (the client decides where requests go).
type Target struct {
	Stream   string
	Region   string
	Endpoint string
}

// Limits bound the sending.
type Limits struct {
	Concurrency  int           // PutRecords requests in flight
	RetryTimeout time.Duration // how long a record is retried from its first attempt; also bounds looking up the stream
	// ShutdownTimeout is how long requests in flight may finish after an
	// interrupt; 0 for the sender's default.
	ShutdownTimeout time.Duration
}

// Job is one send: its inputs, where they go and how. Run it once.
type Job struct {
	Inputs []string  // files to read; "-" (or none at all) is Stdin
	Stdin  io.Reader // standard input
	Target Target
	// Connect returns the client to send with; it is called once the
	// job's files are checked. nil makes a dry run: read and validate,
	// send nothing.
	Connect func(ctx context.Context) (Kinesis, error)
	Keys    *partitionkey.Chooser
	Raw     bool // send lines as they are, without checking they are JSON objects
	// SkipInvalid writes invalid lines to the reject file and reads on;
	// otherwise the first invalid line stops the job (a BadInput Error).
	SkipInvalid bool
	// Rejects is the reject file; "" for a default one in the current
	// folder, created when the first line comes.
	Rejects string
	// Checkpoint, when set, records progress in this file and resumes
	// from it (inputs must be files).
	Checkpoint string
	// Protect names files the job must never write besides its inputs
	// (the destination store).
	Protect []fileguard.Named
	Limits  Limits
	NoPace  bool // no per-shard pacing: slow down on throttling only
	Balance bool // spread records evenly over the open shards
	// Aggregate packs records into KPL aggregated records of at most
	// AggregateMaxBytes.
	Aggregate         bool
	AggregateMaxBytes int
	// Notes receives what the job has to say while it runs: rejected
	// lines and their reasons, a missing shard map (standard error).
	Notes    io.Writer
	Observer Observer         // nil: nobody follows the progress
	Now      func() time.Time // names the default reject file
}

// Run sends the inputs. It returns the summary and why the job did not
// deliver everything (an *Error, or an error from Connect or from looking
// up the stream); the summary is nil when the job stopped before reading.
func (j *Job) Run(ctx context.Context) (*Summary, error) {
	in, err := openInputs(j.Inputs, j.Stdin)
	if err != nil {
		return nil, err
	}
	defer in.close()
	// Refused before Kinesis is asked anything: a refused file or a
	// checkpoint in use ends the job at once.
	ck, err := j.checkFiles(in)
	if err != nil {
		return nil, err
	}
	defer ck.release() // send releases it too, as soon as it is done
	s := &stream{limit: ndjson.DefaultMaxLine}
	if j.Connect != nil {
		if s, err = j.connect(ctx); err != nil {
			return nil, err
		}
	}
	defer tuneGC()()
	return j.send(ctx, in, ck, s)
}

// stream is what a job learns of its stream before sending.
type stream struct {
	api    sender.PutRecordsAPI // nil for a dry run
	limit  int                  // record size limit
	shards *sender.ShardMap     // nil: pace by throttling feedback alone
	lister sender.ListShardsAPI
}

// connect asks Kinesis for the stream's record size limit and shards.
// Looking up the stream is bounded by the retry timeout too: a silent
// endpoint ends the job before anything is read.
func (j *Job) connect(ctx context.Context) (*stream, error) {
	client, err := j.Connect(ctx)
	if err != nil {
		return nil, err
	}
	api := sender.PutRecordsAPI(client)
	if c, ok := client.(interface{ Options() kinesis.Options }); ok {
		j.Target.Region = c.Options().Region // the region the client signs for, for messages
	}
	if c, ok := client.(*kinesis.Client); ok {
		// The lean PutRecords path: bodies written from the records into reused buffers.
		conc := j.Limits.Concurrency
		api = sender.NewLeanClient(kinesis.New(c.Options(), sender.ClientOptions(conc)), 2*conc)
	}
	setup, cancel := awserr.WithDeadline(ctx, j.Limits.RetryTimeout, "--retry-timeout")
	defer cancel()
	s := &stream{api: api}
	if s.limit, err = j.recordSizeLimit(setup, client); err != nil {
		if ctx.Err() != nil { // interrupted while asking: not a failure to reach Kinesis
			return nil, &Error{Kind: Interrupted, Err: errors.New("interrupted before sending anything")}
		}
		return nil, err
	}
	if !j.NoPace {
		s.shards, s.lister = j.loadShards(setup, client)
		if ctx.Err() != nil { // interrupted while listing: no note about pacing, exit as interrupted
			return nil, &Error{Kind: Interrupted, Err: errors.New("interrupted before sending anything")}
		}
	}
	if j.Aggregate && s.shards == nil {
		fmt.Fprintf(j.Notes, "Note: --aggregate without the shard map: one aggregate per partition key, so each lands where its records' key hashes (records with random keys share one key per aggregate)\n")
	}
	return s, nil
}

// recordSizeLimit reads the stream's record size limit; 1 MiB when the
// caller may not ask or the endpoint does not say (kinesalite).
func (j *Job) recordSizeLimit(ctx context.Context, c Kinesis) (int, error) {
	out, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(j.Target.Stream)})
	if err != nil {
		if awserr.ContextErr(ctx, j.op("")) == nil {
			switch awserr.Classify(err) {
			// DescribeStreamSummary allows 20 calls a second per account: when it
			// stays throttled after the SDK's retries, or the service fails,
			// assume the default limit (a longer line is then rejected, never lost).
			case awserr.AccessDenied, awserr.Unsupported, awserr.Throttled, awserr.ServerError:
				return ndjson.DefaultMaxLine, nil
			}
		}
		return 0, awserr.Explain(ctx, err, j.op("DescribeStreamSummary"))
	}
	if s := out.StreamDescriptionSummary; s != nil && s.MaxRecordSizeInKiB != nil && *s.MaxRecordSizeInKiB > 0 {
		return int(*s.MaxRecordSizeInKiB) << 10, nil
	}
	return ndjson.DefaultMaxLine, nil
}

// loadShards lists the stream's shards, to pace each at its limits. When
// that is not allowed (LaunchDarkly's minimal policy grants only
// kinesis:PutRecord(s)) or fails, it says so on Notes and returns no map:
// the sender then adapts one stream-wide rate to throttling, and Balance
// is ignored.
func (j *Job) loadShards(ctx context.Context, lister sender.ListShardsAPI) (*sender.ShardMap, sender.ListShardsAPI) {
	m, err := sender.LoadShardMap(ctx, lister, j.Target.Stream)
	if err == nil {
		return m, lister
	}
	if errors.Is(err, context.Canceled) {
		return nil, nil // interrupted: the caller says so
	}
	why := awserr.Short(err)
	if errors.Is(err, sender.ErrShardsNotListable) {
		why = fmt.Sprintf("%v; grant kinesis:ListShards on the stream for per-shard pacing", err)
	}
	fmt.Fprintf(j.Notes, "Note: cannot list the shards of stream %q (%s): pacing the whole stream by throttling feedback instead\n", j.Target.Stream, why)
	if j.Balance {
		fmt.Fprintf(j.Notes, "Warning: --balance ignored: it needs the shard map; random partition keys still spread records over the shards\n")
	}
	return nil, nil
}

// op names a call on the target stream for awserr's messages.
func (j *Job) op(call string) awserr.Op {
	t := j.Target
	return awserr.Op{Service: "Kinesis", Call: call, Resource: fmt.Sprintf("stream %q", t.Stream), Region: t.Region,
		Endpoint: t.Endpoint, Permission: "kinesis:" + call, DeadlineFlag: "--retry-timeout"}
}

// tuneGC trades a little memory for CPU while sending: the garbage collector
// runs at GOGC=400 under a 44 MiB soft memory limit, unless the user set
// GOGC or GOMEMLIMIT. Measured (bench/README.md, 2026-11-29): at
// --concurrency 1, 200,000 records to a local sink took about half the CPU
// of a 40 MiB limit, where the heap sat at the limit; peak RSS for 1 GB from
// stdin 53 MiB, 57 with --aggregate (a 48 MiB limit: 57 and 59, too near
// the 64 MiB budget). The returned func restores the previous settings.
func tuneGC() (restore func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	gc := debug.SetGCPercent(400)
	limit := debug.SetMemoryLimit(44 << 20)
	return func() {
		debug.SetGCPercent(gc)
		debug.SetMemoryLimit(limit)
	}
}
