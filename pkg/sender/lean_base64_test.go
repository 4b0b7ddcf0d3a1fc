package sender

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestAppendBase64MatchesStdEncoding: every length up to 300 and random
// bytes, appended to a prefix, with and without the AVX2 steps.
func TestAppendBase64MatchesStdEncoding(t *testing.T) {
	for _, avx2 := range base64Paths(t) {
		base64AVX2 = avx2
		rng := rand.New(rand.NewPCG(1, 2))
		for n := 0; n <= 300; n++ {
			for range 30 {
				src := make([]byte, n)
				for i := range src {
					src[i] = byte(rng.Uint32())
				}
				prefix := []byte("pre")
				got := appendBase64(bytes.Clone(prefix), src)
				want := base64.StdEncoding.AppendEncode(bytes.Clone(prefix), src)
				if !bytes.Equal(got, want) {
					t.Fatalf("AVX2 %v: appendBase64(%x) = %q, want %q", avx2, src, got, want)
				}
			}
		}
	}
}

// base64Paths returns the settings of base64AVX2 this machine can run, and
// restores the setting after the test.
func base64Paths(t testing.TB) []bool {
	saved := base64AVX2
	t.Cleanup(func() { base64AVX2 = saved })
	if saved {
		return []bool{true, false}
	}
	return []bool{false}
}

func FuzzAppendBase64(f *testing.F) {
	f.Add([]byte("{\"a\":1}"), 0)
	f.Add(bytes.Repeat([]byte{0xff, 0x00, 0xfb}, 40), 3)
	f.Fuzz(func(t *testing.T, src []byte, prefix int) {
		dst := make([]byte, prefix&15, 16)
		want := base64.StdEncoding.AppendEncode(bytes.Clone(dst), src)
		for _, avx2 := range base64Paths(t) {
			base64AVX2 = avx2
			got := appendBase64(bytes.Clone(dst), src)
			if !bytes.Equal(got, want) {
				t.Fatalf("AVX2 %v: appendBase64(%x) = %q, want %q", avx2, src, got, want)
			}
		}
	})
}

func BenchmarkBase64(b *testing.B) {
	src := bytes.Repeat([]byte(`{"kind":"feature","creationDate":1764150000000,"pad":"zzzzzzzzzzzzzzzzzz"}`), 6)[:430]
	dst := make([]byte, 0, 1024)
	b.Run("encoding/base64", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			dst = base64.StdEncoding.AppendEncode(dst[:0], src)
		}
	})
	b.Run("appendBase64", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			dst = appendBase64(dst[:0], src)
		}
	})
}

// putRecordsBodySize is the exact body size when nothing needs escaping, and
// a lower bound otherwise.
func TestPutRecordsBodySize(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n <= 20; n++ {
		batch := make([]*Record, n)
		for i := range batch {
			batch[i] = &Record{Data: bytes.Repeat([]byte("d"), rng.IntN(50)), Key: fmt.Sprint(rng.Int())}
			if rng.IntN(2) == 0 {
				batch[i].hashKey = fmt.Sprint(rng.Int())
			}
		}
		if got, want := putRecordsBodySize("stream-1", batch), len(appendPutRecordsBody(nil, "stream-1", batch)); got != want {
			t.Fatalf("%d records: size %d, body %d", n, got, want)
		}
		if n > 0 {
			batch[0].Key = `quote"`
			if got, body := putRecordsBodySize("s", batch), len(appendPutRecordsBody(nil, "s", batch)); got > body {
				t.Fatalf("size %d over the body's %d", got, body)
			}
		}
	}
}
