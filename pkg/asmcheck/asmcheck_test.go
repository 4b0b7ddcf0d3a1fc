package asmcheck_test

import (
	"slices"
	"testing"

	"github.com/ldexport/ldexport/pkg/asmcheck"
)

func TestProblems(t *testing.T) {
	src := `TEXT ·f(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), AX // X1 in a comment is fine
	PINSRB $0x00, CX, X4
	VPBROADCASTB X4, Y4
	JB short
	VZEROUPPER
	RET
short:
	RET
#define M(a) \
	PXOR a, Y1 \
	VPOR Y1, Y2, Y3
`
	want := []string{
		"line 3: PINSRB is not VEX-encoded",
		"line 9: RET without VZEROUPPER before it",
		"line 11: PXOR is not VEX-encoded",
	}
	if got := asmcheck.Problems(src); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
