package kinesistest_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"

	"github.com/ldexport/ldexport/pkg/awserr"
	"github.com/ldexport/ldexport/pkg/kinesistest"
)

// Each kind of Reply, as a real SDK client sees it, with what the server
// stored. The random faults (every request a 500) never apply to a scripted
// answer.
func TestScriptRepliesSeenByClient(t *testing.T) {
	const n = 3
	tests := []struct {
		name  string
		reply kinesistest.Reply
		// check gets the answer, the error, the records stored and the stats.
		check func(t *testing.T, out *kinesis.PutRecordsOutput, err error, stored int, st kinesistest.Stats)
	}{
		{"zero reply: as usual, random faults apply", kinesistest.Reply{}, func(t *testing.T, out *kinesis.PutRecordsOutput, err error, stored int, st kinesistest.Stats) {
			if errorCode(err) != "InternalFailure" || stored != 0 || st.Faults.Request500 != 1 || st.Faults.Scripted != 0 {
				t.Errorf("err %v, stored %d, stats %+v: want the random 500", err, stored, st.Faults)
			}
		}},
		{"whole-request error code", kinesistest.Reply{ErrorCode: "ProvisionedThroughputExceededException", Message: "slow down"}, func(t *testing.T, out *kinesis.PutRecordsOutput, err error, stored int, st kinesistest.Stats) {
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "ProvisionedThroughputExceededException" || ae.ErrorMessage() != "slow down" || awserr.HTTPStatus(err) != 400 {
				t.Errorf("err %v (HTTP %d), want ProvisionedThroughputExceededException: slow down, HTTP 400", err, awserr.HTTPStatus(err))
			}
			if stored != 0 || st.Faults.Scripted != 1 || st.Faults.Request500 != 0 {
				t.Errorf("stored %d, stats %+v", stored, st.Faults)
			}
		}},
		{"error code with a status", kinesistest.Reply{ErrorCode: "InternalFailure", Status: 500}, func(t *testing.T, out *kinesis.PutRecordsOutput, err error, stored int, st kinesistest.Stats) {
			if errorCode(err) != "InternalFailure" || awserr.HTTPStatus(err) != 500 || stored != 0 {
				t.Errorf("err %v (HTTP %d), stored %d", err, awserr.HTTPStatus(err), stored)
			}
		}},
		{"record errors", kinesistest.Reply{RecordErrors: map[int]string{1: "KMSThrottlingException"}}, func(t *testing.T, out *kinesis.PutRecordsOutput, err error, stored int, st kinesistest.Stats) {
			if err != nil {
				t.Fatal(err)
			}
			codes, failed := outcome(out)
			if strings.Join(codes, ",") != "ok,KMSThrottlingException,ok" || failed != 1 || stored != 2 {
				t.Errorf("codes %v, FailedRecordCount %d, stored %d", codes, failed, stored)
			}
		}},
		{"lost response", kinesistest.Reply{LoseResponse: true}, func(t *testing.T, out *kinesis.PutRecordsOutput, err error, stored int, st kinesistest.Stats) {
			if err == nil || errorCode(err) != "" || stored != n || st.Faults.LostResponses != 1 || st.Faults.LostResponseRecords != n {
				t.Errorf("err %v, stored %d, stats %+v: want a connection error after storing", err, stored, st.Faults)
			}
		}},
		{"raw body: entries without proof", kinesistest.Reply{Body: []byte(`{"Records":[{},{"ShardId":"shardId-000000000000"}]}`)}, func(t *testing.T, out *kinesis.PutRecordsOutput, err error, stored int, st kinesistest.Stats) {
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Records) != 2 || out.Records[0].SequenceNumber != nil || aws.ToString(out.Records[1].ShardId) != "shardId-000000000000" || stored != 0 {
				t.Errorf("answer %+v, stored %d", out.Records, stored)
			}
		}},
		{"raw body: a load balancer's page", kinesistest.Reply{Status: 503, ContentType: "text/html", Body: []byte("<html>503 Service Unavailable</html>")}, func(t *testing.T, out *kinesis.PutRecordsOutput, err error, stored int, st kinesistest.Stats) {
			if !awserr.Unparsable(err) || awserr.HTTPStatus(err) != 503 || stored != 0 {
				t.Errorf("err %v (HTTP %d), stored %d: want an unparsable 503", err, awserr.HTTPStatus(err), stored)
			}
		}},
		{"hang", kinesistest.Reply{Hang: true}, func(t *testing.T, out *kinesis.PutRecordsOutput, err error, stored int, st kinesistest.Stats) {
			if !errors.Is(err, context.DeadlineExceeded) || stored != 0 {
				t.Errorf("err %v, stored %d: want the client's deadline, nothing stored", err, stored)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var calls []*kinesistest.Call
			script := func(c *kinesistest.Call) kinesistest.Reply {
				mu.Lock()
				defer mu.Unlock()
				calls = append(calls, c)
				return tt.reply
			}
			srv, client := newServer(t, kinesistest.Options{Script: script, Faults: kinesistest.Faults{Request500: 1}}, map[string]int{"s": 1})
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			recs := entries(n, "x")
			recs[2].ExplicitHashKey = aws.String("7")
			out, err := client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: recs})
			mu.Lock()
			defer mu.Unlock()
			if len(calls) != 1 || calls[0].N != 0 || calls[0].Stream != "s" || len(calls[0].Records) != n ||
				string(calls[0].Records[1].Data) != "x-1" || calls[0].Records[1].PartitionKey != "key-1" ||
				calls[0].Records[1].ExplicitHashKey != "" || calls[0].Records[2].ExplicitHashKey != "7" {
				t.Fatalf("the script saw %d calls: %+v", len(calls), calls)
			}
			tt.check(t, out, err, len(srv.Records("s")), srv.Stats())
		})
	}
}

// A script sees requests numbered in arrival order, is not called for a
// request that fails validation, and may hold a request until the client
// gives up or the server closes.
func TestScriptNumbersAndHoldsRequests(t *testing.T) {
	var mu sync.Mutex
	var seen []int
	held := make(chan struct{})
	srv, client := newServer(t, kinesistest.Options{Script: func(c *kinesistest.Call) kinesistest.Reply {
		mu.Lock()
		seen = append(seen, c.N)
		mu.Unlock()
		if string(c.Records[0].Data) == "hold" {
			close(held)
			<-c.Context.Done()
			return kinesistest.Reply{Hang: true}
		}
		return kinesistest.Reply{}
	}}, map[string]int{"s": 1})
	put := func(ctx context.Context, data string) error {
		_, err := client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s"),
			Records: []types.PutRecordsRequestEntry{{Data: []byte(data), PartitionKey: aws.String("k")}}})
		return err
	}
	for _, d := range []string{"a", "b"} {
		if err := put(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	invalid := []types.PutRecordsRequestEntry{{Data: []byte("x"), PartitionKey: aws.String("")}}
	if _, err := client.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: invalid}); errorCode(err) != "ValidationException" {
		t.Fatalf("a record without a partition key: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- put(context.Background(), "hold") }()
	<-held
	start := time.Now()
	srv.Close() // ends the held request's Context
	if err := <-done; err == nil {
		t.Fatal("the held request was answered")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("Close took %s with a request held", took)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 3 || seen[0] != 0 || seen[1] != 1 || seen[2] != 2 {
		t.Fatalf("the script saw requests %v, want [0 1 2]", seen)
	}
	if got := len(srv.Records("s")); got != 2 {
		t.Fatalf("%d records stored, want the 2 let through", got)
	}
}

func TestAcceptAllAnswersEveryRecordStored(t *testing.T) {
	in := &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: entries(3, "a")}
	out, err := kinesistest.AcceptAll.PutRecords(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	codes, failed := outcome(out)
	if strings.Join(codes, ",") != "ok,ok,ok" || failed != 0 {
		t.Fatalf("codes %v, FailedRecordCount %d", codes, failed)
	}
	for _, r := range out.Records {
		if aws.ToString(r.SequenceNumber) == "" || aws.ToString(r.ShardId) == "" {
			t.Fatalf("entry without proof of storage: %+v", r)
		}
	}
}
