package sender

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// instantHTTP is an HTTP client that answers at once, in process: it reads
// and closes the request body as net/http does and answers reply, so a
// benchmark through it measures the client side of a call alone.
type instantHTTP struct{ reply []byte }

func (f instantHTTP) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amzn-Requestid": {"req"}},
		Body:          io.NopCloser(bytes.NewReader(f.reply)),
		ContentLength: int64(len(f.reply)),
		Request:       req,
	}, nil
}

// BenchmarkLeanCall is one lean PutRecords call against instantHTTP: the
// SDK's per-call machinery (middleware stack, endpoint resolution, SigV4,
// user agent, invocation id) plus, with 500 records, the body and its
// SHA-256. One record isolates the per-call cost.
func BenchmarkLeanCall(b *testing.B) {
	for _, n := range []int{1, 500} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			reply := []byte(`{"FailedRecordCount":0,"Records":[` + strings.TrimSuffix(strings.Repeat(`{"SequenceNumber":"49590338271490256608559692538361571095921575989136588898","ShardId":"shardId-000000000000"},`, n), ",") + `]}`)
			client := kinesis.New(kinesis.Options{
				Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:4567"),
				Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider("AKID", "secret", "")),
			}, ClientOptions(1), func(o *kinesis.Options) { o.HTTPClient = plainBodyClient{instantHTTP{reply}} })
			batch := make([]*Record, n)
			for i := range batch {
				batch[i] = &Record{Data: []byte(fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("z", 410))), Key: fmt.Sprintf("%032x", i)}
			}
			lean := NewLeanClient(client, 2)
			b.ReportAllocs()
			for b.Loop() {
				out, err := lean.putRecords(context.Background(), "s", batch)
				if err != nil || len(out.entries) != n {
					b.Fatal(err)
				}
				out.release()
			}
		})
	}
}
