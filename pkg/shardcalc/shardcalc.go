// Package shardcalc sizes a Kinesis data stream for LaunchDarkly Data Export:
// LaunchDarkly's rule of one shard per 50 million events a month, checked
// against a shard's write limits (1,000 records/s and 1 MiB/s) at the peak
// rate. It also parses human event counts (50M, 1.5B, 50_000_000) and
// measures the mean event size of an NDJSON sample.
package shardcalc

import (
	"errors"
	"fmt"
	"math"
)

// Limits and rules the sizing uses.
const (
	// EventsPerShardMonth is LaunchDarkly's rule of thumb: one shard per 50
	// million events a month.
	EventsPerShardMonth = 50_000_000
	// SecondsPerMonth is a 30-day month.
	SecondsPerMonth = 30 * 86_400
	// ShardRecordsPerSecond is a shard's write limit in records.
	ShardRecordsPerSecond = 1_000
	// ShardBytesPerSecond is a shard's write limit in bytes (1 MiB).
	ShardBytesPerSecond = 1_048_576
	// DefaultAvgEventBytes is the event size assumed without a sample.
	DefaultAvgEventBytes = 1_024
	// MaxShards is the largest shard count computed: 2^53, the last whole
	// number a float64 holds exactly. An input needing more is refused.
	MaxShards = 1 << 53
	// OnDemandPeakFactor is the peak factor from which on-demand capacity
	// mode is worth a look: provisioned shards sized for the peak sit mostly idle.
	OnDemandPeakFactor = 4
)

// Which limit decides the recommendation.
const (
	BindingBaseline = "baseline" // LaunchDarkly's events-per-month rule
	BindingRecords  = "records"  // 1,000 records/s per shard at the peak
	BindingBytes    = "bytes"    // 1 MiB/s per shard at the peak
)

// Input is what the stream is sized for.
type Input struct {
	EventsPerMonth int64
	// PeakFactor is how far the busiest second is above the monthly mean (≥ 1).
	PeakFactor float64
	// AvgEventBytes is the mean record size in bytes.
	AvgEventBytes int64
}

// Result is a shard recommendation and how it was reached. JSON keys are
// the CLI contract's; the fields without a key explain the result in tables.
type Result struct {
	EventsPerMonth      int64   `json:"eventsPerMonth"`
	PeakFactor          float64 `json:"peakFactor"`
	AvgEventBytes       int64   `json:"avgEventBytes"`
	PeakEventsPerSecond float64 `json:"peakEventsPerSecond"`
	BaselineShards      int64   `json:"baselineShards"`
	ThroughputShards    int64   `json:"throughputShards"`
	RecommendedShards   int64   `json:"recommendedShards"`

	// RecordShards and ByteShards are the two halves of ThroughputShards.
	RecordShards int64 `json:"-"`
	ByteShards   int64 `json:"-"`
	// PeakBytesPerSecond is PeakEventsPerSecond × AvgEventBytes.
	PeakBytesPerSecond float64 `json:"-"`
	// Binding names the limit that decides RecommendedShards (Binding* constants).
	Binding string `json:"-"`
	// OnDemand is set when the peak is so far above the mean that on-demand
	// capacity mode may suit better than provisioned shards.
	OnDemand bool `json:"-"`
}

// RecommendShards sizes a stream: baselineShards = ceil(N / 50,000,000), at
// least 1; the peak rate is N / (30 × 86,400 s) × PeakFactor;
// throughputShards is the larger of ceil(rate / 1,000) and
// ceil(rate × AvgEventBytes / 1,048,576); the recommendation is the larger of
// baseline and throughput. The input must be valid (see Input.Validate).
func RecommendShards(in Input) Result {
	r := Result{
		EventsPerMonth: in.EventsPerMonth,
		PeakFactor:     in.PeakFactor,
		AvgEventBytes:  in.AvgEventBytes,
	}
	r.BaselineShards = max(1, ceilDiv(in.EventsPerMonth, EventsPerShardMonth))
	r.PeakEventsPerSecond = float64(in.EventsPerMonth) / SecondsPerMonth * in.PeakFactor
	r.PeakBytesPerSecond = r.PeakEventsPerSecond * float64(in.AvgEventBytes)
	r.RecordShards = ceil(r.PeakEventsPerSecond / ShardRecordsPerSecond)
	r.ByteShards = ceil(r.PeakBytesPerSecond / ShardBytesPerSecond)
	r.ThroughputShards = max(r.RecordShards, r.ByteShards)
	r.RecommendedShards = max(r.BaselineShards, r.ThroughputShards)
	switch {
	case r.BaselineShards >= r.ThroughputShards:
		r.Binding = BindingBaseline
	case r.RecordShards >= r.ByteShards:
		r.Binding = BindingRecords
	default:
		r.Binding = BindingBytes
	}
	r.OnDemand = in.PeakFactor >= OnDemandPeakFactor
	return r
}

// ErrTooManyShards is the error of an Input whose peak needs more than
// MaxShards shards: the answer cannot be computed, and no stream has them.
var ErrTooManyShards = errors.New("needs more than 9,007,199,254,740,992 shards (2^53), the most ldexport computes")

// Validate checks an Input: events not negative, a finite peak factor of at
// least 1 (the busiest second is never below the mean), an event size from 1
// byte to 10 MiB (the largest record a stream accepts), and a peak that needs
// at most MaxShards shards (ErrTooManyShards otherwise).
func (in Input) Validate() error {
	switch {
	case in.EventsPerMonth < 0:
		return errors.New("events per month must not be negative")
	case math.IsNaN(in.PeakFactor) || math.IsInf(in.PeakFactor, 0) || in.PeakFactor < 1:
		return fmt.Errorf("peak factor %v must be a finite number of at least 1", in.PeakFactor)
	case in.AvgEventBytes < 1 || in.AvgEventBytes > 10*ShardBytesPerSecond:
		return fmt.Errorf("average event size %d must be 1 to 10485760 bytes", in.AvgEventBytes)
	}
	rate := float64(in.EventsPerMonth) / SecondsPerMonth * in.PeakFactor
	if need := max(rate/ShardRecordsPerSecond, rate*float64(in.AvgEventBytes)/ShardBytesPerSecond); need > MaxShards {
		return fmt.Errorf("a peak of %.3g events/s %w", rate, ErrTooManyShards)
	}
	return nil
}

// ceilDiv is ⌈a/b⌉ for a ≥ 0, b > 0, without the overflow of (a+b-1)/b near MaxInt64.
func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 {
		q++
	}
	return q
}

// ceil rounds up, forgiving the float error of a value that is a whole
// number in exact arithmetic (e.g. 1000.0000000000001 shards' worth of rate).
// Any positive rate, however small, needs a whole shard.
func ceil(x float64) int64 {
	f := math.Floor(x)
	if x == f || f >= 1 && x-f < 1e-9*x {
		return int64(f)
	}
	return int64(f) + 1
}
