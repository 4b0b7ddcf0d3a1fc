// Package kpl encodes and decodes the Kinesis Producer Library's aggregated
// record format: many user records packed into one Kinesis record, which the
// KCL, the Lambda deaggregation libraries and Firehose unpack again.
//
// An aggregated record is the magic bytes F3 89 9A C2, then a protobuf
// AggregatedRecord message, then the MD5 of that message:
//
//	message AggregatedRecord {
//	  repeated string partition_key_table     = 1;
//	  repeated string explicit_hash_key_table = 2;
//	  repeated Record records                 = 3;
//	}
//	message Record {
//	  required uint64 partition_key_index     = 1;
//	  optional uint64 explicit_hash_key_index = 2;
//	  required bytes  data                    = 3;
//	  repeated Tag    tags                    = 4;
//	}
//
// The protobuf is written and read with protowire, field by field: no
// generated code, and a [Builder] knows the exact encoded size before a
// record is added, so an aggregate is filled up to a byte limit.
package kpl

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// aggregateMagic is the prefix of every aggregated record.
var aggregateMagic = []byte{0xF3, 0x89, 0x9A, 0xC2}

// Overhead is what an aggregated record adds around its protobuf message:
// the magic prefix and the MD5 trailer.
const Overhead = 4 + md5.Size

// Field numbers of the AggregatedRecord and Record messages.
const (
	fieldPartitionKeyTable    protowire.Number = 1
	fieldExplicitHashKeyTable protowire.Number = 2
	fieldRecords              protowire.Number = 3

	fieldPartitionKeyIndex    protowire.Number = 1
	fieldExplicitHashKeyIndex protowire.Number = 2
	fieldData                 protowire.Number = 3
	fieldTags                 protowire.Number = 4
)

// UserRecord is one record inside an aggregate. ExplicitHashKey is empty
// when the record has none (it then goes where its partition key hashes).
type UserRecord struct {
	PartitionKey    string
	ExplicitHashKey string
	Data            []byte
}

// IsAggregated reports whether data starts with the aggregated record magic.
// A record that does is either an aggregate or corrupt; see [Deaggregate].
func IsAggregated(data []byte) bool {
	return len(data) >= len(aggregateMagic) && bytes.Equal(data[:len(aggregateMagic)], aggregateMagic)
}

// ErrCorrupt is wrapped by every error Deaggregate returns for a record that
// carries the magic bytes but is not a valid aggregate.
var ErrCorrupt = errors.New("corrupt KPL aggregated record")

// Deaggregate returns the user records of an aggregated record, in order.
// Their Data share memory with data. A record without the magic prefix is
// not an aggregate: Deaggregate returns nil, nil and the caller uses it as
// is. A record with the magic whose MD5 does not match, or whose protobuf
// cannot be read, is an error wrapping [ErrCorrupt]: never user records.
func Deaggregate(data []byte) ([]UserRecord, error) {
	if !IsAggregated(data) {
		return nil, nil
	}
	if len(data) < Overhead {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the magic and the MD5", ErrCorrupt, len(data))
	}
	msg := data[len(aggregateMagic) : len(data)-md5.Size]
	sum := md5.Sum(msg)
	if !bytes.Equal(sum[:], data[len(data)-md5.Size:]) {
		return nil, fmt.Errorf("%w: MD5 checksum does not match", ErrCorrupt)
	}
	var (
		pks, ehks []string
		raw       [][]byte
	)
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return nil, corrupt("AggregatedRecord", protowire.ParseError(n))
		}
		msg = msg[n:]
		if typ != protowire.BytesType || num < fieldPartitionKeyTable || num > fieldRecords {
			// An unknown field: skip it, as protobuf readers do.
			if n = protowire.ConsumeFieldValue(num, typ, msg); n < 0 {
				return nil, corrupt("AggregatedRecord", protowire.ParseError(n))
			}
			msg = msg[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(msg)
		if n < 0 {
			return nil, corrupt("AggregatedRecord", protowire.ParseError(n))
		}
		msg = msg[n:]
		switch num {
		case fieldPartitionKeyTable:
			pks = append(pks, string(v))
		case fieldExplicitHashKeyTable:
			ehks = append(ehks, string(v))
		case fieldRecords:
			raw = append(raw, v)
		}
	}
	out := make([]UserRecord, len(raw))
	for i, b := range raw {
		if err := decodeRecord(b, pks, ehks, &out[i]); err != nil {
			return nil, fmt.Errorf("%w: user record %d: %v", ErrCorrupt, i, err)
		}
	}
	return out, nil
}

func corrupt(where string, err error) error {
	return fmt.Errorf("%w: %s: %v", ErrCorrupt, where, err)
}

// decodeRecord reads one Record message and resolves its table indexes.
func decodeRecord(b []byte, pks, ehks []string, ur *UserRecord) error {
	var pkSeen, dataSeen bool
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case (num == fieldPartitionKeyIndex || num == fieldExplicitHashKeyIndex) && typ == protowire.VarintType:
			idx, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
			if num == fieldPartitionKeyIndex {
				if idx >= uint64(len(pks)) {
					return fmt.Errorf("partition key index %d outside a table of %d", idx, len(pks))
				}
				ur.PartitionKey, pkSeen = pks[idx], true
			} else {
				if idx >= uint64(len(ehks)) {
					return fmt.Errorf("explicit hash key index %d outside a table of %d", idx, len(ehks))
				}
				ur.ExplicitHashKey = ehks[idx]
			}
		case num == fieldData && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
			ur.Data, dataSeen = v, true
		default: // tags (field 4) and unknown fields
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	switch {
	case !pkSeen:
		return errors.New("no partition key index")
	case !dataSeen:
		return errors.New("no data")
	}
	if ur.Data == nil {
		ur.Data = []byte{}
	}
	return nil
}

// Builder accumulates user records into one aggregated record. It keeps the
// partition key and explicit hash key tables deduplicated, and knows the
// encoded size at every step. The zero value is an empty Builder.
type Builder struct {
	pkIndex  map[string]uint64
	ehkIndex map[string]uint64
	tables   []byte // encoded partition_key_table and explicit_hash_key_table fields
	records  []byte // encoded records fields
	dataAt   []int  // where each record's data starts in records
	n        int
}

// Len is the number of user records added.
func (b *Builder) Len() int { return b.n }

// Size is the length of the aggregated record Encode would return now.
func (b *Builder) Size() int { return Overhead + len(b.tables) + len(b.records) }

// SizeWith is what Size would be after adding r.
func (b *Builder) SizeWith(r UserRecord) int {
	grow := 0
	pkIdx, ok := b.pkIndex[r.PartitionKey]
	if !ok {
		pkIdx = uint64(len(b.pkIndex))
		grow += protowire.SizeTag(fieldPartitionKeyTable) + protowire.SizeBytes(len(r.PartitionKey))
	}
	var ehkIdx uint64
	if r.ExplicitHashKey != "" {
		if ehkIdx, ok = b.ehkIndex[r.ExplicitHashKey]; !ok {
			ehkIdx = uint64(len(b.ehkIndex))
			grow += protowire.SizeTag(fieldExplicitHashKeyTable) + protowire.SizeBytes(len(r.ExplicitHashKey))
		}
	}
	body := recordBodySize(pkIdx, ehkIdx, r)
	grow += protowire.SizeTag(fieldRecords) + protowire.SizeBytes(body)
	return b.Size() + grow
}

// recordBodySize is the length of one encoded Record message.
func recordBodySize(pkIdx, ehkIdx uint64, r UserRecord) int {
	n := protowire.SizeTag(fieldPartitionKeyIndex) + protowire.SizeVarint(pkIdx) +
		protowire.SizeTag(fieldData) + protowire.SizeBytes(len(r.Data))
	if r.ExplicitHashKey != "" {
		n += protowire.SizeTag(fieldExplicitHashKeyIndex) + protowire.SizeVarint(ehkIdx)
	}
	return n
}

// Add appends r. Data is copied.
func (b *Builder) Add(r UserRecord) {
	if b.pkIndex == nil {
		b.pkIndex = make(map[string]uint64)
		b.ehkIndex = make(map[string]uint64)
	}
	pkIdx, ok := b.pkIndex[r.PartitionKey]
	if !ok {
		pkIdx = uint64(len(b.pkIndex))
		b.pkIndex[r.PartitionKey] = pkIdx
		b.tables = protowire.AppendTag(b.tables, fieldPartitionKeyTable, protowire.BytesType)
		b.tables = protowire.AppendString(b.tables, r.PartitionKey)
	}
	var ehkIdx uint64
	if r.ExplicitHashKey != "" {
		if ehkIdx, ok = b.ehkIndex[r.ExplicitHashKey]; !ok {
			ehkIdx = uint64(len(b.ehkIndex))
			b.ehkIndex[r.ExplicitHashKey] = ehkIdx
			b.tables = protowire.AppendTag(b.tables, fieldExplicitHashKeyTable, protowire.BytesType)
			b.tables = protowire.AppendString(b.tables, r.ExplicitHashKey)
		}
	}
	b.records = protowire.AppendTag(b.records, fieldRecords, protowire.BytesType)
	b.records = protowire.AppendVarint(b.records, uint64(recordBodySize(pkIdx, ehkIdx, r)))
	b.records = protowire.AppendTag(b.records, fieldPartitionKeyIndex, protowire.VarintType)
	b.records = protowire.AppendVarint(b.records, pkIdx)
	if r.ExplicitHashKey != "" {
		b.records = protowire.AppendTag(b.records, fieldExplicitHashKeyIndex, protowire.VarintType)
		b.records = protowire.AppendVarint(b.records, ehkIdx)
	}
	b.records = protowire.AppendTag(b.records, fieldData, protowire.BytesType)
	b.records = protowire.AppendVarint(b.records, uint64(len(r.Data)))
	b.dataAt = append(b.dataAt, len(b.records))
	b.records = append(b.records, r.Data...)
	b.n++
}

// AppendEncoded appends the aggregated record (magic, message, MD5) to dst.
func (b *Builder) AppendEncoded(dst []byte) []byte {
	dst = append(dst, aggregateMagic...)
	start := len(dst)
	dst = append(dst, b.tables...)
	dst = append(dst, b.records...)
	h := md5.New()
	h.Write(dst[start:])
	return h.Sum(dst)
}

// DataOffset is where the data of record i starts in the aggregated record
// Encode returns (its length is the record's own), so a caller can point at
// each record's bytes inside the aggregate instead of keeping a copy.
func (b *Builder) DataOffset(i int) int { return len(aggregateMagic) + len(b.tables) + b.dataAt[i] }

// Reset empties b, keeping its buffers.
func (b *Builder) Reset() {
	clear(b.pkIndex)
	clear(b.ehkIndex)
	b.tables, b.records, b.dataAt, b.n = b.tables[:0], b.records[:0], b.dataAt[:0], 0
}

// Aggregate encodes records as one aggregated record.
func Aggregate(records []UserRecord) []byte {
	var b Builder
	for _, r := range records {
		b.Add(r)
	}
	return b.AppendEncoded(make([]byte, 0, b.Size()))
}
