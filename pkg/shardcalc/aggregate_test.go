package shardcalc

import (
	"strings"
	"testing"
)

func TestRecommendAggregated(t *testing.T) {
	tests := []struct {
		name                      string
		in                        Input
		maxBytes                  int64
		perRecord, recordBytes    int64
		recordShards, byteShards  int64
		recommended, unaggregated int64
	}{
		// Worked by hand: each 400-byte event takes 408 bytes (record tag 1,
		// length 2, key index 2, data tag 1, length 2); the aggregate adds the
		// magic (4), the MD5 (16), one key-table entry (34) and its own
		// 32-byte partition key: 86 + 125 × 408 = 51,086 ≤ 51,200 < 51,494.
		{name: "400-byte events", in: Input{EventsPerMonth: 3_000_000_000, PeakFactor: 4, AvgEventBytes: 400}, maxBytes: 51_200,
			perRecord: 125, recordBytes: 51_086, recordShards: 1, byteShards: 2, recommended: 2, unaggregated: 5},
		// 1 MiB/s of 400-byte events in 408-byte slots: 10,000 events/s need 4 shards, not 10.
		{name: "10,000 events/s", in: Input{EventsPerMonth: 25_920_000_000, PeakFactor: 1, AvgEventBytes: 400}, maxBytes: 51_200,
			perRecord: 125, recordBytes: 51_086, recordShards: 1, byteShards: 4, recommended: 4, unaggregated: 10},
		// An event larger than an aggregate goes alone, as a plain record.
		{name: "events larger than an aggregate", in: Input{EventsPerMonth: 2_592_000, PeakFactor: 1, AvgEventBytes: 100_000}, maxBytes: 51_200,
			perRecord: 1, recordBytes: 100_032, recordShards: 1, byteShards: 1, recommended: 1, unaggregated: 1},
		// Small aggregates still cut the record count: 100-byte events take
		// 106 bytes each, 86 + 8 × 106 = 934 ≤ 1,024 < 1,040.
		{name: "small aggregates", in: Input{EventsPerMonth: 25_920_000_000, PeakFactor: 1, AvgEventBytes: 100}, maxBytes: 1024,
			perRecord: 8, recordBytes: 934, recordShards: 2, byteShards: 2, recommended: 2, unaggregated: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := RecommendShards(tt.in)
			a, err := RecommendAggregated(r, tt.maxBytes)
			if err != nil {
				t.Fatal(err)
			}
			if a.EventsPerKinesisRecord != tt.perRecord || a.KinesisRecordBytes != tt.recordBytes || a.RecordShards != tt.recordShards ||
				a.ByteShards != tt.byteShards || a.RecommendedShards != tt.recommended || r.ThroughputShards != tt.unaggregated {
				t.Fatalf("got %+v (unaggregated %d), want %d per record of %d bytes, shards %d/%d → %d (unaggregated %d)",
					a, r.ThroughputShards, tt.perRecord, tt.recordBytes, tt.recordShards, tt.byteShards, tt.recommended, tt.unaggregated)
			}
		})
	}
}

func TestValidateAggregateMaxBytes(t *testing.T) {
	for _, n := range []int64{1023, 0, -5, 1 << 20} {
		if err := ValidateAggregateMaxBytes(n); err == nil || !strings.Contains(err.Error(), "must be 1024 to") {
			t.Errorf("ValidateAggregateMaxBytes(%d) = %v, want an error", n, err)
		}
	}
	for _, n := range []int64{1024, 51_200, 1<<20 - 32} {
		if err := ValidateAggregateMaxBytes(n); err != nil {
			t.Errorf("ValidateAggregateMaxBytes(%d) = %v", n, err)
		}
	}
}
