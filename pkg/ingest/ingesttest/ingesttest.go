// Package ingesttest holds scripted Kinesis fakes for tests of pkg/ingest
// and of the commands built on it: PutRecords behaviours that
// pkg/kinesistest's server does not script (fail these records, stall after
// that request, interrupt the run), and a stream of any record size limit.
// For a plain stream that stores what it gets, use pkg/kinesistest.
package ingesttest

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/ldexport/ldexport/pkg/kinesistest"
	"github.com/ldexport/ldexport/pkg/sender"
)

// Lines returns n distinct small events; each has its index in "n", which
// Scripted reads.
func Lines(n int) []string {
	ls := make([]string, n)
	for i := range ls {
		ls[i] = fmt.Sprintf(`{"event":{"kind":"custom","contextKeys":{"user":"u%d"}},"n":%d}`, i%7, i)
	}
	return ls
}

// NewServer starts a pkg/kinesistest fake Kinesis, closed when t ends,
// with stream "s" of one shard.
func NewServer(t testing.TB) *kinesistest.Server {
	t.Helper()
	srv := kinesistest.NewServer(kinesistest.Options{})
	t.Cleanup(srv.Close)
	if err := srv.CreateStream("s", 1); err != nil {
		t.Fatal(err)
	}
	return srv
}

// StoredData is the data of every record srv accepted on stream "s".
func StoredData(srv *kinesistest.Server) [][]byte {
	var out [][]byte
	for _, r := range srv.Records("s") {
		out = append(out, r.Data)
	}
	return out
}

// Count counts each record's data across bs: how often each line arrived.
func Count(bs ...[][]byte) map[string]int {
	m := map[string]int{}
	for _, b := range bs {
		for _, d := range b {
			m[string(d)]++
		}
	}
	return m
}

// Events returns n distinct exported events of about 400 bytes, the size
// of LaunchDarkly's.
func Events(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(`{"project":"p","environment":"production","event":{"kind":"feature","creationDate":%d,"contextKeys":{"user":"user-%d"},"key":"flag-%d","value":true,"variation":1,"version":7,"reason":{"kind":"FALLTHROUGH"},"pad":"%s"},"version":1}`,
			1764150000000+int64(i), i%97, i%13, strings.Repeat("z", 190))
	}
	return out
}

// Stream gives a PutRecords fake what an ingest.Job asks before sending:
// the stream's record size limit, LimitKiB (1 MiB when 0). It lists no
// shards, so a job that paces says so and paces by throttling. Its region
// is us-east-1.
type Stream struct {
	sender.PutRecordsAPI
	LimitKiB int
}

// NewStream returns api on a stream whose record size limit is limitKiB.
func NewStream(api sender.PutRecordsAPI, limitKiB int) Stream {
	return Stream{PutRecordsAPI: api, LimitKiB: limitKiB}
}

// DescribeStreamSummary gives the record size limit.
func (s Stream) DescribeStreamSummary(context.Context, *kinesis.DescribeStreamSummaryInput, ...func(*kinesis.Options)) (*kinesis.DescribeStreamSummaryOutput, error) {
	kib := int32(s.LimitKiB)
	if kib == 0 {
		kib = 1024
	}
	return &kinesis.DescribeStreamSummaryOutput{StreamDescriptionSummary: &types.StreamDescriptionSummary{MaxRecordSizeInKiB: aws.Int32(kib)}}, nil
}

// Options names the fake's region, us-east-1 (as a client's options do).
func (Stream) Options() kinesis.Options { return kinesis.Options{Region: "us-east-1"} }

// ListShards fails.
func (Stream) ListShards(context.Context, *kinesis.ListShardsInput, ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error) {
	return nil, errors.New("ingesttest: no shards to list")
}

// Memory stores records in memory; Fail, when set, decides an error for
// the whole request number n (from 1).
type Memory struct {
	Mu     sync.Mutex
	Stored [][]byte
	Keys   []string
	Calls  int
	Fail   func(n int) error
}

// PutRecords stores in's records, unless Fail fails the request.
func (f *Memory) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Calls++
	if f.Fail != nil {
		if err := f.Fail(f.Calls); err != nil {
			return nil, err
		}
	}
	out := &kinesis.PutRecordsOutput{}
	for _, e := range in.Records {
		f.Stored = append(f.Stored, e.Data)
		f.Keys = append(f.Keys, aws.ToString(e.PartitionKey))
		out.Records = append(out.Records, types.PutRecordsResultEntry{SequenceNumber: aws.String("1"), ShardId: aws.String("shardId-000000000000")})
	}
	return out, nil
}

// Stalled stores the first After requests, then interrupts the run
// (Cancel) and stalls every later request until its context ends: a
// request abandoned at shutdown, nothing stored.
type Stalled struct {
	Memory
	After  int
	Cancel context.CancelFunc
}

// PutRecords stores or stalls.
func (b *Stalled) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, o ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	b.Mu.Lock()
	n := b.Calls
	if n >= b.After {
		b.Calls++
	}
	b.Mu.Unlock()
	if n < b.After {
		return b.Memory.PutRecords(ctx, in, o...)
	}
	b.Cancel()
	<-ctx.Done()
	return nil, ctx.Err()
}

// Scripted answers each record by its line number (the "n" field of
// Lines): accept, fail alone with InternalFailure (Failing), or, for the
// first record at or past InterruptAt, interrupt the run (Cancel) and fail
// the records from there on. Each answer waits Delay, so the reader has
// read every line before anything is decided.
type Scripted struct {
	mu          sync.Mutex
	Delay       time.Duration
	Failing     map[int]bool // always fail these (given up after the retry budget)
	InterruptAt int          // 0: never
	Cancel      context.CancelFunc
}

var lineNumber = regexp.MustCompile(`"n":(\d+)}`)

// PutRecords answers as scripted.
func (k *Scripted) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	time.Sleep(k.Delay)
	k.mu.Lock()
	defer k.mu.Unlock()
	out := &kinesis.PutRecordsOutput{}
	for _, e := range in.Records {
		var n int
		fmt.Sscan(lineNumber.FindStringSubmatch(string(e.Data))[1], &n)
		interrupt := k.InterruptAt > 0 && n >= k.InterruptAt
		if k.Failing[n] || interrupt {
			if interrupt {
				k.Cancel()
			}
			out.Records = append(out.Records, types.PutRecordsResultEntry{ErrorCode: aws.String("InternalFailure"), ErrorMessage: aws.String("scripted")})
			out.FailedRecordCount = aws.Int32(aws.ToInt32(out.FailedRecordCount) + 1)
			continue
		}
		out.Records = append(out.Records, types.PutRecordsResultEntry{SequenceNumber: aws.String("1"), ShardId: aws.String("shardId-000000000000")})
	}
	return out, nil
}
