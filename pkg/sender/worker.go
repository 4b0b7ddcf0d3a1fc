package sender

import (
	"container/heap"
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
	"github.com/ldexport/ldexport/pkg/awserr"
)

// result is what a worker reports about one request.
type result struct {
	batch       []*Record
	errs        []string // per record: "" when stored, else why it was not
	maybeStored bool     // the response was lost: the failed records may be stored
	misrouted   bool     // a record landed in another shard than the shard map said
	overloaded  bool     // throttled as a whole, a 5xx or a timeout: fewer requests in flight
	fatal       *FatalError
}

// FatalError is an error no retry can fix; it stops the run.
type FatalError struct {
	Code string // the AWS error code, e.g. ResourceNotFoundException
	Err  error
}

func (e *FatalError) Error() string { return awserr.Short(e.Err) }
func (e *FatalError) Unwrap() error { return e.Err }

func (s *Sender) worker() {
	defer s.workers.Done()
	for batch := range s.work {
		s.results <- s.put(batch)
	}
}

// putRecords sends batch in one PutRecords call: through the lean path when
// the client is a LeanClient, else with SDK request entries.
func (s *Sender) putRecords(ctx context.Context, batch []*Record) (*kinesis.PutRecordsOutput, error) {
	if lc, ok := s.api.(*LeanClient); ok {
		return lc.putRecords(ctx, s.cfg.StreamName, batch)
	}
	entries := make([]types.PutRecordsRequestEntry, len(batch))
	for i, r := range batch {
		entries[i] = types.PutRecordsRequestEntry{Data: r.Data, PartitionKey: aws.String(r.Key)}
		if r.hashKey != "" {
			entries[i].ExplicitHashKey = aws.String(r.hashKey)
		}
	}
	return s.api.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(s.cfg.StreamName), Records: entries})
}

// put sends one PutRecords request and classifies its outcome.
func (s *Sender) put(batch []*Record) result {
	now := s.cfg.Now()
	for _, r := range batch {
		if r.attempts == 0 {
			r.first = now
		} else {
			s.retries.Add(1)
		}
		r.attempts++
	}
	s.requests.Add(1)
	ctx, cancel := awserr.WithDeadline(s.reqCtx, s.cfg.RequestTimeout, "per-request limit")
	out, err := s.putRecords(ctx, batch)
	if err != nil && ctx.Err() != nil && s.reqCtx.Err() == nil {
		// The request's own limit ran out: name it (the SDK only says
		// "context deadline exceeded").
		err = fmt.Errorf("%w: %w", context.Cause(ctx), err)
	}
	cancel()
	res := result{batch: batch, errs: make([]string, len(batch))}
	if err == nil && len(out.Records) != len(batch) {
		// Which records were stored cannot be told: each may be.
		err = &smithy.DeserializationError{Err: fmt.Errorf("PutRecords answered %d results for %d records", len(out.Records), len(batch))}
		res.maybeStored = true
	}
	if err != nil {
		kind, reason := classify(err)
		switch kind {
		case failFatal:
			res.fatal = &FatalError{Code: awserr.Code(err), Err: err}
		case failThrottled:
			s.throttled.Add(int64(len(batch)))
		case failLost:
			res.maybeStored = true
		}
		res.overloaded = kind == failThrottled || overloaded(err)
		if s.reqCtx.Err() != nil {
			reason = "request abandoned at shutdown: " + reason
			res.maybeStored = true
		}
		for i := range res.errs {
			res.errs[i] = reason
		}
		return res
	}
	// Count the per-record error codes: some endpoints set FailedRecordCount wrongly.
	for i, rr := range out.Records {
		if rr.ErrorCode == nil && (rr.SequenceNumber == nil || rr.ShardId == nil || *rr.SequenceNumber == "" || *rr.ShardId == "") {
			// Success needs proof: an entry without an error code, a shard
			// and a sequence number says nothing was stored, or may have
			// been. Retry it, counted as a possible duplicate.
			res.errs[i] = unconfirmed
			continue
		}
		if rr.ErrorCode == nil {
			if batch[i].shardID != "" && rr.ShardId != nil && *rr.ShardId != batch[i].shardID {
				res.misrouted = true
			}
			s.sent.Add(int64(batch[i].count()))
			s.bytes.Add(batch[i].dataBytes())
			s.kinesisRecords.Add(1)
			continue
		}
		code := aws.ToString(rr.ErrorCode)
		kind := awserr.CodeKind(code)
		if kind == awserr.Throttled {
			s.throttled.Add(1)
		}
		res.errs[i] = code
		if msg := aws.ToString(rr.ErrorMessage); msg != "" {
			res.errs[i] = code + ": " + msg
		}
		if kind.Fatal() && res.fatal == nil {
			res.fatal = &FatalError{Code: code, Err: &smithy.GenericAPIError{Code: code, Message: aws.ToString(rr.ErrorMessage)}}
		}
	}
	return res
}

type failure int

const (
	failRetry     failure = iota // not stored; retry
	failThrottled                // throttled; retry
	failLost                     // sent, response lost: may be stored; retry
	failFatal                    // stop the run
)

// unconfirmed is the failure of a result entry without an error code, a
// shard ID or a sequence number: the record may or may not be stored.
const unconfirmed = "answered without a shard ID and sequence number: delivery not confirmed"

// classify decides what a whole-request error means, in awserr's terms.
func classify(err error) (failure, string) {
	k := awserr.Classify(err)
	reason := awserr.Short(err)
	switch {
	case k.Fatal():
		return failFatal, reason
	case awserr.Unparsable(err) && awserr.IsClientError(err):
		// A 4xx whose body is not an AWS error (a proxy's or firewall's HTML
		// page, an emulator's XML) is an answer, not a hiccup: sending it
		// again gets it again.
		return failFatal, reason
	case k == awserr.Throttled:
		return failThrottled, reason
	case awserr.MaybeDone(err):
		if k == awserr.Timeout {
			return failLost, "no answer: " + reason
		}
		return failLost, "response lost: " + reason
	}
	return failRetry, reason
}

// overloaded reports whether a whole-request error says the endpoint is
// overloaded: a 5xx answer, or no answer in time.
func overloaded(err error) bool {
	switch awserr.Classify(err) {
	case awserr.ServerError, awserr.Timeout:
		return true
	case awserr.BadResponse:
		return awserr.Unparsable(err) && !awserr.IsClientError(err)
	}
	return false
}

// retryQueue is a min-heap of records by due time.
type retryQueue []*Record

func (q retryQueue) Len() int           { return len(q) }
func (q retryQueue) Less(i, j int) bool { return q[i].due.Before(q[j].due) }
func (q retryQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *retryQueue) Push(x any)        { *q = append(*q, x.(*Record)) }
func (q *retryQueue) Pop() any          { old := *q; r := old[len(old)-1]; *q = old[:len(old)-1]; return r }
func (q *retryQueue) push(r *Record)    { heap.Push(q, r) }
func (q *retryQueue) pop() *Record      { return heap.Pop(q).(*Record) }
func (q retryQueue) peek() *Record      { return q[0] }
func (q *retryQueue) drain() []*Record  { d := *q; *q = nil; return d }
