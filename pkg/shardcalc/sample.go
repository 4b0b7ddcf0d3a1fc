package shardcalc

import (
	"errors"
	"io"
	"math"

	"github.com/ldexport/ldexport/pkg/ndjson"
)

// SampleStats describes the events of an NDJSON sample.
type SampleStats struct {
	// Lines counts the non-blank lines.
	Lines int64
	// Bytes is their total size, without line endings.
	Bytes int64
}

// MeanBytes is the mean line size rounded up to a whole byte (0 without lines).
func (s SampleStats) MeanBytes() int64 {
	if s.Lines == 0 {
		return 0
	}
	return int64(math.Ceil(float64(s.Bytes) / float64(s.Lines)))
}

// MeasureSample reads NDJSON from r with the same reader `send` uses (gzip
// recognised by its magic bytes, any line length, BOM and line endings not
// counted, blank lines skipped) and counts its lines and their bytes. Lines
// longer than a record are measured while streaming, never held whole.
func MeasureSample(r io.Reader) (SampleStats, error) {
	nr, err := ndjson.NewReader(r, "sample", ndjson.DefaultMaxLine)
	if err != nil {
		return SampleStats{}, err
	}
	defer nr.Close()
	var st SampleStats
	for {
		line, err := nr.Next()
		if errors.Is(err, io.EOF) {
			return st, nil
		}
		if err != nil {
			return st, err
		}
		st.Lines++
		st.Bytes += line.Size
	}
}
