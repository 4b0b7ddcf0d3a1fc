package sender

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// answerKinesis answers the nth PutRecords (from 0) of n records with answer.
type answerKinesis struct {
	calls  atomic.Int64
	answer func(call int, n int) (*kinesis.PutRecordsOutput, error)
}

func (a *answerKinesis) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	return a.answer(int(a.calls.Add(1)-1), len(in.Records))
}

func entries(n int, e types.PutRecordsResultEntry) []types.PutRecordsResultEntry {
	out := make([]types.PutRecordsResultEntry, n)
	for i := range out {
		out[i] = e
	}
	return out
}

var stored = types.PutRecordsResultEntry{SequenceNumber: aws.String("1"), ShardId: aws.String("shardId-0")}

// Success needs proof: an entry with no error code but no shard ID or no
// sequence number is not a delivery. The record is retried (a possible
// duplicate) and delivered when an answer proves it.
func TestHostileUnconfirmedEntriesAreRetried(t *testing.T) {
	for name, unproven := range map[string]types.PutRecordsResultEntry{
		"empty entry":        {},
		"no sequence number": {ShardId: aws.String("shardId-0")},
		"no shard ID":        {SequenceNumber: aws.String("1")},
		"empty strings":      {SequenceNumber: aws.String(""), ShardId: aws.String("")},
	} {
		t.Run(name, func(t *testing.T) {
			api := &answerKinesis{answer: func(call, n int) (*kinesis.PutRecordsOutput, error) {
				if call == 0 {
					return &kinesis.PutRecordsOutput{Records: entries(n, unproven)}, nil
				}
				return &kinesis.PutRecordsOutput{Records: entries(n, stored)}, nil
			}}
			r := send(t, context.Background(), api, Config{StreamName: "s", Concurrency: 1}, records(3))
			if r.err != nil || r.stats.Sent != 3 || r.stats.Failed != 0 || r.stats.Retries != 3 || r.stats.PossibleDuplicates != 3 {
				t.Fatalf("err %v, stats %+v", r.err, r.stats)
			}
		})
	}
}

// An endpoint that never proves a delivery gets every record rejected with
// the reason once the retry budget is spent, none counted as sent.
func TestHostileNeverConfirmedIsRejected(t *testing.T) {
	tests := []struct {
		name   string
		answer func(n int) *kinesis.PutRecordsOutput
		reason string
	}{
		{"entries without proof", func(n int) *kinesis.PutRecordsOutput {
			return &kinesis.PutRecordsOutput{Records: entries(n, types.PutRecordsResultEntry{})}
		}, "answered without a shard ID and sequence number: delivery not confirmed"},
		{"no entries ({})", func(n int) *kinesis.PutRecordsOutput { return &kinesis.PutRecordsOutput{} }, "PutRecords answered 0 results for "},
		{"one entry short", func(n int) *kinesis.PutRecordsOutput {
			return &kinesis.PutRecordsOutput{Records: entries(n-1, stored)}
		}, " results for "}, // retried records may travel in smaller batches
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &answerKinesis{answer: func(_, n int) (*kinesis.PutRecordsOutput, error) { return tt.answer(n), nil }}
			r := send(t, context.Background(), api, Config{StreamName: "s", Concurrency: 1, MaxAttempts: 3}, records(2))
			if r.stats.Sent != 0 || r.stats.Failed != 2 || r.stats.PossibleDuplicates != 6 {
				t.Fatalf("stats %+v", r.stats)
			}
			for d, reason := range r.rejected {
				if !strings.Contains(reason, "gave up after 3 attempts") || !strings.Contains(reason, tt.reason) {
					t.Errorf("%s rejected with %q, want %q", d, reason, tt.reason)
				}
			}
		})
	}
}

// A request that gets no answer ends at the per-request limit, which the
// retry budget caps: a silent endpoint cannot hold a record longer than
// about twice --retry-timeout.
func TestHostileSilentPutRecordsBoundedByRetryTimeout(t *testing.T) {
	silent := putRecordsFunc(func(ctx context.Context) (*kinesis.PutRecordsOutput, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	start := time.Now()
	r := send(t, context.Background(), silent, Config{StreamName: "s", Concurrency: 1, RetryTimeout: 300 * time.Millisecond}, records(1))
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("took %s with --retry-timeout 300ms", took)
	}
	if r.stats.Sent != 0 || r.stats.Failed != 1 || r.stats.PossibleDuplicates < 1 {
		t.Fatalf("stats %+v", r.stats)
	}
	for _, reason := range r.rejected {
		if !strings.Contains(reason, "no answer: timed out after 300ms (per-request limit)") {
			t.Errorf("rejected with %q", reason)
		}
	}
}

// putRecordsFunc adapts a function to PutRecordsAPI.
type putRecordsFunc func(ctx context.Context) (*kinesis.PutRecordsOutput, error)

func (f putRecordsFunc) PutRecords(ctx context.Context, _ *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	return f(ctx)
}
