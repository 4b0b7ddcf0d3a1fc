package ndjson

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

type got struct {
	Line     int64
	Data     string
	Oversize bool
	Size     int64
}

func readAll(t testing.TB, input []byte, maxLine int) ([]got, error) {
	out, _, err := readAllSpill(t, input, maxLine)
	return out, err
}

// lineSink collects the oversize lines a Reader copies out.
type lineSink struct {
	lines []string
	cur   bytes.Buffer
}

func (s *lineSink) open() io.WriteCloser        { s.cur.Reset(); return s }
func (s *lineSink) Write(p []byte) (int, error) { return s.cur.Write(p) }
func (s *lineSink) Close() error {
	s.lines = append(s.lines, s.cur.String())
	return nil
}

func readAllSpill(t testing.TB, input []byte, maxLine int) ([]got, []string, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(input), "in", maxLine)
	if err != nil {
		return nil, nil, err
	}
	sink := &lineSink{}
	r.SetOversizeSink(sink.open)
	out, err := drainAll(t, r)
	return out, sink.lines, err
}

func drainAll(t testing.TB, r *Reader) ([]got, error) {
	defer r.Close()
	var out []got
	for {
		l, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if l.Source != "in" {
			t.Fatalf("source %q", l.Source)
		}
		out = append(out, got{l.Number, string(l.Data), l.Oversize, l.Size})
	}
}

func TestReader(t *testing.T) {
	long := strings.Repeat("a", 100<<10) // longer than bufio.Scanner's 64 KiB, and than our 256 KiB buffer? no: 100 KiB
	huge := strings.Repeat("b", 600<<10) // longer than the read buffer
	tests := []struct {
		name    string
		input   string
		maxLine int
		want    []got
	}{
		{"empty", "", 0, nil},
		{"simple", "{}\n{\"a\":1}\n", 0, []got{{1, "{}", false, 2}, {2, `{"a":1}`, false, 7}}},
		{"no final newline", "a\nb", 0, []got{{1, "a", false, 1}, {2, "b", false, 1}}},
		{"crlf", "a\r\nb\r\n", 0, []got{{1, "a", false, 1}, {2, "b", false, 1}}},
		{"crlf no final newline", "a\r\nb\r", 0, []got{{1, "a", false, 1}, {2, "b", false, 1}}},
		{"bom", "\xef\xbb\xbf{}\n{}\n", 0, []got{{1, "{}", false, 2}, {2, "{}", false, 2}}},
		{"bom only on first line", "a\n\xef\xbb\xbfb\n", 0, []got{{1, "a", false, 1}, {2, "\xef\xbb\xbfb", false, 4}}},
		{"blank lines keep numbering", "\n\na\n  \n\t\r\nb\n\n", 0, []got{{3, "a", false, 1}, {6, "b", false, 1}}},
		{"only blanks", "\n\r\n \n", 0, nil},
		{"long line over 64 KiB", "x\n" + long + "\ny", 0, []got{{1, "x", false, 1}, {2, long, false, int64(len(long))}, {3, "y", false, 1}}},
		{"line over the read buffer", huge + "\nz\n", 0, []got{{1, huge, false, int64(len(huge))}, {2, "z", false, 1}}},
		{"line at the limit", "abcd\nabcde\n", 4, []got{{1, "abcd", false, 4}, {2, "", true, 5}}},
		{"limit ignores cr and bom", "\xef\xbb\xbfabcd\r\n", 4, []got{{1, "abcd", false, 4}}},
		{"oversize over the read buffer", "a\n" + huge + "\nb\n", 1000, []got{{1, "a", false, 1}, {2, "", true, int64(len(huge))}, {3, "b", false, 1}}},
		{"oversize last line", "a\n" + huge, 1000, []got{{1, "a", false, 1}, {2, "", true, int64(len(huge))}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := readAll(t, []byte(tt.input), tt.maxLine)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != len(tt.want) {
				t.Fatalf("got %d lines, want %d", len(out), len(tt.want))
			}
			for i := range out {
				if out[i] != tt.want[i] {
					t.Errorf("line %d: got %+v, want %+v", i, trim(out[i]), trim(tt.want[i]))
				}
			}
		})
	}
}

func trim(g got) got {
	if len(g.Data) > 20 {
		g.Data = g.Data[:20] + "…"
	}
	return g
}

func gz(t testing.TB, s string) []byte {
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

func TestReaderOversizeSink(t *testing.T) {
	huge := strings.Repeat("h", 600<<10)
	input := "\xef\xbb\xbf" + huge + "\nok\n" + "abcdef\r\n" + strings.Repeat("m", 300) + "\nlast-" + huge
	out, spilled, err := readAllSpill(t, []byte(input), 5)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{huge, "abcdef\r", strings.Repeat("m", 300), "last-" + huge}
	if len(spilled) != len(want) {
		t.Fatalf("%d lines copied out, want %d", len(spilled), len(want))
	}
	for i := range want {
		if spilled[i] != want[i] {
			t.Errorf("line %d copied as %.20q (%d bytes), want %.20q (%d bytes)", i, spilled[i], len(spilled[i]), want[i], len(want[i]))
		}
	}
	if len(out) != 5 || out[1].Data != "ok" || !out[0].Oversize || !out[4].Oversize {
		t.Fatalf("lines %v", out)
	}
}

func TestReaderGzip(t *testing.T) {
	// Two concatenated gzip members, as `cat a.gz b.gz` makes.
	input := append(gz(t, "{\"a\":1}\r\n\n"), gz(t, "{\"b\":2}")...)
	r, err := NewReader(bytes.NewReader(input), "in.gz", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Gzipped() {
		t.Fatal("gzip not detected")
	}
	out, err := readAll(t, input, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []got{{1, `{"a":1}`, false, 7}, {3, `{"b":2}`, false, 7}}
	if fmt.Sprint(out) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", out, want)
	}
}

func TestReaderCorruptGzip(t *testing.T) {
	input := gz(t, strings.Repeat("{\"a\":1}\n", 1000))
	input = input[:len(input)/2]
	_, err := readAll(t, input, 0)
	if err == nil || !strings.Contains(err.Error(), "in:") {
		t.Fatalf("err = %v, want an error naming the input", err)
	}
}

func TestValidateObject(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{`{}`, ""},
		{` {"a":[1,2,{"b":null}]} `, ""},
		{`[1]`, "not a JSON object"},
		{`"s"`, "not a JSON object"},
		{`{"a":`, "invalid JSON"},
		{`{"a":1}x`, "invalid JSON"},
		{`{"a":1}{}`, "invalid JSON"},
		{`nope`, "invalid JSON"},
		{"{\"a\":\"\xff\"}", ""}, // encoding/json accepts invalid UTF-8 in strings; Kinesis takes bytes
	}
	for _, tt := range tests {
		err := ValidateObject([]byte(tt.in))
		if tt.wantErr == "" && err != nil {
			t.Errorf("%s: %v", tt.in, err)
		}
		if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: err %v, want %q", tt.in, err, tt.wantErr)
		}
	}
}

// FuzzReader checks that every byte of input is accounted for: the lines
// returned, joined back with their blank lines, equal the input's lines.
func FuzzReader(f *testing.F) {
	for _, s := range []string{"", "a", "a\nb", "\r\n", "\xef\xbb\xbf{}\r\n\n{}", "x\ny\r\n\r\nzz", strings.Repeat("q", 70) + "\nr"} {
		f.Add([]byte(s), 16)
	}
	f.Fuzz(func(t *testing.T, input []byte, maxLine int) {
		if maxLine < 1 || maxLine > 1<<16 {
			maxLine = 16
		}
		if len(input) >= 2 && input[0] == 0x1f && input[1] == 0x8b {
			return // gzip detection; covered by TestReaderGzip
		}
		out, spilled, err := readAllSpill(t, input, maxLine)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(bytes.TrimPrefix(input, utf8BOM)), "\n")
		var want []got
		var wantSpilled []string
		for i, raw := range lines {
			l := strings.TrimSuffix(raw, "\r")
			if len(l) > maxLine {
				wantSpilled = append(wantSpilled, raw)
			}
			g := got{int64(i + 1), l, false, int64(len(l))}
			if len(l) > maxLine {
				// An oversize line is discarded unread, so even one of spaces is reported.
				g.Data, g.Oversize = "", true
			} else if strings.TrimSpace(l) == "" {
				continue
			}
			want = append(want, g)
		}
		if len(out) != len(want) {
			t.Fatalf("got %d lines, want %d", len(out), len(want))
		}
		if fmt.Sprintf("%q", spilled) != fmt.Sprintf("%q", wantSpilled) {
			t.Fatalf("oversize lines copied out %q, want %q", spilled, wantSpilled)
		}
		for i := range out {
			o, w := out[i], want[i]
			if o.Oversize {
				o.Size = w.Size // the size of an oversize line may include its '\r'
			}
			if o != w {
				t.Fatalf("line %d: got %+v, want %+v", i, o, w)
			}
		}
	})
}

// FuzzValidateObject checks that ValidateObject accepts exactly what
// encoding/json accepts as one JSON object.
func FuzzValidateObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,2.5e3,true,null,"x\u00e9\n"]}`, `{"a":}`, ` {"a":1} `, "{\"a\":\"\x01\"}", `{"a":"\ud800"}`, `[1]`, `{"a":1,}`, `{"a":01}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := ValidateObject(data)
		trimmed := bytes.TrimLeft(data, " \t\r\n")
		want := json.Valid(data) && len(trimmed) > 0 && trimmed[0] == '{'
		if (err == nil) != want {
			t.Fatalf("ValidateObject(%q) = %v, encoding/json says valid object: %v", data, err, want)
		}
	})
}
