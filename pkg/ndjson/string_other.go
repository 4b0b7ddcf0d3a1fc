//go:build !amd64 || purego

package ndjson

// useAVX2 is false without the assembly routine: skipString uses only its
// pure-Go scan.
const useAVX2 = false

func indexSpecialAVX2(data []byte) int { panic("ndjson: indexSpecialAVX2 without AVX2") }
