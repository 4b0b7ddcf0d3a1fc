//go:build amd64 && !purego

#include "textflag.h"

// func encodeBase64AVX2(dst, src []byte) int
//
// Encodes src (len(src) >= 32) in standard base64, 24 bytes to 32
// characters a step, while a 32-byte load around the next step stays inside
// src; returns how many bytes of src it encoded (a multiple of 24). dst must
// hold their encoding. The steps are Wojciech Muła's and Daniel Lemire's AVX2
// encoder ("Faster Base64 Encoding and Decoding using AVX2 Instructions",
// 2018), as github.com/segmentio/asm/base64 (MIT-0) writes it, with two
// changes: the constants are broadcast from memory, not through PINSRB (an
// SSE-encoded instruction that cost about 140 ns a call on our build
// machine), and the first step loads src[0:32] and moves its words with
// VPERMD instead of a masked load before src.
TEXT ·encodeBase64AVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	XORQ AX, AX

	VMOVDQU        b64_shuf<>(SB), Y6
	VPBROADCASTQ   b64_mask1<>(SB), Y7
	VPBROADCASTQ   b64_mask2<>(SB), Y8
	VPBROADCASTQ   b64_mult<>(SB), Y9
	VBROADCASTI128 b64_lut<>(SB), Y3
	VPBROADCASTQ   b64_51<>(SB), Y4
	VPBROADCASTQ   b64_25<>(SB), Y5

	// The first step: bytes 0-11 in the low lane's dwords 1-3, bytes
	// 12-27 in the high lane, as the loads of later steps (from 4 bytes
	// before the step) place them.
	VMOVDQU b64_first<>(SB), Y10
	VMOVDQU (SI), Y0
	VPERMD  Y0, Y10, Y0

	// A step at src offset AX loads src[AX-4:AX+28]: it needs AX <= len-28.
	SUBQ $28, CX

loop:
	// Split each 3 bytes into four 6-bit values, one a byte.
	VPSHUFB  Y6, Y0, Y0
	VPAND    Y7, Y0, Y1
	VPSLLW   $8, Y1, Y2
	VPSLLW   $4, Y1, Y1
	VPBLENDW $0xaa, Y2, Y1, Y2
	VPAND    Y8, Y0, Y1
	VPMULHUW Y9, Y1, Y0
	VPOR     Y0, Y2, Y0

	// Map each value to its character: an offset from b64_lut, chosen by
	// the value's range (A-Z, a-z, then one entry each for 0-9, '+', '/').
	VPSUBUSB Y4, Y0, Y1
	VPCMPGTB Y5, Y0, Y2
	VPSUBB   Y2, Y1, Y1
	VPSHUFB  Y1, Y3, Y1
	VPADDB   Y0, Y1, Y0

	VMOVDQU Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $24, AX
	CMPQ    AX, CX
	JA      done
	VMOVDQU -4(SI)(AX*1), Y0
	JMP     loop

done:
	VZEROUPPER
	MOVQ AX, ret+48(FP)
	RET

DATA b64_first<>+0(SB)/8, $0x0000000000000000
DATA b64_first<>+8(SB)/8, $0x0000000200000001
DATA b64_first<>+16(SB)/8, $0x0000000400000003
DATA b64_first<>+24(SB)/8, $0x0000000600000005
GLOBL b64_first<>(SB), RODATA|NOPTR, $32

DATA b64_shuf<>+0(SB)/8, $0x0809070805060405
DATA b64_shuf<>+8(SB)/8, $0x0e0f0d0e0b0c0a0b
DATA b64_shuf<>+16(SB)/8, $0x0405030401020001
DATA b64_shuf<>+24(SB)/8, $0x0a0b090a07080607
GLOBL b64_shuf<>(SB), RODATA|NOPTR, $32

DATA b64_mask1<>+0(SB)/8, $0x003f03f0003f03f0
GLOBL b64_mask1<>(SB), RODATA|NOPTR, $8

DATA b64_mask2<>+0(SB)/8, $0x0fc0fc000fc0fc00
GLOBL b64_mask2<>(SB), RODATA|NOPTR, $8

DATA b64_mult<>+0(SB)/8, $0x0400004004000040
GLOBL b64_mult<>(SB), RODATA|NOPTR, $8

// Offsets from a 6-bit value to its character, by range: 'A', 'a'-26,
// '0'-52 (as '0'-52-i at index 2+i for the ten digits, all -4), '+'-62
// (-19 at 12), '/'-63 (-16 at 13); loaded into both lanes.
DATA b64_lut<>+0(SB)/8, $0xfcfcfcfcfcfc4741
DATA b64_lut<>+8(SB)/8, $0x0000f0edfcfcfcfc
GLOBL b64_lut<>(SB), RODATA|NOPTR, $16

DATA b64_51<>+0(SB)/8, $0x3333333333333333
GLOBL b64_51<>(SB), RODATA|NOPTR, $8

DATA b64_25<>+0(SB)/8, $0x1919191919191919
GLOBL b64_25<>(SB), RODATA|NOPTR, $8
