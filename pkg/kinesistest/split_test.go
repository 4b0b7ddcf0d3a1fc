package kinesistest_test

import (
	"context"
	"fmt"
	"math/big"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/ldexport/ldexport/pkg/kinesistest"
)

const half = "170141183460469231731687303715884105728" // 2^127

func split(ctx context.Context, c *kinesis.Client, stream, shard, key string) error {
	_, err := c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String(stream), ShardToSplit: aws.String(shard), NewStartingHashKey: aws.String(key)})
	return err
}

func TestSplitShard(t *testing.T) {
	srv, c := newServer(t, kinesistest.Options{}, map[string]int{"s": 1})
	ctx := context.Background()
	put := func(key string) *kinesis.PutRecordOutput {
		t.Helper()
		out, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String(key), Data: []byte(key)})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for i := range 5 {
		put(fmt.Sprint("before-", i))
	}
	if err := split(ctx, c, "s", "shardId-000000000000", half); err != nil {
		t.Fatalf("SplitShard: %v", err)
	}

	ls, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("s")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sh := range ls.Shards {
		got = append(got, fmt.Sprintf("%s parent=%s %s..%s closed=%t", aws.ToString(sh.ShardId), aws.ToString(sh.ParentShardId),
			aws.ToString(sh.HashKeyRange.StartingHashKey), aws.ToString(sh.HashKeyRange.EndingHashKey), sh.SequenceNumberRange.EndingSequenceNumber != nil))
	}
	want := []string{
		"shardId-000000000000 parent= 0..340282366920938463463374607431768211455 closed=true",
		"shardId-000000000001 parent=shardId-000000000000 0..170141183460469231731687303715884105727 closed=false",
		"shardId-000000000002 parent=shardId-000000000000 170141183460469231731687303715884105728..340282366920938463463374607431768211455 closed=false",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("shards after the split:\n%v\nwant\n%v", got, want)
	}
	sum, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("s")})
	if err != nil || aws.ToInt32(sum.StreamDescriptionSummary.OpenShardCount) != 2 || sum.StreamDescriptionSummary.StreamStatus != types.StreamStatusActive {
		t.Fatalf("DescribeStreamSummary: %+v, %v: want ACTIVE with 2 open shards", sum, err)
	}

	// Writes go to the child whose range holds the key's hash.
	for i := range 20 {
		key := fmt.Sprint("after-", i)
		out := put(key)
		wantShard := "shardId-000000000001"
		if h, _ := new(big.Int).SetString(kinesistest.HashKey(key), 10); h.Cmp(mustBig(half)) >= 0 {
			wantShard = "shardId-000000000002"
		}
		if aws.ToString(out.ShardId) != wantShard {
			t.Errorf("key %s went to %s, want %s", key, aws.ToString(out.ShardId), wantShard)
		}
	}

	// The parent holds what it had; at its end there is no next iterator,
	// and the children are named.
	it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Records) != 5 || res.NextShardIterator != nil || len(res.ChildShards) != 2 {
		t.Fatalf("parent: %d records, next iterator %v, %d child shards; want 5, nil, 2", len(res.Records), res.NextShardIterator, len(res.ChildShards))
	}
	if cs := res.ChildShards[1]; aws.ToString(cs.ShardId) != "shardId-000000000002" || fmt.Sprint(cs.ParentShards) != "[shardId-000000000000]" || aws.ToString(cs.HashKeyRange.StartingHashKey) != half {
		t.Errorf("child shard %+v", cs)
	}
	if n := len(srv.Records("s")); n != 25 {
		t.Errorf("stored %d records, want 25", n)
	}
}

func mustBig(s string) *big.Int {
	b, _ := new(big.Int).SetString(s, 10)
	return b
}

func TestSplitShardErrors(t *testing.T) {
	_, c := newServer(t, kinesistest.Options{}, map[string]int{"s": 2})
	ctx := context.Background()
	if err := split(ctx, c, "s", "shardId-000000000000", "1000"); err != nil {
		t.Fatal(err)
	}
	shard1Start := "170141183460469231731687303715884105728"
	tests := []struct {
		name, shard, key, code string
	}{
		{"no such shard", "shardId-000000000009", "5", "ResourceNotFoundException"},
		{"a closed shard", "shardId-000000000000", "5", "ResourceInUseException"},
		{"the shard's own start", "shardId-000000000001", shard1Start, "InvalidArgumentException"},
		{"one above the shard's start", "shardId-000000000001", "170141183460469231731687303715884105729", "InvalidArgumentException"},
		{"the shard's end", "shardId-000000000001", "340282366920938463463374607431768211455", "InvalidArgumentException"},
		{"outside the shard", "shardId-000000000003", "5", "InvalidArgumentException"},
		{"not a number", "shardId-000000000001", "12a", "ValidationException"},
		{"above 2^128-1", "shardId-000000000001", "340282366920938463463374607431768211456", "InvalidArgumentException"},
	}
	for _, tt := range tests {
		err := split(ctx, c, "s", tt.shard, tt.key)
		if got := errorCode(err); got != tt.code {
			t.Errorf("%s: error %v, want %s", tt.name, err, tt.code)
		}
	}
	if err := split(ctx, c, "s", "shardId-000000000001", "170141183460469231731687303715884105730"); err != nil {
		t.Errorf("two above the shard's start: %v", err)
	}
}

// Records put while a shard splits are each stored once, in a shard whose
// range holds their hash key, and none lands in the parent after its end.
func TestSplitShardUnderConcurrentWrites(t *testing.T) {
	srv, c := newServer(t, kinesistest.Options{}, map[string]int{"s": 1})
	ctx := context.Background()
	var wg sync.WaitGroup
	const writers, each = 4, 100
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: entries(5, fmt.Sprintf("w%d-%d", w, i))}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	if err := split(ctx, c, "s", "shardId-000000000000", half); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	recs := srv.Records("s")
	if len(recs) != writers*each*5 {
		t.Fatalf("stored %d records, want %d", len(recs), writers*each*5)
	}
	ls, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("s")})
	if err != nil {
		t.Fatal(err)
	}
	ranges := map[string][2]*big.Int{}
	for _, sh := range ls.Shards {
		ranges[aws.ToString(sh.ShardId)] = [2]*big.Int{mustBig(aws.ToString(sh.HashKeyRange.StartingHashKey)), mustBig(aws.ToString(sh.HashKeyRange.EndingHashKey))}
	}
	end := aws.ToString(ls.Shards[0].SequenceNumberRange.EndingSequenceNumber)
	for _, r := range recs {
		h := mustBig(kinesistest.HashKey(r.PartitionKey))
		rg := ranges[r.ShardID]
		if h.Cmp(rg[0]) < 0 || h.Cmp(rg[1]) > 0 {
			t.Fatalf("record with hash %s in %s, whose range is %s..%s", h, r.ShardID, rg[0], rg[1])
		}
		if r.ShardID == "shardId-000000000000" && r.SequenceNumber >= end {
			t.Fatalf("record %s in the parent at or after its ending sequence number %s", r.SequenceNumber, end)
		}
	}
}
