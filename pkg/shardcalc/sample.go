package shardcalc

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"math"
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

var gzipMagic = []byte{0x1f, 0x8b}

// MeasureSample reads NDJSON from r, gunzipping it when it starts with gzip's
// magic bytes, and counts its non-blank lines and their bytes. A line's
// ending (\n or \r\n) and a leading UTF-8 byte-order mark are not counted; a
// line of only spaces and tabs is blank. Lines of any length are measured
// while streaming, so memory stays small whatever the input.
func MeasureSample(r io.Reader) (SampleStats, error) {
	br := bufio.NewReaderSize(r, 64*1024)
	if magic, _ := br.Peek(2); bytes.Equal(magic, gzipMagic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return SampleStats{}, err
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 64*1024)
	}
	var (
		st       SampleStats
		lineLen  int64
		nonBlank bool
		lastCR   bool
		first    = true
	)
	endLine := func() {
		if lastCR {
			lineLen--
		}
		if nonBlank {
			st.Lines++
			st.Bytes += lineLen
		}
		lineLen, nonBlank, lastCR = 0, false, false
	}
	for {
		chunk, err := br.ReadSlice('\n')
		if first {
			chunk = bytes.TrimPrefix(chunk, []byte("\uFEFF"))
			first = false
		}
		if len(chunk) > 0 {
			body := chunk
			complete := body[len(body)-1] == '\n'
			if complete {
				body = body[:len(body)-1]
			}
			lineLen += int64(len(body))
			if len(body) > 0 {
				lastCR = body[len(body)-1] == '\r'
				if !nonBlank && len(bytes.Trim(body, " \t\r")) > 0 {
					nonBlank = true
				}
			}
			if complete {
				endLine()
			}
		}
		switch {
		case err == nil, errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			endLine()
			return st, nil
		default:
			return st, err
		}
	}
}
