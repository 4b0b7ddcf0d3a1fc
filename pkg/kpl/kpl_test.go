package kpl

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

func TestAggregateEncodesTheDocumentedBytes(t *testing.T) {
	// One record, partition key "a", data "x", written out by hand from the
	// format: table entry (field 1, "a"), then record (field 3) holding
	// partition_key_index 0 (field 1) and data "x" (field 3).
	msg := []byte{0x0A, 0x01, 'a', 0x1A, 0x05, 0x08, 0x00, 0x1A, 0x01, 'x'}
	sum := md5.Sum(msg)
	want := append(append(append([]byte{}, 0xF3, 0x89, 0x9A, 0xC2), msg...), sum[:]...)
	got := Aggregate([]UserRecord{{PartitionKey: "a", Data: []byte("x")}})
	if !bytes.Equal(got, want) {
		t.Fatalf("Aggregate = % x\nwant        % x", got, want)
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		records []UserRecord
		pks     int // distinct partition keys expected in the table
	}{
		{"one record", []UserRecord{{PartitionKey: "k", Data: []byte(`{"a":1}`)}}, 1},
		{"shared key", []UserRecord{{PartitionKey: "k", Data: []byte("1")}, {PartitionKey: "k", Data: []byte("2")}, {PartitionKey: "k", Data: []byte("3")}}, 1},
		{"distinct keys", []UserRecord{{PartitionKey: "a", Data: []byte("1")}, {PartitionKey: "b", Data: []byte("2")}, {PartitionKey: "a", Data: []byte("3")}}, 2},
		{"explicit hash keys", []UserRecord{
			{PartitionKey: "a", ExplicitHashKey: "340282366920938463463374607431768211455", Data: []byte("1")},
			{PartitionKey: "b", Data: []byte("2")},
			{PartitionKey: "c", ExplicitHashKey: "0", Data: []byte("3")},
		}, 3},
		{"empty data", []UserRecord{{PartitionKey: "k", Data: []byte{}}}, 1},
		{"binary data", []UserRecord{{PartitionKey: "ü", Data: []byte{0, 0xF3, 0x89, 0x9A, 0xC2, 0xff}}}, 1},
		{"large record", []UserRecord{{PartitionKey: "k", Data: bytes.Repeat([]byte("z"), 300_000)}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b Builder
			for _, r := range tt.records {
				want := b.SizeWith(r)
				b.Add(r)
				if b.Size() != want {
					t.Fatalf("SizeWith said %d, Size after Add is %d", want, b.Size())
				}
			}
			enc := b.AppendEncoded(nil)
			if len(enc) != b.Size() {
				t.Fatalf("encoded %d bytes, Size says %d", len(enc), b.Size())
			}
			if len(b.pkIndex) != tt.pks {
				t.Fatalf("partition key table has %d entries, want %d", len(b.pkIndex), tt.pks)
			}
			for i, r := range tt.records {
				if off := b.DataOffset(i); !bytes.Equal(enc[off:off+len(r.Data)], r.Data) {
					t.Fatalf("DataOffset(%d) = %d does not point at its data", i, off)
				}
			}
			got, err := Deaggregate(enc)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.records) {
				t.Fatalf("got %d records, want %d", len(got), len(tt.records))
			}
			for i := range got {
				w := tt.records[i]
				if got[i].PartitionKey != w.PartitionKey || got[i].ExplicitHashKey != w.ExplicitHashKey || !bytes.Equal(got[i].Data, w.Data) {
					t.Fatalf("record %d = %+v, want %+v", i, got[i], w)
				}
			}
		})
	}
}

func TestBuilderResetStartsAnEmptyAggregate(t *testing.T) {
	var b Builder
	b.Add(UserRecord{PartitionKey: "old", Data: []byte("1")})
	b.Reset()
	b.Add(UserRecord{PartitionKey: "new", Data: []byte("2")})
	got, err := Deaggregate(b.AppendEncoded(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].PartitionKey != "new" || string(got[0].Data) != "2" {
		t.Fatalf("after Reset: %+v", got)
	}
}

func TestDeaggregatePassesPlainRecords(t *testing.T) {
	for _, data := range [][]byte{nil, []byte(`{"kind":"feature"}`), {0xF3, 0x89}} {
		got, err := Deaggregate(data)
		if got != nil || err != nil {
			t.Errorf("Deaggregate(%q) = %v, %v; want nil, nil", data, got, err)
		}
	}
}

// reseal puts a valid MD5 on a modified message, so the protobuf checks are reached.
func reseal(msg []byte) []byte {
	sum := md5.Sum(msg)
	return append(append(append([]byte{}, aggregateMagic...), msg...), sum[:]...)
}

func TestDeaggregateReportsCorruptAggregates(t *testing.T) {
	good := Aggregate([]UserRecord{{PartitionKey: "k", Data: []byte("hello")}, {PartitionKey: "j", Data: []byte("world")}})
	flipped := bytes.Clone(good)
	flipped[10] ^= 0x40
	rec := func(body ...byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(nil, fieldRecords, protowire.BytesType), body)
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"too short", append(bytes.Clone(aggregateMagic), 1, 2, 3), "shorter than the magic and the MD5"},
		{"flipped bit", flipped, "MD5 checksum does not match"},
		{"truncated", good[:len(good)-1], "MD5 checksum does not match"},
		{"bad protobuf", reseal([]byte{0x0A, 0x09, 'a'}), "AggregatedRecord"},
		{"index outside the table", reseal(rec(0x08, 0x05, 0x1A, 0x00)), "partition key index 5 outside a table of 0"},
		{"no partition key index", reseal(append([]byte{0x0A, 0x01, 'a'}, rec(0x1A, 0x00)...)), "no partition key index"},
		{"no data", reseal(append([]byte{0x0A, 0x01, 'a'}, rec(0x08, 0x00)...)), "no data"},
		{"explicit hash key index outside", reseal(append([]byte{0x0A, 0x01, 'a'}, rec(0x08, 0x00, 0x10, 0x01, 0x1A, 0x00)...)), "explicit hash key index 1 outside a table of 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Deaggregate(tt.data)
			if err == nil {
				t.Fatalf("no error; got %d records", len(got))
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q: want ErrCorrupt mentioning %q", err, tt.want)
			}
			if got != nil {
				t.Fatalf("corrupt aggregate gave records: %+v", got)
			}
		})
	}
}

func TestDeaggregateSkipsTagsAndUnknownFields(t *testing.T) {
	body := []byte{0x08, 0x00}
	// A tag {key "t", value "v"} (field 4), as the KPL may write.
	tag := protowire.AppendBytes(protowire.AppendTag(nil, fieldTags, protowire.BytesType), []byte{0x0A, 0x01, 't', 0x12, 0x01, 'v'})
	body = append(body, tag...)
	body = append(body, 0x1A, 0x02, 'h', 'i')
	msg := []byte{0x0A, 0x01, 'k'}
	msg = protowire.AppendBytes(protowire.AppendTag(msg, fieldRecords, protowire.BytesType), body)
	msg = protowire.AppendVarint(protowire.AppendTag(msg, 9, protowire.VarintType), 7) // unknown field
	got, err := Deaggregate(reseal(msg))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].PartitionKey != "k" || string(got[0].Data) != "hi" {
		t.Fatalf("got %+v", got)
	}
}

func BenchmarkBuilder(b *testing.B) {
	data := bytes.Repeat([]byte("e"), 400)
	keys := make([]string, 128)
	for i := range keys {
		keys[i] = fmt.Sprintf("%032x", i)
	}
	var bld Builder
	var out []byte
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r := UserRecord{PartitionKey: keys[i%len(keys)], Data: data}
		if bld.SizeWith(r) > 51200 {
			out = bld.AppendEncoded(out[:0])
			bld.Reset()
		}
		bld.Add(r)
	}
}
