// Package streamread reads records back from a Kinesis data stream: every
// shard of a stream from a starting position (Read), or one record at a known
// shard and sequence number (Find). It knows the read-side rules of Kinesis —
// at most five GetRecords calls a second per shard, back off on
// ProvisionedThroughputExceededException, read a closed parent shard before
// its children after a reshard — and nothing of the command line.
package streamread

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/ldexport/ldexport/pkg/ctxtime"
)

// Client is the part of the Kinesis API a reader uses; *kinesis.Client
// satisfies it.
type Client interface {
	ListShards(ctx context.Context, in *kinesis.ListShardsInput, optFns ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error)
	GetShardIterator(ctx context.Context, in *kinesis.GetShardIteratorInput, optFns ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error)
}

// Position is where reading starts in each shard.
type Position struct {
	// Type is TRIM_HORIZON, LATEST or AT_TIMESTAMP.
	Type types.ShardIteratorType
	// Timestamp is the start for AT_TIMESTAMP.
	Timestamp time.Time
}

// TrimHorizon is the oldest record each shard still holds.
var TrimHorizon = Position{Type: types.ShardIteratorTypeTrimHorizon}

// ParsePosition reads "trim-horizon", "latest" or an RFC 3339 timestamp
// such as 2026-11-26T10:00:00Z.
func ParsePosition(s string) (Position, error) {
	switch strings.ToLower(s) {
	case "trim-horizon", "trim_horizon":
		return TrimHorizon, nil
	case "latest":
		return Position{Type: types.ShardIteratorTypeLatest}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return Position{}, fmt.Errorf("invalid position %q: want trim-horizon, latest or an RFC 3339 time such as 2026-11-26T10:00:00Z", s)
	}
	return Position{Type: types.ShardIteratorTypeAtTimestamp, Timestamp: t}, nil
}

// Record is one record read from a shard.
type Record struct {
	ShardID        string
	SequenceNumber string
	PartitionKey   string
	Data           []byte
	ArrivalTime    time.Time
}

// ErrStop, returned by a Read callback, ends the read without error.
var ErrStop = errors.New("stop reading")

// Options control Read. The zero value reads every shard from TRIM_HORIZON
// until each is drained.
type Options struct {
	// Stream is the stream's name (kinesalite needs the name; not the ARN).
	Stream string
	// From is where each shard present at the start is read from (a child
	// shard only after its parents). Shards that appear while following are
	// new, so they are read from their start (TRIM_HORIZON): nothing written
	// after a reshard is missed.
	From Position
	// Follow keeps polling after every shard is drained, until ctx ends.
	Follow bool
	// CallInterval is the least time between two GetRecords calls on one
	// shard: 200ms keeps within Kinesis's 5 calls a second per shard.
	CallInterval time.Duration
	// IdleInterval is the wait after a GetRecords that returned nothing
	// while following (default 1s).
	IdleInterval time.Duration
	// RelistInterval is how often shards are listed again while following,
	// to find shards that a reshard opened (default 10s).
	RelistInterval time.Duration
	// Limit is GetRecords' Limit (default 10,000, the API's maximum).
	Limit int32
	// Sleep waits for d or until ctx ends (tests speed it up).
	Sleep func(ctx context.Context, d time.Duration) error
}

func (o *Options) defaults() {
	if o.From.Type == "" {
		o.From = TrimHorizon
	}
	if o.CallInterval == 0 {
		o.CallInterval = 200 * time.Millisecond
	}
	if o.IdleInterval == 0 {
		o.IdleInterval = time.Second
	}
	if o.RelistInterval == 0 {
		o.RelistInterval = 10 * time.Second
	}
	if o.Limit == 0 {
		o.Limit = 10000
	}
	if o.Sleep == nil {
		o.Sleep = ctxtime.Sleep
	}
}

// listAllShards lists every shard of a stream, following NextToken pages.
func listAllShards(ctx context.Context, c Client, stream string) ([]types.Shard, error) {
	var out []types.Shard
	in := &kinesis.ListShardsInput{StreamName: aws.String(stream)}
	for {
		res, err := c.ListShards(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list shards of stream %s: %w", stream, err)
		}
		out = append(out, res.Shards...)
		if res.NextToken == nil || *res.NextToken == "" {
			return out, nil
		}
		// With NextToken, StreamName must be left out.
		in = &kinesis.ListShardsInput{NextToken: res.NextToken}
	}
}

// Read reads the records of every shard of opts.Stream and calls fn with each,
// one call at a time. Records of one shard come in order; shards are read
// side by side. A closed parent shard is read to its end before its children.
//
// Without Follow, Read returns nil once every shard is drained: a closed shard
// when it has no next iterator, an open one when GetRecords returns nothing
// and is 0 ms behind the tip. With Follow it returns when ctx ends (with
// ctx's error). fn returning ErrStop ends Read with nil; any other error
// ends it with that error.
func Read(ctx context.Context, c Client, opts Options, fn func(Record) error) error {
	opts.defaults()
	r := &reader{c: c, opts: opts, fn: fn, shards: map[string]*shardState{}}
	return r.run(ctx)
}

type shardState struct {
	shard   types.Shard
	done    chan struct{}
	started bool
	// fromStart: read from TRIM_HORIZON rather than opts.From.
	fromStart bool
}

type reader struct {
	c    Client
	opts Options
	fn   func(Record) error
	// req is the context of requests: it ends a grace period after the
	// read's own context (see requestContext).
	req context.Context

	fnMu   sync.Mutex
	mu     sync.Mutex
	shards map[string]*shardState
}

// requestGrace is how long a request in flight may finish after a read is
// told to stop. Aborting a request mid-flight gains nothing on AWS and makes
// kinesalite 3.3.3 crash (it throws on an aborted request).
const requestGrace = 2 * time.Second

// requestContext returns a context for requests that ends requestGrace after
// ctx ends, or when release is called.
func requestContext(ctx context.Context) (req context.Context, release func()) {
	req, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer cancel()
		select {
		case <-done:
		case <-ctx.Done():
			t := time.NewTimer(requestGrace)
			defer t.Stop()
			select {
			case <-done:
			case <-t.C:
			}
		}
	}()
	return req, func() { close(done) }
}

func (r *reader) run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, release := requestContext(ctx)
	defer release()
	r.req = req

	var wg sync.WaitGroup
	errs := make(chan error, 1)
	fail := func(err error) {
		select {
		case errs <- err:
		default:
		}
		cancel(err)
	}
	closed := make(chan struct{}, 1) // a shard ended: list again to find its children
	start := func(first bool) error {
		shards, err := listAllShards(r.req, r.c, r.opts.Stream)
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		var fresh []*shardState
		for _, sh := range shards {
			id := aws.ToString(sh.ShardId)
			if _, ok := r.shards[id]; ok {
				continue
			}
			st := &shardState{shard: sh, done: make(chan struct{}), fromStart: !first}
			r.shards[id] = st
			fresh = append(fresh, st)
		}
		sort.Slice(fresh, func(i, j int) bool {
			return aws.ToString(fresh[i].shard.ShardId) < aws.ToString(fresh[j].shard.ShardId)
		})
		for _, st := range fresh {
			var waitFor []chan struct{}
			for _, p := range parents(st.shard) {
				if ps, ok := r.shards[p]; ok {
					waitFor = append(waitFor, ps.done)
				}
			}
			st.started = true
			wg.Add(1)
			go func(st *shardState) {
				defer wg.Done()
				defer close(st.done)
				for _, ch := range waitFor {
					select {
					case <-ch:
					case <-ctx.Done():
						return
					}
				}
				closedShard, err := r.readShard(ctx, st)
				if err != nil {
					if errors.Is(err, ErrStop) {
						cancel(ErrStop)
						return
					}
					if ctx.Err() == nil {
						fail(err)
					}
					return
				}
				if closedShard {
					select {
					case closed <- struct{}{}:
					default:
					}
				}
			}(st)
		}
		return nil
	}
	if err := start(true); err != nil {
		return err
	}

	if r.opts.Follow {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(r.opts.RelistInterval)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				case <-closed:
				}
				if err := start(false); err != nil && ctx.Err() == nil {
					fail(err)
					return
				}
			}
		}()
	}
	wg.Wait()

	select {
	case err := <-errs:
		return err
	default:
	}
	if cause := context.Cause(ctx); errors.Is(cause, ErrStop) {
		return nil
	}
	return ctx.Err()
}

func parents(sh types.Shard) []string {
	var out []string
	for _, p := range []*string{sh.ParentShardId, sh.AdjacentParentShardId} {
		if p != nil && *p != "" {
			out = append(out, *p)
		}
	}
	return out
}

// readShard reads one shard until it is drained (or, following, closed).
// It reports whether the shard reached its end (a closed shard).
func (r *reader) readShard(ctx context.Context, st *shardState) (bool, error) {
	id := aws.ToString(st.shard.ShardId)
	pos := r.opts.From
	if st.fromStart {
		pos = TrimHorizon
	}
	iter, err := r.iterator(r.req, id, pos, "")
	if err != nil {
		return false, err
	}
	lastSeq := ""
	backoff := time.Duration(0)
	var lastCall time.Time
	for iter != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if wait := r.opts.CallInterval - time.Since(lastCall); !lastCall.IsZero() && wait > 0 {
			if err := r.opts.Sleep(ctx, wait); err != nil {
				return false, err
			}
		}
		lastCall = time.Now()
		res, err := r.c.GetRecords(r.req, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(r.opts.Limit)})
		if err != nil {
			var pte *types.ProvisionedThroughputExceededException
			var exp *types.ExpiredIteratorException
			switch {
			case errors.As(err, &pte):
				backoff = min(max(2*backoff, 500*time.Millisecond), 10*time.Second)
				if err := r.opts.Sleep(ctx, backoff); err != nil {
					return false, err
				}
				continue
			case errors.As(err, &exp):
				// Iterators live five minutes; take a new one where we were.
				if iter, err = r.iterator(r.req, id, pos, lastSeq); err != nil {
					return false, err
				}
				continue
			}
			return false, fmt.Errorf("read shard %s of stream %s: %w", id, r.opts.Stream, err)
		}
		backoff = 0
		for _, rec := range res.Records {
			lastSeq = aws.ToString(rec.SequenceNumber)
			out := Record{ShardID: id, SequenceNumber: lastSeq, PartitionKey: aws.ToString(rec.PartitionKey), Data: rec.Data, ArrivalTime: aws.ToTime(rec.ApproximateArrivalTimestamp)}
			r.fnMu.Lock()
			err := ctx.Err() // no record after a stop
			if err == nil {
				err = r.fn(out)
			}
			r.fnMu.Unlock()
			if err != nil {
				return false, err
			}
		}
		iter = res.NextShardIterator
		if iter == nil {
			return true, nil
		}
		if len(res.Records) == 0 {
			if !r.opts.Follow && aws.ToInt64(res.MillisBehindLatest) == 0 {
				return false, nil
			}
			if r.opts.Follow {
				if err := r.opts.Sleep(ctx, r.opts.IdleInterval); err != nil {
					return false, err
				}
			}
		}
	}
	return true, nil
}

// iterator returns a shard iterator at pos, or just after afterSeq when given.
func (r *reader) iterator(ctx context.Context, shardID string, pos Position, afterSeq string) (*string, error) {
	in := &kinesis.GetShardIteratorInput{StreamName: aws.String(r.opts.Stream), ShardId: aws.String(shardID), ShardIteratorType: pos.Type}
	switch {
	case afterSeq != "":
		in.ShardIteratorType = types.ShardIteratorTypeAfterSequenceNumber
		in.StartingSequenceNumber = aws.String(afterSeq)
	case pos.Type == types.ShardIteratorTypeAtTimestamp:
		in.Timestamp = aws.Time(pos.Timestamp)
	}
	res, err := r.c.GetShardIterator(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("get an iterator for shard %s of stream %s: %w", shardID, r.opts.Stream, err)
	}
	return res.ShardIterator, nil
}

// ErrNotFound is returned by Find when the shard holds no record at the
// sequence number before the deadline.
var ErrNotFound = errors.New("record not found")

// Find reads the record at sequenceNumber in one shard and returns it,
// polling with a growing pause (from 100ms to 1s) until it is visible or ctx
// ends. It returns ErrNotFound (wrapped) when ctx ends first or when the
// shard has moved past that sequence number without it.
func Find(ctx context.Context, c Client, stream, shardID, sequenceNumber string, sleep func(context.Context, time.Duration) error) (Record, error) {
	if sleep == nil {
		sleep = ctxtime.Sleep
	}
	req, release := requestContext(ctx)
	defer release()
	pause := 100 * time.Millisecond
	var iter *string
	for {
		if iter == nil {
			res, err := c.GetShardIterator(req, &kinesis.GetShardIteratorInput{
				StreamName: aws.String(stream), ShardId: aws.String(shardID),
				ShardIteratorType:      types.ShardIteratorTypeAtSequenceNumber,
				StartingSequenceNumber: aws.String(sequenceNumber),
			})
			if err != nil {
				if ctx.Err() != nil {
					return Record{}, fmt.Errorf("%w: sequence number %s in shard %s of stream %s: %v", ErrNotFound, sequenceNumber, shardID, stream, ctx.Err())
				}
				return Record{}, fmt.Errorf("get an iterator at sequence number %s in shard %s of stream %s: %w", sequenceNumber, shardID, stream, err)
			}
			iter = res.ShardIterator
		}
		res, err := c.GetRecords(req, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(10)})
		var pte *types.ProvisionedThroughputExceededException
		switch {
		case err == nil:
		case errors.As(err, &pte):
		case ctx.Err() != nil:
			return Record{}, fmt.Errorf("%w: sequence number %s in shard %s of stream %s: %v", ErrNotFound, sequenceNumber, shardID, stream, ctx.Err())
		default:
			return Record{}, fmt.Errorf("read shard %s of stream %s: %w", shardID, stream, err)
		}
		if err == nil {
			for _, rec := range res.Records {
				if aws.ToString(rec.SequenceNumber) == sequenceNumber {
					return Record{ShardID: shardID, SequenceNumber: sequenceNumber, PartitionKey: aws.ToString(rec.PartitionKey), Data: rec.Data, ArrivalTime: aws.ToTime(rec.ApproximateArrivalTimestamp)}, nil
				}
			}
			if len(res.Records) > 0 {
				return Record{}, fmt.Errorf("%w: shard %s of stream %s has no record at sequence number %s (the first record there is %s)", ErrNotFound, shardID, stream, sequenceNumber, aws.ToString(res.Records[0].SequenceNumber))
			}
			iter = res.NextShardIterator
		}
		if err := sleep(ctx, pause); err != nil {
			return Record{}, fmt.Errorf("%w: sequence number %s in shard %s of stream %s: %v", ErrNotFound, sequenceNumber, shardID, stream, err)
		}
		pause = min(2*pause, time.Second)
	}
}
