// Command aggregate measures `ldexport send --aggregate` against plain
// `send` in the same run: N ~400-byte events into a fresh 4-shard stream of
// the fake Kinesis (pkg/kinesistest) with Kinesis's per-shard write limits
// (1,000 records/s and 1 MiB/s), the ldexport binary as a child process.
// It prints, with each target and the ratio to it:
//
//   - events/s of each (user records sent over the run's duration, from the
//     summary) and their ratio (target ≥ 2.3);
//
//   - throttled Kinesis record attempts under --aggregate (≤ 10% of the
//     Kinesis records stored);
//
//   - lost and duplicated lines (0 and 0): what the fake stored under
//     --aggregate is deaggregated by an independent implementation, the
//     awslabs deaggregator (npm aws-kinesis-agg, tools/kinesis-agg, checksums
//     checked), and every input line must come back exactly once, byte for
//     byte, in the shard its own partition key hashes to;
//
//   - without the shard map (--no-pace), for information: events/s,
//     throttling, and the same exactly-once check;
//
//   - peak RSS (/usr/bin/time -v) of send --aggregate while the same events
//     go into a 1-shard stream with write limits, which throttles all along
//     (≤ 64 MiB).
//
//     go run ./bench/aggregate             # 100,000 events
//     go run ./bench/aggregate -n 20000
//
// It exits 1 if a figure misses its target.
package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/ldexport/ldexport/pkg/ingest"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/ldexport/ldexport/bench/internal/harness"
	"github.com/ldexport/ldexport/pkg/kinesistest"
	"github.com/ldexport/ldexport/pkg/kpl/kpltest"
)

// figs are the figures printed against their targets.
var figs harness.Figures

func main() {
	bin := flag.String("ldexport", "", "ldexport binary (default: go build ./cmd/ldexport into a temp dir)")
	n := flag.Int("n", 100_000, "events to send, each way (far more than the 4 shards' first-second burst of ~10,000, or the limits never bind)")
	flag.Parse()
	work, ldexport := harness.Setup("aggregate", *bin)
	defer os.RemoveAll(work)
	*bin = ldexport
	input, lines := harness.Events(work, "events.ndjson", *n)
	fmt.Printf("input: %d events of ~%d bytes\n", *n, len(lines[0]))

	plain, plainStored := run(*bin, work, input, "plain", false, 4, false)
	fmt.Printf("send:             %8.0f events/s over %.2fs, %d Kinesis records, %d requests, throttled %d (%.3f of the Kinesis records)\n",
		plain.sum.RecordsPerSecond, plain.sum.DurationSeconds, len(plainStored), plain.sum.Requests, plain.stats.RecordsThrottled,
		float64(plain.stats.RecordsThrottled)/float64(len(plainStored)))
	agg, aggStored := run(*bin, work, input, "aggregate", true, 4, false)
	kin := int64(len(aggStored))
	fmt.Printf("send --aggregate: %8.0f events/s over %.2fs, %d Kinesis records (%.1f events each), %d requests, throttled %d\n",
		agg.sum.RecordsPerSecond, agg.sum.DurationSeconds, kin, float64(*n)/float64(kin), agg.sum.Requests, agg.stats.RecordsThrottled)
	if agg.sum.KinesisRecords == nil || *agg.sum.KinesisRecords != kin {
		fmt.Printf("  summary kinesisRecords %v, the fake stored %d: MISMATCH\n", agg.sum.KinesisRecords, kin)
		figs.Missed = true
	}

	lost, dup, misplaced := check1(lines, aggStored)
	figs.Add("events/s ratio", agg.sum.RecordsPerSecond/plain.sum.RecordsPerSecond, 2.3, true, "x")
	figs.Add("throttled / Kinesis records", float64(agg.stats.RecordsThrottled)/float64(kin), 0.10, false, "")
	figs.Add("lost lines", float64(lost), 0, false, "")
	figs.Add("duplicated lines", float64(dup), 0, false, "")
	figs.Add("lines on another shard", float64(misplaced), 0, false, "")
	figs.Add("exit codes", float64(plain.code+agg.code), 0, false, "")

	// Without the shard map (--no-pace lists no shards): one aggregate per
	// partition key, one stream-wide rate set by throttling. No target.
	fb, fbStored := run(*bin, work, input, "fallback", true, 4, false, "--no-pace")
	fbLost, fbDup, fbMisplaced := check1(lines, fbStored)
	fmt.Printf("no shard map (--no-pace): %.0f events/s (%.2fx send), %d Kinesis records, throttled %d (%.3f of them); lost %d, duplicated %d, on another shard %d, exit %d (no target)\n",
		fb.sum.RecordsPerSecond, fb.sum.RecordsPerSecond/plain.sum.RecordsPerSecond, len(fbStored), fb.stats.RecordsThrottled,
		float64(fb.stats.RecordsThrottled)/float64(len(fbStored)), fbLost, fbDup, fbMisplaced, fb.code)
	if fbLost+fbDup+fbMisplaced+fb.code != 0 {
		figs.Missed = true
	}

	if _, err := os.Stat("/usr/bin/time"); err != nil {
		fmt.Println("memory: skipped, /usr/bin/time missing (apt-get install -y time)")
	} else {
		mem, memStored := run(*bin, work, input, "memory", true, 1, true)
		fmt.Printf("memory: send --aggregate into 1 shard with write limits: %.0f events/s, %d Kinesis records, throttled %d\n",
			mem.sum.RecordsPerSecond, len(memStored), mem.stats.RecordsThrottled)
		figs.Add("peak RSS, 1 throttled shard", float64(mem.rssKiB)/1024, 64, false, "MiB")
		figs.Add("sent, 1 throttled shard", float64(mem.sum.Sent), float64(*n), true, "")
	}
	if figs.Missed {
		os.Exit(1)
	}
}

type result struct {
	sum    ingest.Summary
	code   int
	stats  kinesistest.Stats
	rssKiB int64
}

// run sends input into a fresh stream of shards with write limits, under
// /usr/bin/time -v when timed.
func run(bin, work, input, stream string, aggregate bool, shards int, timed bool, extra ...string) (result, []kinesistest.Record) {
	srv := kinesistest.NewServer(kinesistest.Options{Limits: kinesistest.DefaultWriteLimits(), DiscardData: !aggregate})
	defer srv.Close()
	harness.Check(srv.CreateStream(stream, shards))
	args := []string{"send", input, "--stream", stream, "--endpoint-url", srv.URL, "--reject-file", filepath.Join(work, stream+".rejects"), "-o", "json"}
	if aggregate {
		args = append(args, "--aggregate")
	}
	args = append(args, extra...)
	var r result
	r.code, _, r.rssKiB = harness.Run(bin, work, "", timed, &r.sum, args...)
	r.stats = srv.Stats()
	return r, srv.Records(stream)
}

// check1 deaggregates stored with aws-kinesis-agg and compares the user
// records with the lines: lost, duplicated, and placed in another shard
// than the one the fake routes their own partition key to.
func check1(lines [][]byte, stored []kinesistest.Record) (lost, dup, misplaced int) {
	in := make([]kpltest.KinesisRecord, len(stored))
	for i, r := range stored {
		in[i] = kpltest.KinesisRecord{ShardID: r.ShardID, PartitionKey: r.PartitionKey, ExplicitHashKey: r.ExplicitHashKey, Data: r.Data}
	}
	users, err := kpltest.Deaggregate(context.Background(), in)
	harness.Check(err)
	count := make(map[string]int, len(lines))
	for _, l := range lines {
		count[string(l)]++
	}
	// The fake's own routing: a probe stream with the same 4 shards.
	probe := kinesistest.NewServer(kinesistest.Options{})
	defer probe.Close()
	harness.Check(probe.CreateStream("probe", 4))
	client := probe.NewClient()
	shardOf := map[string]string{}
	for _, u := range users {
		count[string(u.Data)]--
		want, ok := shardOf[u.PartitionKey]
		if !ok {
			want = probeShard(client, u.PartitionKey)
			shardOf[u.PartitionKey] = want
		}
		if want != u.ShardID {
			misplaced++
		}
	}
	for _, c := range count {
		switch {
		case c > 0:
			lost += c
		case c < 0:
			dup -= c
		}
	}
	fmt.Printf("aws-kinesis-agg: %d user records in %d Kinesis records; %d distinct partition keys checked against the fake's routing\n", len(users), len(stored), len(shardOf))
	return lost, dup, misplaced
}

// probeShard puts one record with key and returns the shard the fake chose.
func probeShard(c *kinesis.Client, key string) string {
	out, err := c.PutRecord(context.Background(), &kinesis.PutRecordInput{StreamName: aws.String("probe"), PartitionKey: aws.String(key), Data: []byte("probe")})
	harness.Check(err)
	return aws.ToString(out.ShardId)
}
