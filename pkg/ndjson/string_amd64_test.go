//go:build amd64 && !purego

package ndjson

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/ldexport/ldexport/pkg/asmcheck"
)

// indexSpecialLoop is indexSpecialAVX2's rule, a byte at a time.
func indexSpecialLoop(data []byte) int {
	for i, c := range data {
		if c == '"' || c == '\\' || c < 0x20 {
			return i
		}
	}
	return len(data)
}

// stringBytes are the bytes around indexSpecialAVX2's compares: the
// specials, their neighbours, and their high-bit twins (not special).
var stringBytes = []byte("\"\\\x00\x01\n\x1f !#[]z\x7f\x80\x9f\xa0\xa2\xdc\xff")

func requireAVX2(t *testing.T) {
	t.Helper()
	if !useAVX2 {
		t.Skip("no AVX2")
	}
}

// checkIndexSpecial compares indexSpecialAVX2 on data with the byte loop.
func checkIndexSpecial(t *testing.T, data []byte) {
	t.Helper()
	if got, want := indexSpecialAVX2(data), indexSpecialLoop(data); got != want {
		t.Fatalf("indexSpecialAVX2(%q) = %d, want %d", data, got, want)
	}
}

// TestIndexSpecialAVX2 puts each of stringBytes at every position of
// slices of every length from 32 (the least indexSpecialAVX2 takes) to
// 300, alone and before a later special byte; and every byte value at
// every position of lengths 32 to 96, around the overlapping last step.
func TestIndexSpecialAVX2(t *testing.T) {
	requireAVX2(t)
	filler := bytes.Repeat([]byte("za\x80\xff~ "), 60)
	for n := 32; n <= 300; n++ {
		buf := make([]byte, n)
		for pos := range n {
			for _, c := range stringBytes {
				copy(buf, filler)
				buf[pos] = c
				checkIndexSpecial(t, buf)
				for _, later := range []int{pos + 1, pos + 31, pos + 32, n - 1} {
					if later > pos && later < n {
						buf[later] = '"'
						checkIndexSpecial(t, buf)
						buf[later] = filler[later]
					}
				}
			}
		}
	}
	for n := 32; n <= 96; n++ {
		buf := make([]byte, n)
		for pos := range n {
			for c := range 256 {
				copy(buf, filler)
				buf[pos] = byte(c)
				checkIndexSpecial(t, buf)
			}
		}
	}
}

// TestSkipStringAVX2MatchesPureGo: skipString returns the same with and
// without indexSpecialAVX2, for strings of every length up to 300 holding
// a special byte or an escape at every position.
func TestSkipStringAVX2MatchesPureGo(t *testing.T) {
	requireAVX2(t)
	defer func() { useAVX2 = true }()
	skip := func(data []byte, avx2 bool) int {
		useAVX2 = avx2
		return skipString(data, 1)
	}
	for n := 0; n <= 300; n++ {
		for pos := range n + 1 {
			for _, ins := range []string{`"`, `\`, `\n`, `\u00e9`, `\x`, "\x01", "\x1f", "\x80", " "} {
				s := append(bytes.Repeat([]byte("z"), pos), ins...)
				s = append(s, bytes.Repeat([]byte("y"), n-pos)...)
				for _, end := range []string{``, `"`, `"}`, `"` + moreMembers} {
					data := append([]byte(`"`+string(s)), end...)
					if got, want := skip(data, true), skip(data, false); got != want {
						t.Fatalf("skipString(%q, 1) = %d with AVX2, %d without", data, got, want)
					}
				}
			}
		}
	}
}

var moreMembers = strings.Repeat(`,"a":1`, 7)

// BenchmarkSkipString times skipString on strings of several lengths with
// and without indexSpecialAVX2 (per call: a stall from mixing SSE and AVX
// code would show on the short ones).
func BenchmarkSkipString(b *testing.B) {
	if !useAVX2 {
		b.Skip("no AVX2")
	}
	defer func() { useAVX2 = true }()
	for _, n := range []int{20, 48, 64, 190, 1000} {
		data := append(append([]byte(`"`), bytes.Repeat([]byte("z"), n)...), `","version":1}`...)
		for _, avx2 := range []bool{false, true} {
			name := fmt.Sprintf("%d/pure-Go", n)
			if avx2 {
				name = fmt.Sprintf("%d/AVX2", n)
			}
			b.Run(name, func(b *testing.B) {
				useAVX2 = avx2
				b.SetBytes(int64(n))
				for b.Loop() {
					if skipString(data, 1) != n+2 {
						b.Fatal("wrong end")
					}
				}
			})
		}
	}
}

// TestIndexSpecialAVX2OnlyVEX: string_amd64.s uses no legacy-SSE
// instruction and clears the upper halves of the Y registers before each
// RET. Without VZEROUPPER, the legacy-SSE XORPS that Go runs after every
// call into assembly costs about 150 ns here (measured with
// BenchmarkSkipString: 158 ns a call instead of 10 for 48 bytes).
func TestIndexSpecialAVX2OnlyVEX(t *testing.T) {
	asmcheck.VEXOnly(t, "string_amd64.s")
}
