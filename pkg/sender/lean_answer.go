package sender

import (
	"bytes"
	"encoding/binary"
	"io"
	"math/bits"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/ldexport/ldexport/pkg/jsonscan"
	"github.com/valyala/fastjson"
)

// Reading a PutRecords answer on the lean path: the usual answer, plain
// strings under the four keys the sender uses, is scanned in one pass
// (scanPutRecordsOutput); anything else (escapes, other keys, nulls, empty
// strings, odd numbers, invalid JSON) goes to fastjson as before. Both give
// the same output for what the scanner takes (FuzzScanPutRecordsOutput).

var (
	responseBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	responseParsers fastjson.ParserPool
	answerEntries   = sync.Pool{New: func() any { return new([]answerEntry) }}
)

// answerEntry is one result entry's strings; nil when absent or not a string.
type answerEntry struct{ code, msg, seq, shard []byte }

// readPutRecordsOutput reads a PutRecords answer.
func readPutRecordsOutput(body io.Reader) (*kinesis.PutRecordsOutput, error) {
	buf := responseBuffers.Get().(*bytes.Buffer)
	defer responseBuffers.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(body); err != nil {
		return nil, err
	}
	scratch := answerEntries.Get().(*[]answerEntry)
	defer answerEntries.Put(scratch)
	if entries, failed, ok := scanPutRecordsOutput(buf.Bytes(), (*scratch)[:0]); ok {
		*scratch = entries
		return buildPutRecordsOutput(entries, failed), nil
	}
	return parsePutRecordsOutput(buf.Bytes(), scratch)
}

// parsePutRecordsOutput reads any answer with fastjson.
func parsePutRecordsOutput(b []byte, scratch *[]answerEntry) (*kinesis.PutRecordsOutput, error) {
	p := responseParsers.Get()
	defer responseParsers.Put(p)
	v, err := p.ParseBytes(b)
	if err != nil {
		return nil, err
	}
	entries := (*scratch)[:0]
	for _, r := range v.GetArray("Records") {
		entries = append(entries, answerEntry{
			code: r.GetStringBytes("ErrorCode"), msg: r.GetStringBytes("ErrorMessage"),
			seq: r.GetStringBytes("SequenceNumber"), shard: r.GetStringBytes("ShardId"),
		})
	}
	*scratch = entries
	return buildPutRecordsOutput(entries, int64(v.GetInt("FailedRecordCount"))), nil
}

// buildPutRecordsOutput makes the SDK's output from the entries read.
func buildPutRecordsOutput(entries []answerEntry, failed int64) *kinesis.PutRecordsOutput {
	out := &kinesis.PutRecordsOutput{Records: make([]types.PutRecordsResultEntry, len(entries))}
	var shards []*string // the shard IDs seen, shared by the entries
	str := func(b []byte) *string {
		if b == nil {
			return nil
		}
		s := string(b)
		return &s
	}
	// Sequence numbers are the proof of delivery: every one is kept, in
	// one string for all (one allocation a response, not one a record),
	// sized for Kinesis's 56-digit numbers.
	var seqBytes strings.Builder
	seqBytes.Grow(56 * len(entries))
	seqEnd := make([]int, len(entries)) // end of record i's number in seqBytes; -1: none
	for i, r := range entries {
		e := &out.Records[i]
		seqEnd[i] = -1
		if r.code != nil {
			e.ErrorCode, e.ErrorMessage = str(r.code), str(r.msg)
			continue
		}
		if r.seq != nil {
			seqBytes.Write(r.seq)
			seqEnd[i] = seqBytes.Len()
		}
		if r.shard == nil {
			continue
		}
		for _, s := range shards {
			if *s == string(r.shard) {
				e.ShardId = s
				break
			}
		}
		if e.ShardId == nil {
			s := string(r.shard)
			shards = append(shards, &s)
			e.ShardId = &s
		}
	}
	allSeq := seqBytes.String()
	seqs := make([]string, len(entries))
	start := 0
	for i, end := range seqEnd {
		if end < 0 {
			continue
		}
		seqs[i] = allSeq[start:end]
		out.Records[i].SequenceNumber = &seqs[i]
		start = end
	}
	if failed > 0 {
		out.FailedRecordCount = aws.Int32(int32(failed))
	}
	return out
}

// scanPutRecordsOutput reads the usual answer,
// {"FailedRecordCount":N,"Records":[{"SequenceNumber":"...","ShardId":"..."},{"ErrorCode":"...","ErrorMessage":"..."}],"EncryptionType":"..."}
// (any order, white space anywhere), appending its entries to entries. It
// says !ok for anything else: a key it does not know or twice, a value that
// is not a non-empty string without escapes (or for FailedRecordCount an
// integer), no Records, invalid JSON.
func scanPutRecordsOutput(b []byte, entries []answerEntry) (_ []answerEntry, failed int64, ok bool) {
	s := answerScanner{jsonscan.Scanner{B: b}}
	if !s.Take('{') {
		return nil, 0, false
	}
	var seenFailed, seenRecords, seenType bool
	for first := true; ; first = false {
		if first && s.Take('}') {
			break
		}
		if !first && !s.Take(',') {
			if !s.Take('}') {
				return nil, 0, false
			}
			break
		}
		key, ok := s.str()
		if !ok || !s.Take(':') {
			return nil, 0, false
		}
		switch string(key) {
		case "FailedRecordCount":
			n, ok := s.integer()
			if !ok || seenFailed {
				return nil, 0, false
			}
			failed, seenFailed = n, true
		case "EncryptionType":
			if _, ok := s.str(); !ok || seenType {
				return nil, 0, false
			}
			seenType = true
		case "Records":
			if seenRecords || !s.Take('[') {
				return nil, 0, false
			}
			seenRecords = true
			if entries, ok = s.entries(entries); !ok {
				return nil, 0, false
			}
		default:
			return nil, 0, false
		}
	}
	s.Space()
	if s.I != len(s.B) || !seenRecords {
		return nil, 0, false
	}
	return entries, failed, true
}

// answerScanner reads the usual PutRecords answer; every method skips the
// white space before what it reads.
type answerScanner struct{ jsonscan.Scanner }

// take is Take, quicker when c comes at once (the usual answer has no
// white space).
func (s *answerScanner) take(c byte) bool {
	if s.I < len(s.B) && s.B[s.I] == c {
		s.I++
		return true
	}
	return s.Take(c)
}

// str reads a non-empty string without escapes or control bytes.
func (s *answerScanner) str() ([]byte, bool) {
	if !s.take('"') {
		return nil, false
	}
	rest := s.B[s.I:]
	n := plainPrefix(rest)
	if n == 0 || n == len(rest) || rest[n] != '"' {
		return nil, false
	}
	s.I += n + 1
	return rest[:n:n], true
}

// plainPrefix returns the index of the first '"', '\\' or byte below 0x20
// in b (len(b) if none), eight bytes at a time: each flag below is exact
// for the lowest byte it marks (a borrow only runs on from a byte marked
// itself), so the lowest marked byte of the three is the first such byte.
func plainPrefix(b []byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		q, e := w^('"'*ones), w^('\\'*ones)
		if m := ((q-ones)&^q | (e-ones)&^e | (w-0x20*ones)&^w) & highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' || c < 0x20 {
			return i
		}
	}
	return i
}

// integer reads -?(0|[1-9][0-9]*) that fits an int64.
func (s *answerScanner) integer() (int64, bool) {
	s.Space()
	neg := s.I < len(s.B) && s.B[s.I] == '-'
	if neg {
		s.I++
	}
	start := s.I
	var n int64
	for ; s.I < len(s.B) && s.B[s.I]-'0' <= 9; s.I++ {
		if n > (1<<63-1-9)/10 {
			return 0, false // may not fit: fastjson decides
		}
		n = n*10 + int64(s.B[s.I]-'0')
	}
	digits := s.I - start
	if digits == 0 || digits > 1 && s.B[start] == '0' {
		return 0, false
	}
	if s.I < len(s.B) && (s.B[s.I] == '.' || s.B[s.I]|0x20 == 'e') {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// field reads an entry's key and its colon, and returns the field of e the
// key names; nil for a key other than the four. A key is known by its
// bytes and closing quote, so a longer key or one with escapes is not.
func (s *answerScanner) field(e *answerEntry) *[]byte {
	if !s.take('"') {
		return nil
	}
	rest := s.B[s.I:]
	var f *[]byte
	var n int
	switch {
	case hasKey(rest, `SequenceNumber"`):
		f, n = &e.seq, len(`SequenceNumber"`)
	case hasKey(rest, `ShardId"`):
		f, n = &e.shard, len(`ShardId"`)
	case hasKey(rest, `ErrorCode"`):
		f, n = &e.code, len(`ErrorCode"`)
	case hasKey(rest, `ErrorMessage"`):
		f, n = &e.msg, len(`ErrorMessage"`)
	default:
		return nil
	}
	s.I += n
	if !s.take(':') {
		return nil
	}
	return f
}

// hasKey reports whether b starts with key.
func hasKey(b []byte, key string) bool {
	return len(b) >= len(key) && string(b[:len(key)]) == key
}

// entries reads the Records array after its '[', appending to entries.
func (s *answerScanner) entries(entries []answerEntry) ([]answerEntry, bool) {
	if s.take(']') {
		return entries, true
	}
	for {
		if !s.take('{') {
			return nil, false
		}
		var e answerEntry
		if !s.take('}') {
			for {
				f := s.field(&e)
				if f == nil || *f != nil {
					return nil, false
				}
				v, ok := s.str()
				if !ok {
					return nil, false
				}
				*f = v
				if s.take(',') {
					continue
				}
				if s.take('}') {
					break
				}
				return nil, false
			}
		}
		entries = append(entries, e)
		if s.take(',') {
			continue
		}
		if s.take(']') {
			return entries, true
		}
		return nil, false
	}
}
