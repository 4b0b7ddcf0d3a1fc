package streamread_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/ldexport/ldexport/pkg/ctxtime"
	"github.com/ldexport/ldexport/pkg/kinesisbackend"
	"github.com/ldexport/ldexport/pkg/streamread"
)

func TestParsePosition(t *testing.T) {
	ts := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		want    streamread.Position
		wantErr bool
	}{
		{"trim-horizon", streamread.TrimHorizon, false},
		{"TRIM_HORIZON", streamread.TrimHorizon, false},
		{"latest", streamread.Position{Type: types.ShardIteratorTypeLatest}, false},
		{"2026-11-26T10:00:00Z", streamread.Position{Type: types.ShardIteratorTypeAtTimestamp, Timestamp: ts}, false},
		{"2026-11-26T11:00:00+01:00", streamread.Position{Type: types.ShardIteratorTypeAtTimestamp, Timestamp: ts}, false},
		{"yesterday", streamread.Position{}, true},
		{"2026-11-26", streamread.Position{}, true},
		{"", streamread.Position{}, true},
	}
	for _, tt := range tests {
		got, err := streamread.ParsePosition(tt.in)
		if (err != nil) != tt.wantErr {
			t.Fatalf("ParsePosition(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
		}
		if got.Type != tt.want.Type || !got.Timestamp.Equal(tt.want.Timestamp) {
			t.Errorf("ParsePosition(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

// startFunc starts a Kinesis with streams ("name:shards") for one test and
// returns a client of it.
type startFunc func(t *testing.T, streams ...string) *kinesis.Client

// onEachBackend runs test as a subtest against each backend: the in-process
// fake, which always runs, and kinesalite, which skips where not installed.
func onEachBackend(t *testing.T, test func(t *testing.T, start startFunc)) {
	kinesisbackend.Each(t, func(t *testing.T, b kinesisbackend.Backend) {
		test(t, func(t *testing.T, streams ...string) *kinesis.Client { return b.Start(t, streams...).Client })
	})
}

func put(t *testing.T, c *kinesis.Client, stream string, n, from int) []string {
	t.Helper()
	var sent []string
	for i := from; i < from+n; i++ {
		data := fmt.Sprintf(`{"n":%d}`, i)
		if _, err := c.PutRecord(context.Background(), &kinesis.PutRecordInput{StreamName: aws.String(stream), PartitionKey: aws.String(fmt.Sprintf("key-%d", i*7919)), Data: []byte(data)}); err != nil {
			t.Fatalf("PutRecord: %v", err)
		}
		sent = append(sent, data)
	}
	return sent
}

func fast(o streamread.Options) streamread.Options {
	o.CallInterval = time.Millisecond
	o.IdleInterval = 10 * time.Millisecond
	return o
}

func readAll(t *testing.T, c streamread.Client, o streamread.Options) []streamread.Record {
	t.Helper()
	var got []streamread.Record
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := streamread.Read(ctx, c, fast(o), func(r streamread.Record) error { got = append(got, r); return nil }); err != nil {
		t.Fatalf("Read: %v", err)
	}
	return got
}

func TestReadMultiShardReturnsExactlyWhatWasPut(t *testing.T) {
	onEachBackend(t, func(t *testing.T, start startFunc) {
		c := start(t, "four:4")
		sent := put(t, c, "four", 200, 0)
		got := readAll(t, c, streamread.Options{Stream: "four"})
		var data []string
		shards := map[string]bool{}
		for _, r := range got {
			data = append(data, string(r.Data))
			shards[r.ShardID] = true
		}
		sort.Strings(sent)
		sort.Strings(data)
		if fmt.Sprint(data) != fmt.Sprint(sent) {
			t.Fatalf("read %d records, put %d; multisets differ", len(data), len(sent))
		}
		if len(shards) != 4 {
			t.Errorf("records came from %d shards, want 4", len(shards))
		}
	})
}

func TestReadLatestSkipsOldRecords(t *testing.T) {
	onEachBackend(t, func(t *testing.T, start startFunc) {
		c := start(t, "s:2")
		put(t, c, "s", 20, 0)
		got := readAll(t, c, streamread.Options{Stream: "s", From: streamread.Position{Type: types.ShardIteratorTypeLatest}})
		if len(got) != 0 {
			t.Fatalf("from latest read %d old records, want 0", len(got))
		}
	})
}

func TestReadFollowSeesNewRecordsAndStops(t *testing.T) {
	onEachBackend(t, func(t *testing.T, start startFunc) {
		c := start(t, "s:2")
		put(t, c, "s", 5, 0)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var mu sync.Mutex
		var got []string
		done := make(chan error, 1)
		ic := &iteratorCounter{Client: c, taken: make(chan struct{}, 2)}
		go func() {
			done <- streamread.Read(ctx, ic, fast(streamread.Options{Stream: "s", Follow: true, From: streamread.Position{Type: types.ShardIteratorTypeLatest}}), func(r streamread.Record) error {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, string(r.Data))
				if len(got) == 3 {
					return streamread.ErrStop
				}
				return nil
			})
		}()
		// Put only once both shards have their LATEST iterator.
		for range 2 {
			select {
			case <-ic.taken:
			case <-ctx.Done():
				t.Fatal("no shard iterators taken")
			}
		}
		put(t, c, "s", 3, 100)
		if err := <-done; err != nil {
			t.Fatalf("Read: %v", err)
		}
		sort.Strings(got)
		if want := `[{"n":100} {"n":101} {"n":102}]`; fmt.Sprint(got) != want {
			t.Errorf("followed %v, want %v", got, want)
		}
	})
}

// iteratorCounter signals each GetShardIterator answered.
type iteratorCounter struct {
	streamread.Client
	taken chan struct{}
}

func (c *iteratorCounter) GetShardIterator(ctx context.Context, in *kinesis.GetShardIteratorInput, o ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error) {
	out, err := c.Client.GetShardIterator(ctx, in, o...)
	select {
	case c.taken <- struct{}{}:
	default:
	}
	return out, err
}

func TestReadReadsParentBeforeChildrenAfterSplit(t *testing.T) {
	onEachBackend(t, func(t *testing.T, start startFunc) {
		c := start(t, "split:1")
		ctx := context.Background()
		before := put(t, c, "split", 30, 0)
		// Split the only shard at the middle of the hash key range.
		if _, err := c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("split"), ShardToSplit: aws.String("shardId-000000000000"), NewStartingHashKey: aws.String("170141183460469231731687303715884105728")}); err != nil {
			t.Fatalf("SplitShard: %v", err)
		}
		waitActive(t, c, "split")
		after := put(t, c, "split", 30, 1000)

		got := readAll(t, c, streamread.Options{Stream: "split"})
		if len(got) != 60 {
			t.Fatalf("read %d records, want 60", len(got))
		}
		childShards := map[string]bool{}
		for i, r := range got {
			if i < 30 {
				if r.ShardID != "shardId-000000000000" {
					t.Fatalf("record %d came from %s before the parent was drained", i, r.ShardID)
				}
				if string(r.Data) != before[i] {
					t.Errorf("parent record %d = %s, want %s (in order)", i, r.Data, before[i])
				}
				continue
			}
			childShards[r.ShardID] = true
		}
		var childData []string
		for _, r := range got[30:] {
			childData = append(childData, string(r.Data))
		}
		sort.Strings(childData)
		sort.Strings(after)
		if fmt.Sprint(childData) != fmt.Sprint(after) {
			t.Errorf("child records differ from those put after the split")
		}
		if len(childShards) != 2 {
			t.Errorf("child records came from %d shards, want 2: %v", len(childShards), childShards)
		}
	})
}

// waitActive waits until a stream is ACTIVE again after a reshard.
func waitActive(t *testing.T, c *kinesis.Client, stream string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		out, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(stream)})
		if err != nil {
			t.Fatalf("waiting for stream %s to be ACTIVE: %v", stream, err)
		}
		if out.StreamDescriptionSummary.StreamStatus == types.StreamStatusActive {
			return
		}
		if err := ctxtime.Sleep(ctx, 50*time.Millisecond); err != nil {
			t.Fatalf("stream %s not ACTIVE after 30s", stream)
		}
	}
}

func TestFind(t *testing.T) {
	onEachBackend(t, func(t *testing.T, start startFunc) {
		c := start(t, "s:2")
		ctx := context.Background()
		put(t, c, "s", 10, 0)
		res, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("pk"), Data: []byte("needle")})
		if err != nil {
			t.Fatal(err)
		}
		put(t, c, "s", 10, 100)
		rec, err := streamread.Find(ctx, c, "s", aws.ToString(res.ShardId), aws.ToString(res.SequenceNumber), nil)
		if err != nil {
			t.Fatalf("Find: %v", err)
		}
		if string(rec.Data) != "needle" || rec.PartitionKey != "pk" {
			t.Errorf("Find returned %q (key %q), want needle (key pk)", rec.Data, rec.PartitionKey)
		}

		// A sequence number of another shard: Kinesis rejects it.
		other := "shardId-000000000000"
		if aws.ToString(res.ShardId) == other {
			other = "shardId-000000000001"
		}
		if _, err = streamread.Find(ctx, c, "s", other, aws.ToString(res.SequenceNumber), nil); err == nil || !strings.Contains(err.Error(), "InvalidArgumentException") {
			t.Errorf("Find of a sequence number from another shard: error %v, want InvalidArgumentException", err)
		}
	})
}

// emptyShardClient has an iterator but never a record.
type emptyShardClient struct{ streamread.Client }

func (emptyShardClient) GetShardIterator(context.Context, *kinesis.GetShardIteratorInput, ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error) {
	return &kinesis.GetShardIteratorOutput{ShardIterator: aws.String("it")}, nil
}

func (emptyShardClient) GetRecords(context.Context, *kinesis.GetRecordsInput, ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	return &kinesis.GetRecordsOutput{NextShardIterator: aws.String("it"), MillisBehindLatest: aws.Int64(0)}, nil
}

func TestFindGivesUpAtTheDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := streamread.Find(ctx, emptyShardClient{}, "s", "shardId-000000000000", "1", nil)
	if !errors.Is(err, streamread.ErrNotFound) {
		t.Fatalf("error %v, want ErrNotFound", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Find took %v after a 300ms deadline", d)
	}
}

// throttlingClient answers GetRecords with ProvisionedThroughputExceeded a
// few times before passing calls through, and records the pauses taken.
type throttlingClient struct {
	streamread.Client
	throttles int
}

func (c *throttlingClient) GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, o ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	if c.throttles > 0 {
		c.throttles--
		return nil, &types.ProvisionedThroughputExceededException{Message: aws.String("Rate exceeded for shard")}
	}
	return c.Client.GetRecords(ctx, in, o...)
}

func TestReadBacksOffWhenThrottled(t *testing.T) {
	onEachBackend(t, func(t *testing.T, start startFunc) {
		kc := start(t, "s:1")
		sent := put(t, kc, "s", 3, 0)
		c := &throttlingClient{Client: kc, throttles: 3}
		var pauses []time.Duration
		opts := streamread.Options{Stream: "s", CallInterval: time.Nanosecond, Sleep: func(ctx context.Context, d time.Duration) error {
			pauses = append(pauses, d)
			return nil
		}}
		var got []string
		if err := streamread.Read(context.Background(), c, opts, func(r streamread.Record) error { got = append(got, string(r.Data)); return nil }); err != nil {
			t.Fatalf("Read: %v", err)
		}
		if fmt.Sprint(got) != fmt.Sprint(sent) {
			t.Errorf("read %v, want %v", got, sent)
		}
		var backoffs []time.Duration
		for _, p := range pauses {
			if p >= 500*time.Millisecond {
				backoffs = append(backoffs, p)
			}
		}
		if want := "[500ms 1s 2s]"; fmt.Sprint(backoffs) != want {
			t.Errorf("backoffs %v, want %v", backoffs, want)
		}
	})
}
