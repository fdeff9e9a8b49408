//go:build amd64 && !noasm

#include "textflag.h"

// func gatherBracketAVX2(x []float32, lo, hi int32, cand []uint32) (below, n int)
// For the first len(x) rounded down to 8 values, with sk the signed order key
// of each (the float bits with the magnitude flipped for negatives), counts
// sk < lo into below and appends the unsigned keys (sk ^ 1<<31) of
// lo ≤ sk ≤ hi to cand, in input order. cand must hold len(x) keys.
TEXT ·gatherBracketAVX2(SB), NOSPLIT, $0-72
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	MOVL         lo+24(FP), AX
	MOVL         AX, X14
	VPBROADCASTD X14, Y14
	MOVL         hi+28(FP), AX
	MOVL         AX, X15
	VPBROADCASTD X15, Y15
	MOVQ         cand_base+32(FP), DI
	SHRQ         $3, CX
	XORQ         R8, R8                 // below
	XORQ         R9, R9                 // gathered
	XORQ         BX, BX                 // byte offset into x
	VPCMPEQD     Y13, Y13, Y13
	VPSRLD       $1, Y13, Y13           // magnitude mask 0x7fffffff
	TESTQ        CX, CX
	JZ           done

loop:
	VMOVDQU   (SI)(BX*1), Y0
	VPSRAD    $31, Y0, Y1
	VPAND     Y13, Y1, Y1
	VPXOR     Y1, Y0, Y0                // sk
	VPCMPGTD  Y0, Y14, Y1               // below: lo > sk
	VPCMPGTD  Y15, Y0, Y2               // above: sk > hi
	VMOVMSKPS Y1, AX
	POPCNTL   AX, AX
	ADDQ      AX, R8
	VPOR      Y1, Y2, Y2
	VMOVMSKPS Y2, DX
	XORL      $0xff, DX                 // lanes inside the bracket
	JNZ       inside

next:
	ADDQ $32, BX
	DECQ CX
	JNZ  loop

done:
	MOVQ R8, below+56(FP)
	MOVQ R9, n+64(FP)
	VZEROUPPER
	RET

inside:
	// Store the keys of the set lanes of DX, lowest lane first.
	LEAQ   (SI)(BX*1), R12
	TZCNTL DX, R10
	MOVL   (R12)(R10*4), AX
	MOVL   AX, R11
	SARL   $31, R11
	ANDL   $0x7fffffff, R11
	XORL   R11, AX
	XORL   $0x80000000, AX
	MOVL   AX, (DI)(R9*4)
	INCQ   R9
	BLSRL  DX, DX
	JNZ    inside
	JMP    next
