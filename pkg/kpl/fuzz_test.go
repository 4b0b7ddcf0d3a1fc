package kpl

import (
	"bytes"
	"testing"
)

// FuzzRoundTrip splits the input into user records, aggregates and
// deaggregates them (every record must come back intact), and also feeds the
// raw input to Deaggregate, which must never panic.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("k\x00{\"a\":1}\nj\x00x\nk\x00"))
	f.Add(Aggregate([]UserRecord{{PartitionKey: "k", ExplicitHashKey: "5", Data: []byte("v")}}))
	f.Add(append(bytes.Clone(aggregateMagic), bytes.Repeat([]byte{0xff}, 20)...))
	f.Fuzz(func(t *testing.T, in []byte) {
		_, _ = Deaggregate(in)
		_, _ = Deaggregate(append(bytes.Clone(aggregateMagic), in...))
		var recs []UserRecord
		for i, line := range bytes.Split(in, []byte("\n")) {
			key, data, _ := bytes.Cut(line, []byte{0})
			r := UserRecord{PartitionKey: string(key), Data: data}
			if i%3 == 2 {
				r.ExplicitHashKey = string(data)
			}
			recs = append(recs, r)
		}
		enc := Aggregate(recs)
		got, err := Deaggregate(enc)
		if err != nil {
			t.Fatalf("own aggregate: %v", err)
		}
		if len(got) != len(recs) {
			t.Fatalf("%d records back, %d in", len(got), len(recs))
		}
		for i := range got {
			if got[i].PartitionKey != recs[i].PartitionKey || got[i].ExplicitHashKey != recs[i].ExplicitHashKey || !bytes.Equal(got[i].Data, recs[i].Data) {
				t.Fatalf("record %d: %+v, want %+v", i, got[i], recs[i])
			}
		}
	})
}
