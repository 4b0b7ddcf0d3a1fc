//go:build amd64 && !purego

package sender

import (
	"testing"

	"github.com/ldexport/ldexport/pkg/asmcheck"
)

// TestBase64AVX2OnlyVEX: lean_base64_amd64.s keeps the rules of our
// assembly (no legacy-SSE instruction, VZEROUPPER before RET).
func TestBase64AVX2OnlyVEX(t *testing.T) {
	asmcheck.VEXOnly(t, "lean_base64_amd64.s")
}
