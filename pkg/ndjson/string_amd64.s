//go:build amd64 && !purego

#include "textflag.h"

// The bytes broadcast to every lane: a string's specials are the quote,
// the backslash and the bytes up to 0x1f.
DATA specialBytes<>+0(SB)/1, $0x22
DATA specialBytes<>+1(SB)/1, $0x5c
DATA specialBytes<>+2(SB)/1, $0x1f
GLOBL specialBytes<>(SB), RODATA|NOPTR, $3

// SPECIALS sets BX's bit n when byte n of the 32 at addr is special:
// equal to the quote (Y1) or the backslash (Y2), or unchanged by the
// unsigned minimum with 0x1f (Y3).
#define SPECIALS(addr) \
	VMOVDQU   addr, Y0     \
	VPCMPEQB  Y0, Y1, Y4   \
	VPCMPEQB  Y0, Y2, Y5   \
	VPMINUB   Y0, Y3, Y6   \
	VPCMPEQB  Y0, Y6, Y6   \
	VPOR      Y4, Y5, Y4   \
	VPOR      Y4, Y6, Y4   \
	VPMOVMSKB Y4, BX

// func indexSpecialAVX2(data []byte) int
TEXT ·indexSpecialAVX2(SB), NOSPLIT, $0-32
	MOVQ data_base+0(FP), SI
	MOVQ data_len+8(FP), CX
	VPBROADCASTB specialBytes<>+0(SB), Y1
	VPBROADCASTB specialBytes<>+1(SB), Y2
	VPBROADCASTB specialBytes<>+2(SB), Y3
	XORQ AX, AX          // the next block's index
	LEAQ -32(CX), DX     // the last block's index (len(data) >= 32)

loop:
	CMPQ AX, DX
	JGT  tail
	SPECIALS((SI)(AX*1))
	TESTL BX, BX
	JNZ   found
	ADDQ  $32, AX
	JMP   loop

tail:
	// Fewer than 32 bytes are left unchecked: check the last 32. The
	// bytes they share with earlier blocks are not special.
	CMPQ AX, CX
	JEQ  none
	MOVQ DX, AX
	SPECIALS((SI)(AX*1))
	TESTL BX, BX
	JNZ   found

none:
	VZEROUPPER
	MOVQ CX, ret+24(FP)
	RET

found:
	BSFL BX, BX
	ADDQ BX, AX
	VZEROUPPER
	MOVQ AX, ret+24(FP)
	RET
