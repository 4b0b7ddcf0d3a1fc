package kinesistest

import (
	"encoding/base64"
	"encoding/json"
	"unicode/utf8"
)

// putRecordsInput is the body of a PutRecords request.
type putRecordsInput struct {
	StreamName, StreamARN string
	Records               []putEntry
}

// decodePutRecords decodes a PutRecords body. PutRecords is the hot path of
// benchmarks, where encoding/json's validation pass and reflection cost
// more than the rest of the server together, so it first tries
// decodePutRecordsFast, which handles what the SDK sends, and falls back to
// encoding/json (and its error messages) for anything else.
func decodePutRecords(body []byte, in *putRecordsInput) error {
	if decodePutRecordsFast(body, in) {
		return nil
	}
	*in = putRecordsInput{}
	return json.Unmarshal(body, in)
}

// decodePutRecordsFast decodes body into in, or reports false when body is
// not a well-formed PutRecords object made of exactly the keys StreamName,
// StreamARN, Records, Data, PartitionKey and ExplicitHashKey, with strings
// free of escapes and valid UTF-8. When it reports true, in holds what
// json.Unmarshal would have stored.
func decodePutRecordsFast(body []byte, in *putRecordsInput) bool {
	s := jsonScanner{b: body}
	if !s.consume('{') {
		return false
	}
	if s.consume('}') {
		return s.atEnd()
	}
	for {
		key, ok := s.plainString()
		if !ok || !s.consume(':') {
			return false
		}
		switch string(key) {
		case "StreamName":
			if !s.stringField(&in.StreamName) {
				return false
			}
		case "StreamARN":
			if !s.stringField(&in.StreamARN) {
				return false
			}
		case "Records":
			if s.null() {
				in.Records = nil
			} else if !s.records(&in.Records) {
				return false
			}
		default:
			return false
		}
		if s.consume(',') {
			continue
		}
		return s.consume('}') && s.atEnd()
	}
}

// jsonScanner reads JSON tokens from b at i.
type jsonScanner struct {
	b []byte
	i int
}

func (s *jsonScanner) skipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// consume skips space and then c, or reports false.
func (s *jsonScanner) consume(c byte) bool {
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *jsonScanner) atEnd() bool {
	s.skipSpace()
	return s.i == len(s.b)
}

// null consumes a JSON null if one is next.
func (s *jsonScanner) null() bool {
	s.skipSpace()
	if len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// plainString reads a string without escapes or control characters and
// returns its bytes (pointing into b).
func (s *jsonScanner) plainString() ([]byte, bool) {
	if !s.consume('"') {
		return nil, false
	}
	start := s.i
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return s.b[start:j], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// stringField reads a string (valid UTF-8) or null into *v.
func (s *jsonScanner) stringField(v *string) bool {
	if s.null() {
		return true
	}
	raw, ok := s.plainString()
	if !ok || !utf8.Valid(raw) {
		return false
	}
	*v = string(raw)
	return true
}

func (s *jsonScanner) records(out *[]putEntry) bool {
	if !s.consume('[') {
		return false
	}
	recs := make([]putEntry, 0, 64)
	if s.consume(']') {
		*out = recs
		return true
	}
	for {
		var e putEntry
		if !s.entry(&e) {
			return false
		}
		recs = append(recs, e)
		if s.consume(',') {
			continue
		}
		if !s.consume(']') {
			return false
		}
		*out = recs
		return true
	}
}

func (s *jsonScanner) entry(e *putEntry) bool {
	if s.null() {
		return true // json.Unmarshal leaves a null element zero
	}
	if !s.consume('{') {
		return false
	}
	if s.consume('}') {
		return true
	}
	for {
		key, ok := s.plainString()
		if !ok || !s.consume(':') {
			return false
		}
		switch string(key) {
		case "Data":
			if s.null() {
				e.Data = nil
				break
			}
			raw, ok := s.plainString()
			if !ok {
				return false
			}
			data := make([]byte, base64.StdEncoding.DecodedLen(len(raw)))
			n, err := base64.StdEncoding.Decode(data, raw)
			if err != nil {
				return false
			}
			e.Data = data[:n]
		case "PartitionKey":
			if !s.stringField(&e.PartitionKey) {
				return false
			}
		case "ExplicitHashKey":
			if s.null() {
				e.ExplicitHashKey = nil
				break
			}
			var k string
			if !s.stringField(&k) {
				return false
			}
			e.ExplicitHashKey = &k
		default:
			return false
		}
		if s.consume(',') {
			continue
		}
		return s.consume('}')
	}
}
