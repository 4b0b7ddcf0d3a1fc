package kpl

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ldexport/ldexport/pkg/kpl/kpltest"
)

// TestAwslabsDeaggregatorReadsOurAggregates checks the encoder against an
// independent implementation: the awslabs deaggregator (aws-kinesis-agg)
// must find every user record, byte for byte, in order.
func TestAwslabsDeaggregatorReadsOurAggregates(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	var want [][]UserRecord
	var kin []kpltest.KinesisRecord
	for a := 0; a < 20; a++ {
		var b Builder
		var recs []UserRecord
		for i := 0; i < 1+rng.IntN(200); i++ {
			data := make([]byte, rng.IntN(600))
			for j := range data {
				data[j] = byte(rng.Uint32())
			}
			r := UserRecord{PartitionKey: fmt.Sprintf("key-%d-ü", rng.IntN(8)), Data: data}
			if rng.IntN(4) == 0 {
				r.ExplicitHashKey = fmt.Sprint(rng.Uint64())
			}
			if b.SizeWith(r) > 51200 {
				break
			}
			b.Add(r)
			recs = append(recs, r)
		}
		want = append(want, recs)
		kin = append(kin, kpltest.KinesisRecord{ShardID: fmt.Sprint("shard-", a%4), PartitionKey: recs[0].PartitionKey, Data: b.AppendEncoded(nil)})
	}
	plain := []byte(`{"kind":"custom"}`)
	kin = append(kin, kpltest.KinesisRecord{PartitionKey: "plain", Data: plain})

	got := kpltest.MustDeaggregate(t, kin)
	i := 0
	for a, recs := range want {
		for s, w := range recs {
			if i >= len(got) {
				t.Fatalf("deaggregator returned %d records, fewer than expected", len(got))
			}
			g := got[i]
			i++
			if g.Record != a || !g.Aggregated() || *g.SubSequenceNumber != s {
				t.Fatalf("user record %d: record %d sub %v, want %d sub %d", i, g.Record, g.SubSequenceNumber, a, s)
			}
			// For a record without an explicit hash key index, aws-kinesis-agg
			// reports table entry 0 (protobufjs's default for an absent
			// optional field): only a key that was set is compared.
			ehkDiffers := w.ExplicitHashKey != "" && g.ExplicitHashKey != w.ExplicitHashKey
			if g.PartitionKey != w.PartitionKey || ehkDiffers || !bytes.Equal(g.Data, w.Data) {
				t.Fatalf("aggregate %d record %d: got key %q ehk %q %d bytes, want %q %q %d bytes",
					a, s, g.PartitionKey, g.ExplicitHashKey, len(g.Data), w.PartitionKey, w.ExplicitHashKey, len(w.Data))
			}
		}
	}
	if len(got) != i+1 || got[i].Aggregated() || !bytes.Equal(got[i].Data, plain) {
		t.Fatalf("plain record not passed through as is: %d records, want %d", len(got), i+1)
	}
}

// TestAwslabsDeaggregatorRejectsWhatWeCallCorrupt makes sure the check above
// has teeth: the same tool refuses an aggregate with a flipped bit.
func TestAwslabsDeaggregatorRejectsWhatWeCallCorrupt(t *testing.T) {
	kpltest.Require(t)
	enc := Aggregate([]UserRecord{{PartitionKey: "k", Data: []byte("hello world")}})
	enc[8] ^= 1
	if _, err := Deaggregate(enc); err == nil {
		t.Fatal("pkg/kpl accepted a flipped bit")
	}
	if out, err := kpltest.Deaggregate(context.Background(), []kpltest.KinesisRecord{{PartitionKey: "k", Data: enc}}); err == nil {
		t.Fatalf("aws-kinesis-agg accepted a flipped bit: %+v", out)
	}
}
