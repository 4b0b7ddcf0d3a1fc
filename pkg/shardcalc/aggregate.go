package shardcalc

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ldexport/ldexport/pkg/kpl"
)

// Aggregation defaults: the KPL's AggregationMaxSize, and the partition key
// send gives each event by default (32 random hexadecimal characters).
const (
	DefaultAggregateMaxBytes = 51_200
	RandomPartitionKeyBytes  = 32
)

// Aggregated sizes a stream for `send --aggregate`: events packed into KPL
// aggregated records of at most MaxAggregateBytes. As send does with random
// partition keys, the events of one aggregated record share one random key
// (one entry in its key table). JSON keys are the contract's style.
type Aggregated struct {
	MaxAggregateBytes int64 `json:"maxAggregateBytes"`
	// EventsPerKinesisRecord is how many events of AvgEventBytes fill one
	// aggregated record; KinesisRecordBytes is that record's size (data plus
	// partition key).
	EventsPerKinesisRecord      int64   `json:"eventsPerKinesisRecord"`
	KinesisRecordBytes          int64   `json:"kinesisRecordBytes"`
	PeakKinesisRecordsPerSecond float64 `json:"peakKinesisRecordsPerSecond"`
	PeakBytesPerSecond          float64 `json:"peakBytesPerSecond"`
	ThroughputShards            int64   `json:"throughputShards"`
	RecommendedShards           int64   `json:"recommendedShards"`

	RecordShards int64 `json:"-"`
	ByteShards   int64 `json:"-"`
}

// ValidateAggregateMaxBytes checks an aggregate size limit: room for at least
// the aggregate's framing, and within a 1 MiB record.
func ValidateAggregateMaxBytes(n int64) error {
	if n < 1024 || n > ShardBytesPerSecond-RandomPartitionKeyBytes {
		return fmt.Errorf("aggregate size %d must be 1024 to %d bytes (a record, with its partition key, takes at most 1 MiB)", n, ShardBytesPerSecond-RandomPartitionKeyBytes)
	}
	return nil
}

// RecommendAggregated sizes the stream for aggregated sends of r's peak.
// The events of one aggregated record are counted by building one with
// pkg/kpl, so the per-event overhead (each user record's framing) is the
// encoder's, not an estimate. An
// event too large for an aggregate goes alone, as a plain record. There is
// no baseline here: LaunchDarkly's own delivery does not aggregate, so its
// rule of thumb sizes what LaunchDarkly sends, not a send --aggregate.
func RecommendAggregated(r Result, maxAggregateBytes int64) (Aggregated, error) {
	if err := ValidateAggregateMaxBytes(maxAggregateBytes); err != nil {
		return Aggregated{}, err
	}
	if r.AvgEventBytes < 1 {
		return Aggregated{}, errors.New("average event size must be at least 1 byte")
	}
	a := Aggregated{MaxAggregateBytes: maxAggregateBytes}
	event := kpl.UserRecord{Data: make([]byte, r.AvgEventBytes)}
	var b kpl.Builder
	event.PartitionKey = strings.Repeat("0", RandomPartitionKeyBytes)
	for {
		if int64(b.SizeWith(event)+RandomPartitionKeyBytes) > maxAggregateBytes {
			break
		}
		b.Add(event)
	}
	if b.Len() == 0 {
		a.EventsPerKinesisRecord = 1
		a.KinesisRecordBytes = r.AvgEventBytes + RandomPartitionKeyBytes
	} else {
		a.EventsPerKinesisRecord = int64(b.Len())
		a.KinesisRecordBytes = int64(b.Size() + RandomPartitionKeyBytes)
	}
	a.PeakKinesisRecordsPerSecond = r.PeakEventsPerSecond / float64(a.EventsPerKinesisRecord)
	a.PeakBytesPerSecond = a.PeakKinesisRecordsPerSecond * float64(a.KinesisRecordBytes)
	a.RecordShards = ceil(a.PeakKinesisRecordsPerSecond / ShardRecordsPerSecond)
	a.ByteShards = ceil(a.PeakBytesPerSecond / ShardBytesPerSecond)
	a.ThroughputShards = max(a.RecordShards, a.ByteShards)
	a.RecommendedShards = max(1, a.ThroughputShards)
	return a, nil
}
