package kinesistest

import (
	"encoding/base64"
	"encoding/json"
	"unicode/utf8"

	"github.com/ldexport/ldexport/pkg/jsonscan"
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
	s := jsonScanner{jsonscan.Scanner{B: body}}
	if !s.Take('{') {
		return false
	}
	if s.Take('}') {
		return s.AtEnd()
	}
	for {
		key, ok := s.plainString()
		if !ok || !s.Take(':') {
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
		if s.Take(',') {
			continue
		}
		return s.Take('}') && s.AtEnd()
	}
}

// jsonScanner reads JSON tokens from b at i.
type jsonScanner struct{ jsonscan.Scanner }

// null consumes a JSON null if one is next.
func (s *jsonScanner) null() bool {
	s.Space()
	if len(s.B)-s.I >= 4 && string(s.B[s.I:s.I+4]) == "null" {
		s.I += 4
		return true
	}
	return false
}

// plainString reads a string without escapes or control characters and
// returns its bytes (pointing into b).
func (s *jsonScanner) plainString() ([]byte, bool) {
	if !s.Take('"') {
		return nil, false
	}
	start := s.I
	for j := start; j < len(s.B); j++ {
		switch c := s.B[j]; {
		case c == '"':
			s.I = j + 1
			return s.B[start:j], true
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
	if !s.Take('[') {
		return false
	}
	recs := make([]putEntry, 0, 64)
	if s.Take(']') {
		*out = recs
		return true
	}
	for {
		var e putEntry
		if !s.entry(&e) {
			return false
		}
		recs = append(recs, e)
		if s.Take(',') {
			continue
		}
		if !s.Take(']') {
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
	if !s.Take('{') {
		return false
	}
	if s.Take('}') {
		return true
	}
	for {
		key, ok := s.plainString()
		if !ok || !s.Take(':') {
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
		if s.Take(',') {
			continue
		}
		return s.Take('}')
	}
}
