package send_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/ldexport/ldexport/pkg/kinesistest"
	"github.com/ldexport/ldexport/pkg/kpl"
	"github.com/ldexport/ldexport/pkg/kpl/kpltest"
)

// send --aggregate into four shards at Kinesis's limits, with record
// failures: the awslabs deaggregator finds every line exactly once, byte for
// byte, in the shard its own partition key hashes to; the summary counts
// user records and, in kinesisRecords, the aggregates that carried them.
func TestSendAggregate(t *testing.T) {
	setup(t)
	kpltest.Require(t)
	srv := kinesistest.NewServer(kinesistest.Options{Seed: 5, Limits: kinesistest.DefaultWriteLimits(), Faults: kinesistest.Faults{RecordFailure: 0.2}})
	defer srv.Close()
	if err := srv.CreateStream("s", 4); err != nil {
		t.Fatal(err)
	}
	c, sent := sendTo(t, 8000, srv.URL, "s", "--aggregate", "--reject-file", filepath.Join(t.TempDir(), "rej"))
	if c.code != 0 {
		t.Fatalf("exit %d: %s", c.code, c.stderr)
	}
	s := summary(t, c)
	stored := srv.Records("s")
	var raw struct {
		KinesisRecords *int64 `json:"kinesisRecords"`
	}
	if err := json.Unmarshal([]byte(c.stdout), &raw); err != nil || raw.KinesisRecords == nil || *raw.KinesisRecords != int64(len(stored)) {
		t.Fatalf("kinesisRecords %v, %d Kinesis records stored", raw.KinesisRecords, len(stored))
	}
	if s.Records != 8000 || s.Sent != 8000 || s.Failed != 0 || len(stored) > 8000/50 {
		t.Fatalf("summary %+v, %d Kinesis records stored", s, len(stored))
	}
	in := make([]kpltest.KinesisRecord, len(stored))
	for i, r := range stored {
		in[i] = kpltest.KinesisRecord{ShardID: r.ShardID, PartitionKey: r.PartitionKey, ExplicitHashKey: r.ExplicitHashKey, Data: r.Data}
	}
	users := kpltest.MustDeaggregate(t, in)
	shardOf := map[string]string{} // hash key → shard, from what the fake routed
	got := make([]kinesistest.Record, len(users))
	plain := 0
	for i, u := range users {
		if !u.Aggregated() {
			// A record alone when its aggregate is sealed (the input's last
			// one in its shard, or one whose linger ran out) goes as it is.
			plain++
		}
		shardOf[u.PartitionKey] = u.ShardID
		got[i] = kinesistest.Record{Data: u.Data, DataHash: kinesistest.HashData(u.Data)}
	}
	if plain > len(stored)/10 {
		t.Fatalf("%d of %d Kinesis records are plain, not aggregates", plain, len(stored))
	}
	diff := kinesistest.Compare(kinesistest.SentMultiset(sent), kinesistest.StoredMultiset(got))
	if diff.Missing != 0 || diff.Duplicates != 0 || diff.Unexpected != 0 {
		t.Fatalf("user records against the lines sent: %+v", diff)
	}
	// Each user record's own key, sent alone, lands in the shard its aggregate is in.
	probe := srv.NewClient()
	checked := 0
	for key, shard := range shardOf {
		if checked == 20 {
			break
		}
		checked++
		if got := putProbe(t, probe, key); got != shard {
			t.Fatalf("key %q routes to %s, its user record sits in %s", key, got, shard)
		}
	}
	if srv.Stats().Faults.RecordFailures == 0 {
		t.Fatal("no record failure injected: retries untested")
	}
}

// putProbe puts one record with key and returns the shard Kinesis chose.
func putProbe(t *testing.T, c *kinesis.Client, key string) string {
	t.Helper()
	out, err := c.PutRecord(context.Background(), &kinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String(key), Data: []byte("probe")})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ShardId)
}

// Without a shard map (--no-pace lists no shards) --aggregate falls back to
// one aggregate per partition key, says so, and still loses nothing.
func TestSendAggregateWithoutShardMap(t *testing.T) {
	setup(t)
	srv := kinesistest.NewServer(kinesistest.Options{})
	defer srv.Close()
	if err := srv.CreateStream("s", 4); err != nil {
		t.Fatal(err)
	}
	c, sent := sendTo(t, 3000, srv.URL, "s", "--aggregate", "--no-pace", "--partition-key", "event.contextKeys.user")
	if c.code != 0 || !strings.Contains(c.stderr, "--aggregate without the shard map: one aggregate per partition key") {
		t.Fatalf("exit %d: %s", c.code, c.stderr)
	}
	var got []kinesistest.Record
	for _, r := range srv.Records("s") {
		us, err := kpl.Deaggregate(r.Data)
		if err != nil {
			t.Fatal(err)
		}
		if us == nil {
			us = []kpl.UserRecord{{PartitionKey: r.PartitionKey, Data: r.Data}}
		}
		for _, u := range us {
			if u.PartitionKey != r.PartitionKey {
				t.Fatalf("user record key %q in an aggregate with key %q", u.PartitionKey, r.PartitionKey)
			}
			got = append(got, kinesistest.Record{Data: u.Data, DataHash: kinesistest.HashData(u.Data)})
		}
	}
	diff := kinesistest.Compare(kinesistest.SentMultiset(sent), kinesistest.StoredMultiset(got))
	if diff.Missing != 0 || diff.Duplicates != 0 || diff.Unexpected != 0 {
		t.Fatalf("user records against the lines sent: %+v", diff)
	}
	if s := summary(t, c); s.Sent != 3000 {
		t.Fatalf("summary %+v", s)
	}
}

// sendTo runs send with n events on stdin against endpoint and returns the
// result and the payloads.
func sendTo(t *testing.T, n int, endpoint, stream string, args ...string) (cli, [][]byte) {
	t.Helper()
	ev := events(n)
	payloads := make([][]byte, n)
	for i, e := range ev {
		payloads[i] = []byte(e)
	}
	args = append([]string{"send", "--stream", stream, "--endpoint-url", endpoint, "-o", "json"}, args...)
	return ldexport(t, []byte(strings.Join(ev, "\n")), args...), payloads
}
