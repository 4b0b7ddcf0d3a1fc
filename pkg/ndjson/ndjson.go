// Package ndjson reads newline-delimited records from files or standard
// input: gzip is recognised by its magic bytes, a leading UTF-8 BOM and a
// trailing carriage return are dropped, blank lines are skipped, and a line
// longer than a limit is reported without ever being held whole in memory.
//
// Reader reuses its buffers: the Line it returns borrows bytes that are only
// valid until the next call to Next, so a caller that keeps a line copies it.
package ndjson

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
)

// DefaultMaxLine is the default line limit: Kinesis's default record size.
const DefaultMaxLine = 1 << 20

// readBufferSize is the size of the buffered reader under a Reader; lines
// longer than this are assembled in a separate, reused buffer.
const readBufferSize = 256 << 10

// Line is one non-blank line of input.
type Line struct {
	// Source names the input (a file path, or "-" for standard input).
	Source string
	// Number is the 1-based line number in Source (counting blank lines).
	Number int64
	// Data is the line without its line ending, BOM or trailing '\r'. It is
	// borrowed: valid until the next call to Next. For an oversize line it
	// is nil.
	Data []byte
	// Size is the length of the line in bytes; for an oversize line, the
	// number of bytes read before giving up counting is still exact.
	Size int64
	// Oversize is true when the line is longer than the reader's limit; its
	// bytes were discarded as they were read.
	Oversize bool
}

// Where returns "source:line", the position used in error messages.
func (l Line) Where() string { return fmt.Sprintf("%s:%d", l.Source, l.Number) }

// Reader reads lines from one input.
type Reader struct {
	source  string
	maxLine int
	br      *bufio.Reader
	gz      *gzip.Reader
	long    []byte // reused buffer for lines longer than the bufio buffer
	line    int64
	first   bool
	gzipped bool
	err     error

	oversizeTo func() io.WriteCloser // receives oversize lines as they are read; nil: discard
	spill      io.WriteCloser        // the open sink of the oversize line being read
}

// SetOversizeSink makes the reader copy each oversize line, verbatim and
// without its newline, into the writer fn returns (one call per line; Close
// ends the line), as the line streams past. Without it oversize lines are
// discarded. Either way they are never held whole in memory.
func (r *Reader) SetOversizeSink(fn func() io.WriteCloser) { r.oversizeTo = fn }

// spillPart copies part of an oversize line to the sink, opening it first.
func (r *Reader) spillPart(b []byte) {
	if r.oversizeTo == nil {
		return
	}
	if r.spill == nil {
		r.spill = r.oversizeTo()
		if r.first {
			b = bytes.TrimPrefix(b, utf8BOM)
		}
	}
	_, _ = r.spill.Write(b)
}

// endSpill ends the oversize line being copied, if any.
func (r *Reader) endSpill() {
	if r.spill != nil {
		_ = r.spill.Close()
		r.spill = nil
	}
}

// NewReader returns a Reader over r named source (used in Line.Source) whose
// lines may be at most maxLine bytes (0: DefaultMaxLine). Gzip input is
// detected from its first two bytes and decompressed.
func NewReader(r io.Reader, source string, maxLine int) (*Reader, error) {
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	br := bufio.NewReaderSize(r, readBufferSize)
	rd := &Reader{source: source, maxLine: maxLine, br: br, first: true}
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %w", source, err)
		}
		gz.Multistream(true)
		rd.gz = gz
		rd.gzipped = true
		rd.br = bufio.NewReaderSize(gz, readBufferSize)
	}
	return rd, nil
}

// LineNumber returns how many lines (blank ones included) were read so far:
// the number of the line last returned, or of the last blank line after it.
// While an oversize line streams into its sink, it is the line before it.
func (r *Reader) LineNumber() int64 { return r.line }

// Gzipped reports whether the input is gzip-compressed.
func (r *Reader) Gzipped() bool { return r.gzipped }

// Next returns the next non-blank line, or io.EOF after the last one. A
// final line without a newline is returned like any other.
func (r *Reader) Next() (Line, error) {
	if r.err != nil {
		return Line{}, r.err
	}
	for {
		data, size, oversize, err := r.readLine()
		r.endSpill()
		if err != nil && (size == 0 || !errors.Is(err, io.EOF)) {
			if errors.Is(err, io.EOF) {
				r.err = io.EOF
			} else {
				r.err = fmt.Errorf("%s:%d: %w", r.source, r.line+1, err)
			}
			return Line{}, r.err
		}
		r.line++
		if oversize {
			data = nil
		} else {
			if r.first {
				data = bytes.TrimPrefix(data, utf8BOM)
				size = int64(len(data))
			}
			if n := len(data); n > 0 && data[n-1] == '\r' {
				data = data[:n-1]
				size--
			}
		}
		r.first = false
		if errors.Is(err, io.EOF) {
			r.err = io.EOF // the final unterminated line is returned now, EOF next time
		}
		if !oversize && len(bytes.TrimSpace(data)) == 0 {
			if r.err != nil {
				return Line{}, r.err
			}
			continue
		}
		return Line{Source: r.source, Number: r.line, Data: data, Size: size, Oversize: oversize}, nil
	}
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readLine reads up to and without the next '\n'. A line longer than maxLine
// (plus room for a BOM and '\r') is read to its end and discarded, or
// copied to the oversize sink as it goes.
func (r *Reader) readLine() (data []byte, size int64, oversize bool, err error) {
	limit := int64(r.maxLine) + 1 // a trailing '\r' does not count
	if r.first {
		limit += int64(len(utf8BOM))
	}
	frag, err := r.br.ReadSlice('\n')
	if err == nil || !errors.Is(err, bufio.ErrBufferFull) {
		if err == nil {
			frag = frag[:len(frag)-1]
		}
		if int64(len(frag)) > limit || r.tooLong(frag) {
			r.spillPart(frag)
			return nil, int64(len(frag)), true, err
		}
		return frag, int64(len(frag)), false, err
	}
	// A line longer than the read buffer: assemble it, or count and discard.
	r.long = append(r.long[:0], frag...)
	size = int64(len(frag))
	for {
		frag, err = r.br.ReadSlice('\n')
		done := err == nil
		if done {
			frag = frag[:len(frag)-1]
		}
		size += int64(len(frag))
		switch {
		case oversize:
			r.spillPart(frag)
		case size > limit:
			oversize = true
			r.spillPart(r.long)
			r.spillPart(frag)
			r.long = r.long[:0]
		default:
			r.long = append(r.long, frag...)
		}
		if done {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			break
		}
	}
	if errors.Is(err, bufio.ErrBufferFull) {
		err = nil
	}
	if oversize {
		return nil, size, true, err
	}
	if r.tooLong(r.long) {
		r.spillPart(r.long)
		return nil, size, true, err
	}
	return r.long, size, false, err
}

// tooLong applies the exact limit once the BOM and '\r' are known.
func (r *Reader) tooLong(b []byte) bool {
	n := len(b)
	if r.first && bytes.HasPrefix(b, utf8BOM) {
		n -= len(utf8BOM)
	}
	if n > 0 && b[len(b)-1] == '\r' {
		n--
	}
	return n > r.maxLine
}

// Close releases the gzip reader, if any. It does not close the underlying reader.
func (r *Reader) Close() error {
	if r.gz != nil {
		return r.gz.Close()
	}
	return nil
}

// ErrNotObject is the reason for a line that is valid JSON but not an object.
var ErrNotObject = errors.New("not a JSON object")

// ValidateObject checks that data is one JSON object (leading and trailing
// white space allowed). The error says what is wrong, briefly.
func ValidateObject(data []byte) error {
	i := 0
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	if i == len(data) {
		return errors.New("empty line")
	}
	if data[i] != '{' {
		if json.Valid(data) {
			return ErrNotObject
		}
		return invalidJSON(data)
	}
	if !validObject(data) {
		return invalidJSON(data)
	}
	return nil
}

func invalidJSON(data []byte) error {
	var v struct{}
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at byte %d: %s", se.Offset, se.Error())
	}
	if err != nil {
		return fmt.Errorf("invalid JSON: %v", err)
	}
	return errors.New("invalid JSON")
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
