//go:build amd64 && !purego

package ndjson

import "golang.org/x/sys/cpu"

// useAVX2 reports whether skipString may call indexSpecialAVX2. (A
// variable, not a constant, so tests and benchmarks can compare with the
// pure-Go path on the same machine.)
var useAVX2 = cpu.X86.HasAVX2

// indexSpecialAVX2 returns the index of the first byte of data that is a
// quote, a backslash or a control byte (< 0x20), or len(data) if there is
// none. It needs len(data) >= 32: it checks 32 bytes a step, and the last
// step loads the slice's last 32 bytes, which may overlap the one before
// but never reads past the slice. It uses only VEX-encoded instructions and
// ends with VZEROUPPER, so the legacy-SSE code around it pays no
// transition penalty.
//
//go:noescape
func indexSpecialAVX2(data []byte) int
