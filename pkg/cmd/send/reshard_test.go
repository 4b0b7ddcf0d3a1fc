package send_test

import (
	"context"
	"fmt"
	"io"
	"math/big"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/ldexport/ldexport/pkg/cmd/root"
	"github.com/ldexport/ldexport/pkg/cmdutil"
	"github.com/ldexport/ldexport/pkg/iostreams"
	"github.com/ldexport/ldexport/pkg/kinesalite"
)

// waitStored waits until the stream holds at least n records.
func waitStored(t *testing.T, e *kinesalite.Emulator, stream string, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if len(e.ReadAll(t, stream)) >= n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("stream %s holds fewer than %d records after 60s", stream, n)
}

// Shards are split and merged while `send` runs: every record is stored
// exactly once, the children take records, and `tail` prints every parent's
// records before any of its children's.
func TestSendWhileResharding(t *testing.T) {
	setup(t)
	e := kinesalite.Start(t, "rs:2")
	t.Chdir(t.TempDir())
	c := e.Client()
	ctx := context.Background()
	ev := events(12000)

	pr, pw := io.Pipe()
	ios, _, out, errOut := iostreams.Test()
	ios.In = pr
	done := make(chan int, 1)
	go func() {
		f := cmdutil.NewFactory(ios, cmdutil.BuildInfo{Version: "test"})
		done <- root.Execute(ctx, f, []string{"send", "--stream", "rs", "--endpoint-url", e.Endpoint, "-o", "json"})
	}()
	write := func(lines []string) {
		t.Helper()
		if _, err := io.WriteString(pw, strings.Join(lines, "\n")+"\n"); err != nil {
			t.Fatal(err)
		}
	}

	// A third goes to the two original shards.
	write(ev[:4000])
	waitStored(t, e, "rs", 3000)
	// Split shard 0 (the lower half of the hash keys) at a quarter, while
	// records are still flowing.
	quarter := new(big.Int).Lsh(big.NewInt(1), 126)
	if _, err := c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("rs"), ShardToSplit: aws.String("shardId-000000000000"), NewStartingHashKey: aws.String(quarter.String())}); err != nil {
		t.Fatal(err)
	}
	write(ev[4000:8000])
	e.WaitActive(t, "rs")
	waitStored(t, e, "rs", 7000)
	// Merge the split's upper child with shard 1: [2^126, 2^128).
	if _, err := c.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String("rs"), ShardToMerge: aws.String("shardId-000000000003"), AdjacentShardToMerge: aws.String("shardId-000000000001")}); err != nil {
		t.Fatal(err)
	}
	write(ev[8000:])
	pw.Close()
	if code := <-done; code != 0 {
		t.Fatalf("send: exit %d: %s", code, errOut)
	}
	s := summary(t, cli{0, out.String(), errOut.String()})
	if s.Sent != 12000 || s.Failed != 0 || s.PossibleDuplicates != 0 {
		t.Fatalf("summary %+v", s)
	}
	t.Logf("send: %d requests, %d retries, %d throttled", s.Requests, s.Retries, s.Throttled)
	e.WaitActive(t, "rs")

	assertStored(t, e, "rs", ev) // every record exactly once
	recs := e.ReadAll(t, "rs")
	perShard := map[string]int{}
	shardOf := map[string]string{}
	for _, r := range recs {
		perShard[r.ShardID]++
		shardOf[string(r.Data)] = r.ShardID
	}
	t.Logf("records per shard: %v", perShard)
	for _, id := range []string{"shardId-000000000002", "shardId-000000000003", "shardId-000000000004"} {
		if perShard[id] == 0 {
			t.Errorf("child %s took no records: %v", id, perShard)
		}
	}

	shards, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("rs")})
	if err != nil {
		t.Fatal(err)
	}
	tail := ldexport(t, nil, "tail", "--stream", "rs", "--endpoint-url", e.Endpoint, "--from", "trim-horizon", "--max", fmt.Sprint(len(ev)), "--timeout", "60s")
	if tail.code != 0 {
		t.Fatalf("tail: exit %d: %s", tail.code, tail.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(tail.stdout, "\n"), "\n")
	if got := append([]string(nil), lines...); len(got) != len(ev) {
		t.Fatalf("tail printed %d records, want %d", len(got), len(ev))
	}
	assertParentsFirst(t, shards.Shards, lines, shardOf)
}

// assertParentsFirst checks that every record of a parent shard comes before
// every record of its children in lines.
func assertParentsFirst(t *testing.T, shards []types.Shard, lines []string, shardOf map[string]string) {
	t.Helper()
	first, last := map[string]int{}, map[string]int{}
	for i, l := range lines {
		id, ok := shardOf[l]
		if !ok {
			t.Fatalf("tail printed a record not in the stream: %.80s", l)
		}
		if _, seen := first[id]; !seen {
			first[id] = i
		}
		last[id] = i
	}
	checked := 0
	for _, sh := range shards {
		child := aws.ToString(sh.ShardId)
		for _, p := range []*string{sh.ParentShardId, sh.AdjacentParentShardId} {
			parent := aws.ToString(p)
			if parent == "" {
				continue
			}
			if _, ok := first[child]; !ok {
				continue
			}
			if last[parent] > first[child] {
				t.Errorf("tail printed a record of %s at line %d after one of its child %s at line %d", parent, last[parent]+1, child, first[child]+1)
			}
			checked++
		}
	}
	if checked < 3 {
		names := make([]string, 0, len(first))
		for id := range first {
			names = append(names, id)
		}
		sort.Strings(names)
		t.Errorf("only %d parent/child pairs with records to compare (shards read: %v)", checked, names)
	}
}
