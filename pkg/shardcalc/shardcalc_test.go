package shardcalc

import (
	"bytes"
	"compress/gzip"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestRecommendShards(t *testing.T) {
	tests := []struct {
		name                                  string
		in                                    Input
		baseline, records, bytes, recommended int64
		binding                               string
		onDemand                              bool
	}{
		{"nothing still needs one shard", Input{0, 1, 1024}, 1, 0, 0, 1, BindingBaseline, false},
		{"50M a month is one shard", Input{50_000_000, 1, 1024}, 1, 1, 1, 1, BindingBaseline, false},
		{"one event over the rule adds a shard", Input{50_000_001, 1, 1024}, 2, 1, 1, 2, BindingBaseline, false},
		// Any positive rate needs a whole shard: ceil(0.00000039/1000) is 1.
		{"one event a month", Input{1, 1, 1024}, 1, 1, 1, 1, BindingBaseline, false},
		{"1.5B a month", Input{1_500_000_000, 1, 1024}, 30, 1, 1, 30, BindingBaseline, false},
		// 2,592,000,000 a month is exactly 1,000/s: one shard's worth, not two.
		{"exact record limit", Input{2_592_000_000, 1, 1}, 52, 1, 1, 52, BindingBaseline, false},
		// 50M/month × 60 = 1,157.4/s → 2 shards by records; 1,157.4 × 100 B ≈ 0.11 MiB/s.
		{"records bind at a high peak", Input{50_000_000, 60, 100}, 1, 2, 1, 2, BindingRecords, true},
		// 50M/month × 10 = 192.9/s × 100 KiB = 18.8 MiB/s → 19 shards by bytes.
		{"bytes bind with large events", Input{50_000_000, 10, 102_400}, 1, 1, 19, 19, BindingBytes, true},
		{"peak factor just under the on-demand hint", Input{50_000_000, 3.9, 1024}, 1, 1, 1, 1, BindingBaseline, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.in.Validate(); err != nil {
				t.Fatal(err)
			}
			r := RecommendShards(tt.in)
			if r.BaselineShards != tt.baseline || r.RecordShards != tt.records || r.ByteShards != tt.bytes || r.RecommendedShards != tt.recommended {
				t.Errorf("baseline/records/bytes/recommended = %d/%d/%d/%d, want %d/%d/%d/%d",
					r.BaselineShards, r.RecordShards, r.ByteShards, r.RecommendedShards, tt.baseline, tt.records, tt.bytes, tt.recommended)
			}
			if r.ThroughputShards != max(tt.records, tt.bytes) {
				t.Errorf("throughput = %d", r.ThroughputShards)
			}
			if r.Binding != tt.binding || r.OnDemand != tt.onDemand {
				t.Errorf("binding %q onDemand %v, want %q %v", r.Binding, r.OnDemand, tt.binding, tt.onDemand)
			}
			wantRate := float64(tt.in.EventsPerMonth) / (30 * 86400) * tt.in.PeakFactor
			if math.Abs(r.PeakEventsPerSecond-wantRate) > 1e-9 {
				t.Errorf("peak rate %v, want %v", r.PeakEventsPerSecond, wantRate)
			}
		})
	}
}

func TestInputValidate(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		ok   bool
	}{
		{"defaults", Input{1, 1, 1024}, true},
		{"negative events", Input{-1, 1, 1024}, false},
		{"peak below the mean", Input{1, 0.5, 1024}, false},
		{"NaN peak", Input{1, math.NaN(), 1024}, false},
		{"infinite peak", Input{1, math.Inf(1), 1024}, false},
		{"zero bytes", Input{1, 1, 0}, false},
		{"over 10 MiB", Input{1, 1, 10*1024*1024 + 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.in.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestMeasureSample(t *testing.T) {
	long := strings.Repeat("x", 300_000) // far beyond bufio.Scanner's 64 KiB and the reader's buffer
	tests := []struct {
		name      string
		in        []byte
		lines     int64
		bytes     int64
		meanBytes int64
	}{
		{"empty", nil, 0, 0, 0},
		{"two lines", []byte("{\"a\":1}\n{\"bb\":22}\n"), 2, 16, 8},
		{"no final newline", []byte("abcd\nef"), 2, 6, 3},
		{"blank lines skipped", []byte("\n  \n\t\nabcd\n\n"), 1, 4, 4},
		{"crlf not counted", []byte("abcd\r\nef\r\n"), 2, 6, 3},
		{"BOM not counted", []byte("\uFEFFabcd\n"), 1, 4, 4},
		{"long line", []byte(long + "\n" + long + "\r\nab\n"), 3, 600_002, 200_001},
		{"gzip", gz(t, "abcd\nef\n\n"), 2, 6, 3},
		{"gzip long", gz(t, long+"\n"), 1, 300_000, 300_000},
		{"line over a record (1.5 MiB)", []byte(strings.Repeat("y", 1_572_864) + "\nab\n"), 2, 1_572_866, 786_433},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := MeasureSample(bytes.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if st.Lines != tt.lines || st.Bytes != tt.bytes || st.MeanBytes() != tt.meanBytes {
				t.Errorf("got %+v mean %d, want lines %d bytes %d mean %d", st, st.MeanBytes(), tt.lines, tt.bytes, tt.meanBytes)
			}
		})
	}
}

func TestMeasureSampleCorruptGzip(t *testing.T) {
	data := gz(t, strings.Repeat("abcdefgh\n", 1000))
	if _, err := MeasureSample(bytes.NewReader(data[:len(data)/2])); err == nil {
		t.Fatal("truncated gzip: want an error")
	}
}

// TestHostileShardInputs: inputs whose shard count overflows are refused with
// ErrTooManyShards; every accepted one gives positive, consistent counts.
func TestHostileShardInputs(t *testing.T) {
	tests := []struct {
		name     string
		in       Input
		tooMany  bool
		baseline int64
	}{
		{"1T at peak 1e300", Input{EventsPerMonth: 1e12, PeakFactor: 1e300, AvgEventBytes: 1024}, true, 0},
		{"max events at peak 1e308", Input{EventsPerMonth: math.MaxInt64, PeakFactor: 1e308, AvgEventBytes: 10 << 20}, true, 0},
		{"max events, 10 MiB events", Input{EventsPerMonth: math.MaxInt64, PeakFactor: 1, AvgEventBytes: 10 << 20}, false, 184467440738},
		{"max events", Input{EventsPerMonth: math.MaxInt64, PeakFactor: 1, AvgEventBytes: 1024}, false, 184467440738},
		{"max events less one shard's worth", Input{EventsPerMonth: math.MaxInt64 - 49_999_999, PeakFactor: 1, AvgEventBytes: 1}, false, 184467440737},
		{"just under the limit", Input{EventsPerMonth: 1e12, PeakFactor: 2e10, AvgEventBytes: 1}, false, 20000},
		{"zero events", Input{EventsPerMonth: 0, PeakFactor: 1, AvgEventBytes: 1024}, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.Validate()
			if tt.tooMany {
				if !errors.Is(err, ErrTooManyShards) {
					t.Fatalf("Validate = %v, want ErrTooManyShards", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate = %v", err)
			}
			r := RecommendShards(tt.in)
			if r.BaselineShards != tt.baseline {
				t.Errorf("baseline %d, want %d", r.BaselineShards, tt.baseline)
			}
			if r.RecordShards < 0 || r.ByteShards < 0 || r.ThroughputShards < 0 || r.RecommendedShards < max(r.BaselineShards, r.ThroughputShards) || r.RecommendedShards > MaxShards {
				t.Errorf("inconsistent result %+v", r)
			}
		})
	}
}
