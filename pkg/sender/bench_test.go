package sender

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/ldexport/ldexport/pkg/kinesistest"
)

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
		// In memory: the benchmark measures the sender's own batching and
		// bookkeeping, which a round trip would hide.
		s := New(context.Background(), kinesistest.AcceptAll, Config{StreamName: "s"}, func(r *Record, reason string) { b.Fatal(reason) })
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

// BenchmarkPutRecords compares one 500-record PutRecords call, ~430-byte
// records, through the SDK's serializer and through the lean path, against
// an in-process server that drains the request and answers a fixed reply,
// the same for both. The ratio of
// the two in one run is the figure; the HTTP round trip is in both.
func BenchmarkPutRecords(b *testing.B) {
	reply := []byte(`{"FailedRecordCount":0,"Records":[` + strings.TrimSuffix(strings.Repeat(`{"SequenceNumber":"49590338271490256608559692538361571095921575989136588898","ShardId":"shardId-000000000000"},`, 500), ",") + `]}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = w.Write(reply)
	}))
	defer srv.Close()
	client := kinesis.New(kinesis.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
	}, ClientOptions(1))
	batch := make([]*Record, 500)
	size := 0
	for i := range batch {
		batch[i] = &Record{Data: []byte(fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("z", 410))), Key: fmt.Sprintf("%032x", i)}
		size += len(batch[i].Data)
	}
	for _, tc := range []struct {
		name string
		api  PutRecordsAPI
	}{{"sdk", client}, {"lean", NewLeanClient(client, 2)}} {
		b.Run(tc.name, func(b *testing.B) {
			s := &Sender{api: tc.api, cfg: Config{StreamName: "s"}}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				out, err := s.putRecords(context.Background(), batch)
				if err != nil || len(out.entries) != 500 {
					b.Fatal(err)
				}
				out.release()
			}
		})
	}
}
