package kinesistest_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/ldexport/ldexport/pkg/kinesistest"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// outcome summarises a PutRecords answer: "ok" codes in request order.
func outcome(out *kinesis.PutRecordsOutput) (codes []string, failed int) {
	for _, r := range out.Records {
		if r.ErrorCode != nil {
			codes = append(codes, aws.ToString(r.ErrorCode))
			if aws.ToString(r.ErrorMessage) == "" {
				codes[len(codes)-1] += "(no message)"
			}
			continue
		}
		codes = append(codes, "ok")
	}
	return codes, int(aws.ToInt32(out.FailedRecordCount))
}

func TestWriteLimits(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	srv, client := newServer(t, kinesistest.Options{Limits: kinesistest.DefaultWriteLimits(), Now: clock.Now}, map[string]int{"one": 1, "two": 2})
	ctx := context.Background()
	put := func(stream string, recs []types.PutRecordsRequestEntry) (ok, throttled int) {
		t.Helper()
		out, err := client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: recs})
		if err != nil {
			t.Fatal(err)
		}
		codes, failed := outcome(out)
		seenThrottle := false
		for i, c := range codes {
			switch c {
			case "ok":
				ok++
				if seenThrottle && stream == "one" {
					t.Errorf("record %d accepted after an earlier one was throttled in the same second", i)
				}
			case "ProvisionedThroughputExceededException":
				throttled++
				seenThrottle = true
			default:
				t.Errorf("record %d: %s", i, c)
			}
		}
		if failed != throttled {
			t.Errorf("FailedRecordCount %d, %d throttled entries", failed, throttled)
		}
		return ok, throttled
	}

	// One shard: 1,000 records in the first second, the rest throttled one
	// by one; on one shard, no record after a throttled one gets through.
	steps := []struct {
		advance       time.Duration
		n             int
		wantOK, wantT int
	}{
		{0, 500, 500, 0},
		{0, 500, 500, 0},
		{0, 500, 0, 500},
		{250 * time.Millisecond, 500, 250, 250},
		{time.Second, 500, 500, 0},
		{10 * time.Second, 500, 500, 0}, // refill stops at one second's worth
		{0, 500, 500, 0},
		{0, 1, 0, 1},
	}
	for i, st := range steps {
		clock.Advance(st.advance)
		ok, thr := put("one", entries(st.n, fmt.Sprint("step", i)))
		if ok != st.wantOK || thr != st.wantT {
			t.Errorf("step %d: %d accepted, %d throttled; want %d, %d", i, ok, thr, st.wantOK, st.wantT)
		}
	}
	if st := srv.Stats(); st.RecordsThrottled != 751 || st.RecordsAccepted != 2750 {
		t.Errorf("stats: %d accepted, %d throttled; want 2750, 751", st.RecordsAccepted, st.RecordsThrottled)
	}

	// Two shards: each has its own buckets. Keys spread over both.
	var two []types.PutRecordsRequestEntry
	for range 5 {
		two = append(two, entries(500, "two")...)
	}
	ok, thr := 0, 0
	for i := 0; i < len(two); i += 500 {
		o, t := put("two", two[i:i+500])
		ok, thr = ok+o, thr+t
	}
	if ok != 2000 || thr != 500 {
		t.Errorf("two shards: %d accepted, %d throttled; want 2000, 500", ok, thr)
	}

	// Bytes: 1 MiB/s per shard, so ten records of 100 KiB fit and the eleventh does not.
	clock.Advance(time.Second)
	big := make([]types.PutRecordsRequestEntry, 11)
	for i := range big {
		big[i] = types.PutRecordsRequestEntry{Data: bytes.Repeat([]byte{'b'}, 100<<10), PartitionKey: aws.String("k")}
	}
	if ok, thr := put("one", big); ok != 10 || thr != 1 {
		t.Errorf("100 KiB records: %d accepted, %d throttled; want 10, 1", ok, thr)
	}

	// PutRecord over the limit fails as a whole: 24,566 bytes are left.
	_, err := client.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("one"), Data: bytes.Repeat([]byte{'b'}, 30000), PartitionKey: aws.String("k")})
	if got := errorCode(err); got != "ProvisionedThroughputExceededException" {
		t.Errorf("PutRecord over the limit: code %q (%v)", got, err)
	}
	clock.Advance(time.Second)
	if _, err := client.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("one"), Data: []byte("x"), PartitionKey: aws.String("k")}); err != nil {
		t.Errorf("PutRecord after refill: %v", err)
	}
}

func TestFaultsSeenByClient(t *testing.T) {
	const n = 20
	tests := []struct {
		name   string
		faults kinesistest.Faults
		// check gets the PutRecords answer and error, what was stored and the stats.
		check func(t *testing.T, out *kinesis.PutRecordsOutput, err error, stored int, st kinesistest.Stats)
	}{
		{"500", kinesistest.Faults{Request500: 1}, func(t *testing.T, out *kinesis.PutRecordsOutput, err error, stored int, st kinesistest.Stats) {
			if got := errorCode(err); got != "InternalFailure" {
				t.Errorf("code %q (%v), want InternalFailure", got, err)
			}
			if stored != 0 || st.Faults.Request500 != 1 {
				t.Errorf("stored %d, Request500 %d; want 0, 1", stored, st.Faults.Request500)
			}
		}},
		{"per-record InternalFailure", kinesistest.Faults{RecordFailure: 1}, func(t *testing.T, out *kinesis.PutRecordsOutput, err error, stored int, st kinesistest.Stats) {
			if err != nil {
				t.Fatal(err)
			}
			codes, failed := outcome(out)
			if failed != n || strings.Join(codes, ",") != strings.TrimSuffix(strings.Repeat("InternalFailure,", n), ",") {
				t.Errorf("FailedRecordCount %d, codes %v", failed, codes)
			}
			if stored != 0 || st.Faults.RecordFailures != n {
				t.Errorf("stored %d, RecordFailures %d", stored, st.Faults.RecordFailures)
			}
		}},
		{"some records fail", kinesistest.Faults{RecordFailure: 0.5}, func(t *testing.T, out *kinesis.PutRecordsOutput, err error, stored int, st kinesistest.Stats) {
			if err != nil {
				t.Fatal(err)
			}
			codes, failed := outcome(out)
			if failed == 0 || failed == n || stored != n-failed || int(st.Faults.RecordFailures) != failed {
				t.Errorf("failed %d of %d (%v), stored %d, RecordFailures %d", failed, n, codes, stored, st.Faults.RecordFailures)
			}
		}},
		{"lost response", kinesistest.Faults{LostResponse: 1}, func(t *testing.T, out *kinesis.PutRecordsOutput, err error, stored int, st kinesistest.Stats) {
			if err == nil || errorCode(err) != "" {
				t.Errorf("error %v (code %q), want a connection error", err, errorCode(err))
			}
			if stored != n || st.Faults.LostResponses != 1 || st.Faults.LostResponseRecords != n {
				t.Errorf("stored %d, lost responses %d holding %d records; want %d, 1, %d", stored, st.Faults.LostResponses, st.Faults.LostResponseRecords, n, n)
			}
		}},
		{"reset", kinesistest.Faults{Reset: 1}, func(t *testing.T, out *kinesis.PutRecordsOutput, err error, stored int, st kinesistest.Stats) {
			if err == nil || errorCode(err) != "" {
				t.Errorf("error %v (code %q), want a connection error", err, errorCode(err))
			}
			if stored != 0 || st.Faults.Resets != 1 || st.Faults.ResetRecords != n {
				t.Errorf("stored %d, resets %d holding %d records; want 0, 1, %d", stored, st.Faults.Resets, st.Faults.ResetRecords, n)
			}
		}},
		{"latency", kinesistest.Faults{Latency: 1, LatencyMin: 150 * time.Millisecond, LatencyMax: 150 * time.Millisecond}, func(t *testing.T, out *kinesis.PutRecordsOutput, err error, stored int, st kinesistest.Stats) {
			if err != nil {
				t.Fatal(err)
			}
			if stored != n || st.Faults.Delays != 1 || st.Faults.DelayMillis != 150 {
				t.Errorf("stored %d, delays %d of %d ms", stored, st.Faults.Delays, st.Faults.DelayMillis)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, client := newServer(t, kinesistest.Options{Seed: 7, Faults: tt.faults}, map[string]int{"s": 2})
			start := time.Now()
			out, err := client.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: entries(n, "f")})
			elapsed := time.Since(start)
			if tt.faults.LatencyMin > 0 && elapsed < tt.faults.LatencyMin {
				t.Errorf("answered in %v, before the injected latency of %v", elapsed, tt.faults.LatencyMin)
			}
			st := srv.Stats()
			if st.RecordsReceived != n {
				t.Errorf("RecordsReceived %d, want %d", st.RecordsReceived, n)
			}
			tt.check(t, out, err, len(srv.Records("s")), st)
		})
	}
}

func TestFaultsOnPutRecordAndReads(t *testing.T) {
	srv, client := newServer(t, kinesistest.Options{Faults: kinesistest.Faults{Request500: 1}}, map[string]int{"s": 1})
	ctx := context.Background()
	_, err := client.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("s"), Data: []byte("x"), PartitionKey: aws.String("k")})
	if got := errorCode(err); got != "InternalFailure" {
		t.Errorf("PutRecord: code %q (%v), want InternalFailure", got, err)
	}
	// Reads are spared unless Faults.Reads is set.
	if _, err := client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeLatest}); err != nil {
		t.Errorf("GetShardIterator without Faults.Reads: %v", err)
	}
	if n := len(srv.Records("s")); n != 0 {
		t.Errorf("stored %d records", n)
	}

	srv, client = newServer(t, kinesistest.Options{Faults: kinesistest.Faults{Request500: 1, Reads: true}}, map[string]int{"s": 1})
	_, err = client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeLatest})
	if got := errorCode(err); got != "InternalFailure" {
		t.Errorf("GetShardIterator with Faults.Reads: code %q (%v), want InternalFailure", got, err)
	}
	if st := srv.Stats(); st.Faults.Request500 != 1 {
		t.Errorf("Request500 = %d, want 1", st.Faults.Request500)
	}
}

// TestFaultsDeterministic sends the same requests one at a time to servers
// with the same seed and expects the same faults.
func TestFaultsDeterministic(t *testing.T) {
	faults := kinesistest.Faults{Request500: 0.2, RecordFailure: 0.2, LostResponse: 0.2, Reset: 0.1}
	run := func(seed uint64) string {
		srv, client := newServer(t, kinesistest.Options{Seed: seed, Faults: faults}, map[string]int{"s": 2})
		var log []string
		for i := range 30 {
			out, err := client.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: entries(10, fmt.Sprint(i))})
			switch {
			case errorCode(err) != "":
				log = append(log, errorCode(err))
			case err != nil:
				log = append(log, "conn-error")
			default:
				codes, _ := outcome(out)
				log = append(log, strings.Join(codes, "/"))
			}
		}
		st := srv.Stats()
		return fmt.Sprintf("%v %+v", log, st.Faults)
	}
	a, b, c := run(42), run(42), run(43)
	if a != b {
		t.Errorf("same seed, different faults:\n%s\n%s", a, b)
	}
	if a == c {
		t.Errorf("seeds 42 and 43 gave the same faults: %s", a)
	}
	for _, kind := range []string{"InternalFailure", "conn-error", "ok"} {
		if !strings.Contains(a, kind) {
			t.Errorf("30 requests at these probabilities never gave %s: %s", kind, a)
		}
	}
}

// TestConcurrentSendersWithFaults runs many senders that resend exactly what
// failed, and checks the server's bookkeeping: nothing lost, and no more
// duplicates than records stored in lost responses.
func TestConcurrentSendersWithFaults(t *testing.T) {
	faults := kinesistest.Faults{Request500: 0.05, RecordFailure: 0.05, LostResponse: 0.05, Reset: 0.05}
	srv, client := newServer(t, kinesistest.Options{Seed: 3, Faults: faults, Limits: kinesistest.DefaultWriteLimits()}, map[string]int{"s": 4})
	const senders, batches, size = 8, 10, 100
	var (
		mu   sync.Mutex
		sent [][]byte
		wg   sync.WaitGroup
	)
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				pending := entries(size, fmt.Sprintf("g%d-b%d", g, b))
				mu.Lock()
				for _, e := range pending {
					sent = append(sent, e.Data)
				}
				mu.Unlock()
				for attempt := 0; len(pending) > 0; attempt++ {
					if attempt > 200 {
						t.Errorf("sender %d: batch %d never delivered", g, b)
						return
					}
					out, err := client.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: pending})
					if err != nil {
						time.Sleep(time.Millisecond)
						continue // resend the whole batch: the answer is unknown
					}
					var retry []types.PutRecordsRequestEntry
					for i, r := range out.Records {
						if r.ErrorCode != nil {
							retry = append(retry, pending[i])
						}
					}
					pending = retry
					if len(pending) > 0 {
						time.Sleep(10 * time.Millisecond)
					}
				}
			}
		}()
	}
	wg.Wait()
	st := srv.Stats()
	recs := srv.Records("s")
	diff := kinesistest.Compare(kinesistest.SentMultiset(sent), kinesistest.StoredMultiset(recs))
	if diff.Sent != senders*batches*size || diff.Missing != 0 || diff.Unexpected != 0 {
		t.Errorf("diff %+v: want every record stored", diff)
	}
	if int64(diff.Duplicates) > st.Faults.LostResponseRecords {
		t.Errorf("%d duplicates, more than the %d records in lost responses", diff.Duplicates, st.Faults.LostResponseRecords)
	}
	if int64(len(recs)) != st.RecordsAccepted {
		t.Errorf("%d records kept, %d accepted", len(recs), st.RecordsAccepted)
	}
	if st.Faults.LostResponses == 0 || st.Faults.Resets == 0 || st.Faults.Request500 == 0 || st.Faults.RecordFailures == 0 {
		t.Errorf("some fault never happened: %+v", st.Faults)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		if seen[r.SequenceNumber] {
			t.Fatalf("sequence number %s given twice", r.SequenceNumber)
		}
		seen[r.SequenceNumber] = true
	}
	t.Logf("stats %+v, diff %+v", st, diff)
}

func TestDiscardData(t *testing.T) {
	srv, client := newServer(t, kinesistest.Options{DiscardData: true}, map[string]int{"s": 2})
	recs := entries(50, "d")
	if _, err := client.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: recs}); err != nil {
		t.Fatal(err)
	}
	var sent [][]byte
	for _, e := range recs {
		sent = append(sent, e.Data)
	}
	stored := srv.Records("s")
	for _, r := range stored {
		if r.Data != nil || r.PartitionKey != "" || r.DataLen == 0 || r.ShardID == "" {
			t.Errorf("record %+v: want no data or key, but a length and shard", r)
		}
	}
	if d := kinesistest.Compare(kinesistest.SentMultiset(sent), kinesistest.StoredMultiset(stored)); d.Missing != 0 || d.Duplicates != 0 || d.Stored != 50 {
		t.Errorf("diff %+v", d)
	}
}

func TestCompare(t *testing.T) {
	b := func(s ...string) [][]byte {
		var out [][]byte
		for _, x := range s {
			out = append(out, []byte(x))
		}
		return out
	}
	stored := func(s ...string) []kinesistest.Record {
		var out []kinesistest.Record
		for _, x := range s {
			out = append(out, kinesistest.Record{DataHash: kinesistest.HashData([]byte(x))})
		}
		return out
	}
	tests := []struct {
		name   string
		sent   [][]byte
		stored []kinesistest.Record
		want   kinesistest.Diff
	}{
		{"exact", b("a", "b"), stored("b", "a"), kinesistest.Diff{Sent: 2, Stored: 2}},
		{"duplicate", b("a", "b"), stored("a", "b", "a", "a"), kinesistest.Diff{Sent: 2, Stored: 4, Duplicates: 2}},
		{"missing", b("a", "b", "b"), stored("b"), kinesistest.Diff{Sent: 3, Stored: 1, Missing: 2}},
		{"unexpected", b("a"), stored("a", "z"), kinesistest.Diff{Sent: 1, Stored: 2, Unexpected: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kinesistest.Compare(kinesistest.SentMultiset(tt.sent), kinesistest.StoredMultiset(tt.stored)); got != tt.want {
				t.Errorf("Compare = %+v, want %+v", got, tt.want)
			}
			if got := kinesistest.CountDuplicates(tt.sent, tt.stored); got != tt.want.Duplicates {
				t.Errorf("CountDuplicates = %d, want %d", got, tt.want.Duplicates)
			}
		})
	}
}
