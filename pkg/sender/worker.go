package sender

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// result is what a worker reports about one request.
type result struct {
	batch       []*Record
	errs        []string // per record: "" when stored, else why it was not
	maybeStored bool     // the response was lost: the failed records may be stored
	misrouted   bool     // a record landed in another shard than the shard map said
	fatal       *FatalError
}

// FatalError is an error no retry can fix; it stops the run.
type FatalError struct {
	Code string // the AWS error code, e.g. ResourceNotFoundException
	Err  error
}

func (e *FatalError) Error() string {
	var ae smithy.APIError
	if errors.As(e.Err, &ae) {
		if msg := ae.ErrorMessage(); msg != "" {
			return fmt.Sprintf("%s: %s", e.Code, msg)
		}
		return e.Code
	}
	return e.Err.Error()
}
func (e *FatalError) Unwrap() error { return e.Err }

// fatalCodes are the errors that no retry fixes.
var fatalCodes = map[string]bool{
	"ResourceNotFoundException":   true,
	"AccessDeniedException":       true,
	"KMSAccessDeniedException":    true,
	"KMSDisabledException":        true,
	"KMSNotFoundException":        true,
	"KMSInvalidStateException":    true,
	"KMSOptInRequired":            true,
	"ValidationException":         true,
	"InvalidArgumentException":    true,
	"UnrecognizedClientException": true,
	"InvalidSignatureException":   true,
	"IncompleteSignature":         true,
	"MissingAuthenticationToken":  true,
	"ExpiredTokenException":       true,
	"ExpiredToken":                true,
	"InvalidClientTokenId":        true,
}

// throttleCodes are whole-request throttling errors.
var throttleCodes = map[string]bool{
	"ProvisionedThroughputExceededException": true,
	"KMSThrottlingException":                 true,
	"LimitExceededException":                 true,
	"ThrottlingException":                    true,
	"Throttling":                             true,
	"TooManyRequestsException":               true,
	"RequestLimitExceeded":                   true,
}

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
	ctx, cancel := context.WithTimeout(s.reqCtx, s.cfg.RequestTimeout)
	out, err := s.putRecords(ctx, batch)
	cancel()
	res := result{batch: batch, errs: make([]string, len(batch))}
	if err == nil && len(out.Records) != len(batch) {
		err = fmt.Errorf("PutRecords answered %d results for %d records", len(out.Records), len(batch))
		res.maybeStored = true
	}
	if err != nil {
		kind, reason := classify(err)
		switch kind {
		case failFatal:
			var ae smithy.APIError
			code := ""
			if errors.As(err, &ae) {
				code = ae.ErrorCode()
			}
			res.fatal = &FatalError{Code: code, Err: err}
		case failThrottled:
			s.throttled.Add(int64(len(batch)))
		case failLost:
			res.maybeStored = true
		}
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
		if code == "ProvisionedThroughputExceededException" {
			s.throttled.Add(1)
		}
		res.errs[i] = code
		if msg := aws.ToString(rr.ErrorMessage); msg != "" {
			res.errs[i] = code + ": " + msg
		}
		if fatalCodes[code] && res.fatal == nil {
			res.fatal = &FatalError{Code: code, Err: errors.New(res.errs[i])}
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

// classify decides what a whole-request error means.
func classify(err error) (failure, string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		reason := code
		if msg := ae.ErrorMessage(); msg != "" {
			reason = code + ": " + msg
		}
		switch {
		case fatalCodes[code]:
			return failFatal, reason
		case throttleCodes[code]:
			return failThrottled, reason
		}
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() >= 400 && re.HTTPStatusCode() < 500 {
			return failFatal, reason // an unknown client error: retrying will not help
		}
		return failRetry, reason
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return failRetry, fmt.Sprintf("cannot connect: %v", oe.Err)
	}
	var re *smithyhttp.ResponseError
	// Status 0 means no response came back (EOF, connection reset): the
	// request may have been stored, so it is a lost response, not a failure.
	if errors.As(err, &re) && re.HTTPStatusCode() != 0 {
		if re.HTTPStatusCode() == http.StatusOK {
			return failLost, fmt.Sprintf("unreadable response: %v", err)
		}
		return failRetry, fmt.Sprintf("HTTP %d: %v", re.HTTPStatusCode(), err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return failLost, "request timed out"
	}
	return failLost, fmt.Sprintf("response lost: %v", err)
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
