package sender

import (
	"encoding/binary"
	"io"
	"math/bits"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/ldexport/ldexport/pkg/jsonscan"
	"github.com/valyala/fastjson"
)

// Reading a PutRecords answer. The worker reads each result entry's four
// strings (answerEntry) from a putAnswer. On the lean path they are slices
// of the answer's body, read into a pooled buffer: the usual answer, plain
// strings under the four keys the sender uses, is scanned in one pass
// (scanPutRecordsOutput); anything else (escapes, other keys, nulls, empty
// strings, odd numbers, invalid JSON) goes to fastjson as before. Both give
// the same entries for what the scanner takes (FuzzScanPutRecordsOutput).
// An answer the SDK read (sdkAnswer) is copied into the same form, so one
// function (Sender.entryResult) decides every entry.

var (
	putAnswers      = sync.Pool{New: func() any { return new(putAnswer) }}
	responseParsers fastjson.ParserPool
)

// maxPooledAnswer is the largest answer buffer kept for reuse, and the most
// a Content-Length reserves ahead: a 500-record answer is about 55 KiB, or
// some 150 KiB with an error message in every entry.
const maxPooledAnswer = 1 << 20

// answerEntry is one result entry's strings; nil when absent or not a string.
type answerEntry struct{ code, msg, seq, shard []byte }

// putAnswer is what the sender reads of a PutRecords answer. Its entries
// point into buffers it owns, which go back to a pool on release: nothing
// may keep an entry's bytes after that (strings made from them are copies).
type putAnswer struct {
	entries []answerEntry
	failed  int64            // FailedRecordCount (the sender reads the entries instead)
	body    []byte           // the answer's body, or the strings of an SDK answer
	parser  *fastjson.Parser // holds the strings of an answer read by fastjson
}

// newPutAnswer returns an empty answer from the pool.
func newPutAnswer() *putAnswer {
	a := putAnswers.Get().(*putAnswer)
	a.entries, a.body, a.failed = a.entries[:0], a.body[:0], 0
	return a
}

// release returns a to the pool; a may be nil.
func (a *putAnswer) release() {
	if a == nil {
		return
	}
	if a.parser != nil {
		clear(a.entries) // no pointers into the parser once it is pooled
		responseParsers.Put(a.parser)
		a.parser = nil
	}
	if cap(a.body) > maxPooledAnswer {
		a.entries, a.body = nil, nil
	}
	putAnswers.Put(a)
}

// readPutRecordsOutput reads a PutRecords answer of size bytes (-1:
// unknown, as http.Response.ContentLength says).
func readPutRecordsOutput(body io.Reader, size int64) (*putAnswer, error) {
	a := newPutAnswer()
	if err := a.readBody(body, size); err != nil {
		a.release()
		return nil, err
	}
	if entries, failed, ok := scanPutRecordsOutput(a.body, a.entries); ok {
		a.entries, a.failed = entries, failed
		return a, nil
	}
	if err := a.parse(); err != nil {
		a.release()
		return nil, err
	}
	return a, nil
}

// readBody reads body into a.body, in place: a body of known size is read
// into a buffer that holds it (and the read that finds its end), so it is
// neither grown nor copied.
func (a *putAnswer) readBody(body io.Reader, size int64) error {
	b := a.body[:0]
	if size >= 0 {
		b = slices.Grow(b, int(min(size, maxPooledAnswer))+1)
	}
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, max(cap(b), 4<<10))
		}
		n, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			a.body = b
			return err
		}
	}
	a.body = b
	return nil
}

// parse reads any answer in a.body with fastjson; the entries point into
// the parser's copy of the body, so the parser stays with a until release.
func (a *putAnswer) parse() error {
	p := responseParsers.Get()
	a.parser = p
	v, err := p.ParseBytes(a.body)
	if err != nil {
		return err
	}
	for _, r := range v.GetArray("Records") {
		a.entries = append(a.entries, answerEntry{
			code: r.GetStringBytes("ErrorCode"), msg: r.GetStringBytes("ErrorMessage"),
			seq: r.GetStringBytes("SequenceNumber"), shard: r.GetStringBytes("ShardId"),
		})
	}
	a.failed = int64(v.GetInt("FailedRecordCount"))
	return nil
}

// sdkAnswer copies what the sender reads of an answer the SDK read (out may
// be nil: no entries).
func sdkAnswer(out *kinesis.PutRecordsOutput) *putAnswer {
	a := newPutAnswer()
	if out == nil {
		return a
	}
	a.failed = int64(aws.ToInt32(out.FailedRecordCount))
	n := 0
	for _, r := range out.Records {
		n += len(aws.ToString(r.ErrorCode)) + len(aws.ToString(r.ErrorMessage)) + len(aws.ToString(r.SequenceNumber)) + len(aws.ToString(r.ShardId))
	}
	b := slices.Grow(a.body[:0], n) // appended to below without growing, so the slices stay valid
	keep := func(s *string) []byte {
		if s == nil {
			return nil
		}
		start := len(b)
		b = append(b, *s...)
		return b[start:len(b):len(b)]
	}
	for _, r := range out.Records {
		a.entries = append(a.entries, answerEntry{code: keep(r.ErrorCode), msg: keep(r.ErrorMessage), seq: keep(r.SequenceNumber), shard: keep(r.ShardId)})
	}
	a.body = b
	return a
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
