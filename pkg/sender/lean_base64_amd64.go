//go:build amd64 && !purego

package sender

import "golang.org/x/sys/cpu"

// base64AVX2 says base64Blocks may use AVX2 (tests turn it off to check the
// Go code alone).
var base64AVX2 = cpu.X86.HasAVX2

// base64Blocks encodes the leading bytes of src into dst with AVX2 where the
// CPU has it, and returns how many it encoded (see encodeBase64AVX2).
func base64Blocks(dst, src []byte) int {
	if !base64AVX2 || len(src) < 32 {
		return 0
	}
	return encodeBase64AVX2(dst, src)
}

//go:noescape
func encodeBase64AVX2(dst, src []byte) int
