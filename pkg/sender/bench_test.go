package sender

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// okKinesis accepts every record at once: the benchmark measures the sender's
// own batching and bookkeeping.
type okKinesis struct{}

func (okKinesis) PutRecords(_ context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	out := &kinesis.PutRecordsOutput{Records: make([]types.PutRecordsResultEntry, len(in.Records))}
	for i := range out.Records {
		out.Records[i].SequenceNumber, out.Records[i].ShardId = aws.String("1"), aws.String("shardId-0")
	}
	return out, nil
}

func BenchmarkSenderBatching(b *testing.B) {
	const n = 20000
	data := make([][]byte, n)
	size := 0
	for i := range data {
		data[i] = []byte(fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("z", 380)))
		size += len(data[i])
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		s := New(context.Background(), okKinesis{}, Config{StreamName: "s"}, func(r *Record, reason string) { b.Fatal(reason) })
		for i, d := range data {
			if err := s.Put(&Record{Source: "-", Line: int64(i + 1), Data: d, Key: "0123456789abcdef0123456789abcdef"}); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
