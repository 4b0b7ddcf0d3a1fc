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
	"github.com/ldexport/ldexport/pkg/kinesisbackend"
	"github.com/ldexport/ldexport/pkg/kinesismock"
)

// reshardUnderLoad is one emulator's reshard while `send` runs.
type reshardUnderLoad struct {
	endpoint   string
	client     *kinesis.Client
	stream     string
	records    int
	waitActive func(t *testing.T)
	// reshards run one by one while send is running: the input is cut into
	// len(reshards)+1 parts, and each reshard starts once most of the records
	// before it are stored and before the next part is written.
	reshards []func(t *testing.T)
	// children are shards the reshards create, each of which must take
	// records; nil: every open shard that has a parent.
	children []string
}

// run sends the records through `ldexport send` from a pipe, resharding on
// the way, and checks that every record is stored exactly once, that the
// children took records, and that `tail` prints parents before children.
func (r reshardUnderLoad) run(t *testing.T) {
	ctx := context.Background()
	ev := events(r.records)
	pr, pw := io.Pipe()
	ios, _, out, errOut := iostreams.Test()
	ios.In = pr
	done := make(chan int, 1)
	start := time.Now()
	go func() {
		f := cmdutil.NewFactory(ios, cmdutil.BuildInfo{Version: "test"})
		done <- root.Execute(ctx, f, []string{"send", "--stream", r.stream, "--endpoint-url", r.endpoint, "-o", "json"})
	}()
	part := len(ev) / (len(r.reshards) + 1)
	written := 0
	write := func(n int) {
		t.Helper()
		if _, err := io.WriteString(pw, strings.Join(ev[written:written+n], "\n")+"\n"); err != nil {
			t.Fatal(err)
		}
		written += n
	}
	for _, reshard := range r.reshards {
		write(part)
		r.waitStored(t, written*3/4)
		reshard(t)
		t.Logf("resharded after %d records were handed to send", written)
	}
	write(len(ev) - written)
	pw.Close()
	if code := <-done; code != 0 {
		t.Fatalf("send: exit %d: %s", code, errOut)
	}
	s := summary(t, cli{0, out.String(), errOut.String()})
	if s.Sent != int64(len(ev)) || s.Failed != 0 || s.PossibleDuplicates != 0 {
		t.Fatalf("summary %+v", s)
	}
	t.Logf("send: %d records in %s, %d requests, %d retries, %d throttled", s.Sent, time.Since(start).Round(time.Millisecond), s.Requests, s.Retries, s.Throttled)
	r.waitActive(t)

	recs := kinesalite.ReadStream(t, r.client, r.stream)
	assertSameRecords(t, recs, ev) // every record exactly once
	perShard := map[string]int{}
	shardOf := map[string]string{}
	for _, rec := range recs {
		perShard[rec.ShardID]++
		shardOf[string(rec.Data)] = rec.ShardID
	}
	t.Logf("records per shard: %v", perShard)
	shards, err := r.client.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(r.stream)})
	if err != nil {
		t.Fatal(err)
	}
	children := r.children
	if children == nil {
		for _, sh := range shards.Shards {
			if sh.ParentShardId != nil && (sh.SequenceNumberRange == nil || sh.SequenceNumberRange.EndingSequenceNumber == nil) {
				children = append(children, aws.ToString(sh.ShardId))
			}
		}
	}
	if len(children) == 0 {
		t.Fatalf("no child shards after the reshard: %d shards", len(shards.Shards))
	}
	for _, id := range children {
		if perShard[id] == 0 {
			t.Errorf("child %s took no records: %v", id, perShard)
		}
	}
	tail := ldexport(t, nil, "tail", "--stream", r.stream, "--endpoint-url", r.endpoint, "--from", "trim-horizon", "--max", fmt.Sprint(len(ev)), "--timeout", "120s")
	if tail.code != 0 {
		t.Fatalf("tail: exit %d: %s", tail.code, tail.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(tail.stdout, "\n"), "\n")
	if len(lines) != len(ev) {
		t.Fatalf("tail printed %d records, want %d", len(lines), len(ev))
	}
	assertParentsFirst(t, shards.Shards, lines, shardOf)
}

// waitStored waits until the stream holds at least n records.
func (r reshardUnderLoad) waitStored(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		if len(kinesalite.ReadStream(t, r.client, r.stream)) >= n {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("stream %s holds fewer than %d records after 120s", r.stream, n)
}

// Shards are split and merged on kinesalite while `send` runs.
func TestSendWhileSplittingAndMerging(t *testing.T) {
	setup(t)
	e := kinesalite.Start(t, "rs:2")
	t.Chdir(t.TempDir())
	c := e.Client()
	ctx := context.Background()
	quarter := new(big.Int).Lsh(big.NewInt(1), 126)
	reshardUnderLoad{
		endpoint: e.Endpoint, client: c, stream: "rs", records: 12000,
		waitActive: func(t *testing.T) { e.WaitActive(t, "rs") },
		reshards: []func(t *testing.T){
			// Split shard 0 (the lower half of the hash keys) at a quarter.
			func(t *testing.T) {
				if _, err := c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("rs"), ShardToSplit: aws.String("shardId-000000000000"), NewStartingHashKey: aws.String(quarter.String())}); err != nil {
					t.Fatal(err)
				}
			},
			// Merge the split's upper child with shard 1: [2^126, 2^128).
			func(t *testing.T) {
				e.WaitActive(t, "rs")
				if _, err := c.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String("rs"), ShardToMerge: aws.String("shardId-000000000003"), AdjacentShardToMerge: aws.String("shardId-000000000001")}); err != nil {
					t.Fatal(err)
				}
			},
		},
		children: []string{"shardId-000000000002", "shardId-000000000003", "shardId-000000000004"},
	}.run(t)
}

// Shards are split on pkg/kinesistest while `send` runs, so resharding under
// load is checked without node too; merging, which kinesistest lacks, stays
// on kinesalite (TestSendWhileSplittingAndMerging).
func TestSendWhileSplitting(t *testing.T) {
	setup(t)
	k := kinesisbackend.Fake.Start(t, "sp:2")
	t.Chdir(t.TempDir())
	ctx := context.Background()
	split := func(shard string, at *big.Int) func(t *testing.T) {
		return func(t *testing.T) {
			if _, err := k.Client.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("sp"), ShardToSplit: aws.String(shard), NewStartingHashKey: aws.String(at.String())}); err != nil {
				t.Fatal(err)
			}
		}
	}
	quarter := new(big.Int).Lsh(big.NewInt(1), 126)
	reshardUnderLoad{
		endpoint: k.Endpoint, client: k.Client, stream: "sp", records: 12000,
		waitActive: func(t *testing.T) {}, // a kinesistest split is ACTIVE at once
		reshards: []func(t *testing.T){
			// Shard 0 holds the lower half of the hash keys: split it at a quarter,
			split("shardId-000000000000", quarter),
			// then shard 1, the upper half, at three quarters.
			split("shardId-000000000001", new(big.Int).Mul(quarter, big.NewInt(3))),
		},
		children: []string{"shardId-000000000002", "shardId-000000000003", "shardId-000000000004", "shardId-000000000005"},
	}.run(t)
}

// UpdateShardCount 2 → 4 on kinesis-mock while `send` runs. kinesis-mock
// listens on every interface, so this test runs in a network namespace of
// its own with only loopback up.
func TestSendWhileUpdatingShardCount(t *testing.T) {
	if !kinesismock.InNamespace(t) {
		return
	}
	setup(t)
	e := kinesismock.Start(t, "km:2")
	t.Chdir(t.TempDir())
	c := e.Client()
	reshardUnderLoad{
		endpoint: e.Endpoint, client: c, stream: "km", records: 6000,
		waitActive: func(t *testing.T) { e.WaitActive(t, "km") },
		reshards: []func(t *testing.T){func(t *testing.T) {
			if _, err := c.UpdateShardCount(context.Background(), &kinesis.UpdateShardCountInput{StreamName: aws.String("km"), TargetShardCount: aws.Int32(4), ScalingType: types.ScalingTypeUniformScaling}); err != nil {
				t.Fatal(err)
			}
		}},
		// children: UpdateShardCount picks them; every open shard with a parent.
	}.run(t)
}

// assertSameRecords checks the stream holds exactly the lines: same
// multiset, bytes intact.
func assertSameRecords(t *testing.T, recs []kinesalite.Record, lines []string) {
	t.Helper()
	got := make([]string, len(recs))
	for i, r := range recs {
		got[i] = string(r.Data)
	}
	want := append([]string(nil), lines...)
	sort.Strings(got)
	sort.Strings(want)
	if len(got) != len(want) {
		t.Fatalf("stream holds %d records, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("record %d differs:\n got %.80s\nwant %.80s", i, got[i], want[i])
		}
	}
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
			if _, ok := first[child]; !ok || parent == "" {
				continue
			}
			if _, ok := first[parent]; !ok {
				continue
			}
			if last[parent] > first[child] {
				t.Errorf("tail printed a record of %s at line %d after one of its child %s at line %d", parent, last[parent]+1, child, first[child]+1)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Errorf("no parent and child shards both holding records to compare (%v)", first)
	}
}
