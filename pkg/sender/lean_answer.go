package sender

import (
	"bytes"
	"encoding/binary"
	"io"
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

// str reads a non-empty string without escapes or control bytes.
func (s *answerScanner) str() ([]byte, bool) {
	if !s.Take('"') {
		return nil, false
	}
	n := bytes.IndexByte(s.B[s.I:], '"')
	if n <= 0 {
		return nil, false
	}
	v := s.B[s.I : s.I+n]
	s.I += n + 1
	return v, !escapedOrControl(v)
}

// escapedOrControl reports whether b holds a backslash or a byte below
// 0x20, eight bytes at a time (the flags as in ndjson's skipString).
func escapedOrControl(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for len(b) >= 8 {
		w := binary.LittleEndian.Uint64(b)
		x := w ^ ('\\' * ones)
		if ((x-ones)&^x|(w-0x20*ones)&^w)&highs != 0 {
			return true
		}
		b = b[8:]
	}
	for _, c := range b {
		if c == '\\' || c < 0x20 {
			return true
		}
	}
	return false
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

// entries reads the Records array after its '[', appending to entries.
func (s *answerScanner) entries(entries []answerEntry) ([]answerEntry, bool) {
	if s.Take(']') {
		return entries, true
	}
	for {
		if !s.Take('{') {
			return nil, false
		}
		var e answerEntry
		for first := true; ; first = false {
			if first && s.Take('}') {
				break
			}
			if !first && !s.Take(',') {
				if !s.Take('}') {
					return nil, false
				}
				break
			}
			key, ok := s.str()
			if !ok || !s.Take(':') {
				return nil, false
			}
			var field *[]byte
			switch string(key) {
			case "SequenceNumber":
				field = &e.seq
			case "ShardId":
				field = &e.shard
			case "ErrorCode":
				field = &e.code
			case "ErrorMessage":
				field = &e.msg
			default:
				return nil, false
			}
			v, ok := s.str()
			if !ok || *field != nil {
				return nil, false
			}
			*field = v
		}
		entries = append(entries, e)
		if s.Take(']') {
			return entries, true
		}
		if !s.Take(',') {
			return nil, false
		}
	}
}
