package ndjson

import (
	"bytes"
	stdgzip "compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/valyala/fastjson"
	"io"
	"strings"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"
)

// benchInput is n ~400-byte exported events, one a line.
func benchInput(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `{"project":"p","environment":"production","event":{"kind":"feature","creationDate":%d,"contextKeys":{"user":"user-%d"},"key":"flag-%d","value":true,"variation":1,"version":7,"reason":{"kind":"FALLTHROUGH"},"pad":"%s"},"version":1}`+"\n",
			1764150000000+int64(i), i%97, i%13, strings.Repeat("z", 190))
	}
	return b.Bytes()
}

func drain(b *testing.B, r *Reader) int {
	n := 0
	for {
		l, err := r.Next()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		n += len(l.Data)
	}
}

func BenchmarkReader(b *testing.B) {
	in := benchInput(20000)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(in), "bench", 0)
		if err != nil {
			b.Fatal(err)
		}
		drain(b, r)
	}
}

func BenchmarkReaderGzip(b *testing.B) {
	in := benchInput(20000)
	var z bytes.Buffer
	w := stdgzip.NewWriter(&z)
	w.Write(in)
	w.Close()
	b.SetBytes(int64(len(in))) // uncompressed bytes per second
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(z.Bytes()), "bench", 0)
		if err != nil {
			b.Fatal(err)
		}
		drain(b, r)
	}
}

// BenchmarkGunzip compares the standard library's gzip reader with
// klauspost/compress's, which the Reader uses.
func BenchmarkGunzip(b *testing.B) {
	in := benchInput(20000)
	var z bytes.Buffer
	w := stdgzip.NewWriter(&z)
	w.Write(in)
	w.Close()
	b.Run("compress/gzip", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			r, _ := stdgzip.NewReader(bytes.NewReader(z.Bytes()))
			io.Copy(io.Discard, r)
		}
	})
	b.Run("klauspost/compress/gzip", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			r, _ := kgzip.NewReader(bytes.NewReader(z.Bytes()))
			io.Copy(io.Discard, r)
		}
	})
}

func BenchmarkValidateObject(b *testing.B) {
	in := benchInput(1000)
	lines := bytes.Split(bytes.TrimSuffix(in, []byte("\n")), []byte("\n"))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			if err := ValidateObject(l); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkValidators compares encoding/json.Valid, valyala/fastjson's
// ValidateBytes, the check ValidateObject used before (fastjson, and
// encoding/json for lines with a control byte) and validObject on the same
// lines.
func BenchmarkValidators(b *testing.B) {
	in := benchInput(1000)
	lines := bytes.Split(bytes.TrimSuffix(in, []byte("\n")), []byte("\n"))
	b.Run("encoding/json.Valid", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			for _, l := range lines {
				if !json.Valid(l) {
					b.Fatal("invalid")
				}
			}
		}
	})
	b.Run("validObject", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			for _, l := range lines {
				if !validObject(l) {
					b.Fatal("invalid")
				}
			}
		}
	})
	b.Run("previous (fastjson.ValidateBytes and hasControl)", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			for _, l := range lines {
				if !previousValidObject(l) {
					b.Fatal("invalid")
				}
			}
		}
	})
	b.Run("fastjson.ValidateBytes", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			for _, l := range lines {
				if err := fastjson.ValidateBytes(l); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
