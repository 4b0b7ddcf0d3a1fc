package kinesistest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/ldexport/ldexport/pkg/kinesistest"
)

// benchBatch is 500 records of about 400 bytes with distinct keys.
func benchBatch(seed int) []types.PutRecordsRequestEntry {
	out := make([]types.PutRecordsRequestEntry, 500)
	for i := range out {
		data := fmt.Appendf(nil, `{"project":"p","environment":"e","event":{"kind":"feature","key":"flag-%d-%d","creationDate":1462220944000,"contextKeys":{"user":"u"}},"version":1}`, seed, i)
		data = append(data, bytes.Repeat([]byte{' '}, 400-len(data))...)
		out[i] = types.PutRecordsRequestEntry{Data: data, PartitionKey: aws.String(fmt.Sprintf("%08x-%d", seed, i))}
	}
	return out
}

// BenchmarkPutRecordsSDK measures PutRecords of 500 records of 400 bytes
// through the real SDK client, 2*GOMAXPROCS requests in flight, no limits
// and no faults; it reports records/s over the whole run.
func BenchmarkPutRecordsSDK(b *testing.B) {
	for _, discard := range []bool{true, false} {
		b.Run(fmt.Sprintf("DiscardData=%v", discard), func(b *testing.B) {
			srv, client := newServer(b, kinesistest.Options{DiscardData: discard}, map[string]int{"bench": 4})
			batches := [][]types.PutRecordsRequestEntry{benchBatch(1), benchBatch(2), benchBatch(3), benchBatch(4)}
			var errs, next atomic.Int64
			b.SetParallelism(2)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					batch := batches[next.Add(1)%int64(len(batches))]
					out, err := client.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String("bench"), Records: batch})
					if err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
						errs.Add(1)
					}
				}
			})
			elapsed := time.Since(start)
			b.StopTimer()
			if errs.Load() > 0 {
				b.Errorf("%d of %d requests failed", errs.Load(), b.N)
			}
			if got := srv.Stats().RecordsAccepted; got != int64(b.N)*500 {
				b.Errorf("server accepted %d records, want %d", got, b.N*500)
			}
			b.ReportMetric(float64(b.N)*500/elapsed.Seconds(), "records/s")
		})
	}
}

// BenchmarkPutRecordsRawHTTP measures the server alone: the same requests,
// serialized once, posted with net/http (no SDK serialization or signing).
func BenchmarkPutRecordsRawHTTP(b *testing.B) {
	srv, _ := newServer(b, kinesistest.Options{DiscardData: true}, map[string]int{"bench": 4})
	var body bytes.Buffer
	body.WriteString(`{"StreamName":"bench","Records":[`)
	for i, e := range benchBatch(9) {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"Data":"%s","PartitionKey":"%s"}`, base64.StdEncoding.EncodeToString(e.Data), aws.ToString(e.PartitionKey))
	}
	body.WriteString(`]}`)
	payload := body.Bytes()
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	client := &http.Client{Transport: transport}
	var errs atomic.Int64
	b.SetParallelism(2)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(payload))
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			req.Header.Set("X-Amz-Target", "Kinesis_20131202.PutRecords")
			resp, err := client.Do(req)
			if err != nil {
				errs.Add(1)
				continue
			}
			var out bytes.Buffer
			_, _ = out.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !bytes.HasSuffix(out.Bytes(), []byte(`"FailedRecordCount":0}`)) {
				errs.Add(1)
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if errs.Load() > 0 {
		b.Errorf("%d of %d requests failed", errs.Load(), b.N)
	}
	b.ReportMetric(float64(b.N)*500/elapsed.Seconds(), "records/s")
}
