package kinesistest

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// PutRecordsFunc is a PutRecords API answered in memory by a function, with
// no HTTP and no SDK serialisation: for benchmarks that measure a caller's
// own cost per record, which a round trip would hide. Tests should use a
// [Server] (with a [Script] for scripted answers): it sees the requests the
// SDK really sends and answers the way Kinesis does.
type PutRecordsFunc func(ctx context.Context, in *kinesis.PutRecordsInput) (*kinesis.PutRecordsOutput, error)

// PutRecords calls f.
func (f PutRecordsFunc) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	return f(ctx, in)
}

// AcceptAll answers that every record was stored, in shardId-000000000000,
// and keeps nothing.
var AcceptAll PutRecordsFunc = func(_ context.Context, in *kinesis.PutRecordsInput) (*kinesis.PutRecordsOutput, error) {
	out := &kinesis.PutRecordsOutput{Records: make([]types.PutRecordsResultEntry, len(in.Records))}
	for i := range out.Records {
		out.Records[i].SequenceNumber, out.Records[i].ShardId = aws.String("1"), aws.String("shardId-000000000000")
	}
	return out, nil
}
