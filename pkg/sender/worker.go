package sender

import (
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
	batch      []*Record
	verdicts   []verdict // per record of batch; nil while all are stored
	misrouted  bool      // a record landed in another shard than the shard map said
	overloaded bool      // throttled as a whole, a 5xx or a timeout: fewer requests in flight
	fatal      *FatalError
}

// verdict is what a request's answer says about one of its records.
type verdict struct {
	err         string // "" when stored, else why it was not
	throttled   bool   // the record (or its whole request) was throttled
	maybeStored bool   // not confirmed, but it may be stored: a retry may duplicate it
}

// verdict returns record i's verdict.
func (res *result) verdict(i int) verdict {
	if res.verdicts == nil {
		return verdict{}
	}
	return res.verdicts[i]
}

// fail sets record i's verdict, one of a record not stored.
func (res *result) fail(i int, v verdict) {
	if res.verdicts == nil {
		res.verdicts = make([]verdict, len(res.batch))
	}
	res.verdicts[i] = v
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
// the client is a LeanClient, else with SDK request entries. The caller
// releases the answer.
func (s *Sender) putRecords(ctx context.Context, batch []*Record) (*putAnswer, error) {
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
	out, err := s.api.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(s.cfg.StreamName), Records: entries})
	if err != nil {
		return nil, err
	}
	return sdkAnswer(out), nil
}

// put sends one PutRecords request and says what became of each record.
func (s *Sender) put(batch []*Record) result {
	s.countAttempt(batch)
	out, err := s.call(batch)
	defer out.release()
	res := result{batch: batch}
	if err == nil && len(out.entries) != len(batch) {
		// Which records were stored cannot be told: each may be (an answer
		// without a status reads as a lost response to awserr.MaybeDone).
		err = &smithy.DeserializationError{Err: fmt.Errorf("PutRecords answered %d results for %d records", len(out.entries), len(batch))}
	}
	if err != nil {
		s.requestFailed(&res, err)
		return res
	}
	// Read each entry: some endpoints set FailedRecordCount wrongly.
	var st answerTally
	for i, entry := range out.entries {
		s.entryResult(&res, i, entry, &st)
	}
	s.sent.Add(st.records)
	s.bytes.Add(st.bytes)
	s.kinesisRecords.Add(st.kinesisRecords)
	return res
}

// countAttempt notes one more attempt of each record of batch.
func (s *Sender) countAttempt(batch []*Record) {
	now := s.cfg.Now()
	for _, r := range batch {
		if r.attempts == 0 {
			r.first = instantOf(now)
		} else {
			s.retries.Add(1)
		}
		r.attempts++
	}
	s.requests.Add(1)
}

// call sends batch under the per-request limit.
func (s *Sender) call(batch []*Record) (*putAnswer, error) {
	ctx, cancel := awserr.WithDeadline(s.reqCtx, s.cfg.RequestTimeout, "per-request limit")
	defer cancel()
	out, err := s.putRecords(ctx, batch)
	if err != nil && ctx.Err() != nil && s.reqCtx.Err() == nil {
		// The request's own limit ran out: name it (the SDK only says
		// "context deadline exceeded").
		err = fmt.Errorf("%w: %w", context.Cause(ctx), err)
	}
	return out, err
}

// requestFailed gives every record of a failed request the request's verdict.
func (s *Sender) requestFailed(res *result, err error) {
	kind, reason := classify(err)
	v := verdict{err: reason, throttled: kind == failThrottled, maybeStored: kind == failLost}
	switch kind {
	case failFatal:
		res.fatal = &FatalError{Code: awserr.Code(err), Err: err}
	case failThrottled:
		s.throttled.Add(int64(len(res.batch)))
	}
	res.overloaded = kind == failThrottled || awserr.Overloaded(err)
	if s.reqCtx.Err() != nil {
		v.err = "request abandoned at shutdown: " + v.err
		v.maybeStored = true
	}
	for i := range res.batch {
		res.fail(i, v)
	}
}

// answerTally is what one answer stored: added to the Sender's counters once
// per answer, not once per record.
type answerTally struct{ records, bytes, kinesisRecords int64 }

// entryResult reads the result entry of record i of a PutRecords answer,
// counting a stored record in st.
func (s *Sender) entryResult(res *result, i int, entry answerEntry, st *answerTally) {
	r := res.batch[i]
	switch {
	case len(entry.code) != 0:
		s.entryFailed(res, i, entry)
	case len(entry.seq) == 0 || len(entry.shard) == 0:
		// Success needs proof: an entry without an error code (or with an
		// empty one), a shard and a sequence number says nothing was
		// stored, or may have been. Retry it, counted as a possible
		// duplicate.
		res.fail(i, verdict{err: unconfirmed, maybeStored: true})
	default:
		if r.shardID != "" && string(entry.shard) != r.shardID {
			res.misrouted = true
		}
		st.records += int64(r.count())
		st.bytes += r.dataBytes()
		st.kinesisRecords++
	}
}

// entryFailed reads a result entry with an error code.
func (s *Sender) entryFailed(res *result, i int, entry answerEntry) {
	// Strings made here are copies: the entry's bytes go back to a pool.
	code, msg := string(entry.code), string(entry.msg)
	kind := awserr.CodeKind(code)
	v := verdict{err: code, throttled: kind == awserr.Throttled}
	if msg != "" {
		v.err = code + ": " + msg
	}
	if v.throttled {
		s.throttled.Add(1)
	}
	if kind.Fatal() && res.fatal == nil {
		res.fatal = &FatalError{Code: code, Err: &smithy.GenericAPIError{Code: code, Message: msg}}
	}
	res.fail(i, v)
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
	case awserr.Fatal(err):
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
