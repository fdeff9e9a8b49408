//go:build !noasm

#include "textflag.h"

// One step p of the 6×16 AVX-512 micro-kernel: B row p of the panel in breg, A column p of
// the panel broadcast from memory into each FMA; accumulators Z0..Z5 hold rows 0..5 of the
// tile. Each element of C sees the same fused multiply-adds in the same order as in
// kernel6x16AVX2, so the two kernels give the same bits.
#define KSTEP512(aoff, boff, breg) \
	VMOVUPS boff(BX), breg \
	VFMADD231PS.BCST aoff(AX), breg, Z0 \
	VFMADD231PS.BCST aoff+4(AX), breg, Z1 \
	VFMADD231PS.BCST aoff+8(AX), breg, Z2 \
	VFMADD231PS.BCST aoff+12(AX), breg, Z3 \
	VFMADD231PS.BCST aoff+16(AX), breg, Z4 \
	VFMADD231PS.BCST aoff+20(AX), breg, Z5

// Row update with beta: C = alpha*acc + beta*C (alpha in Z14, beta in Z15).
#define STOREBETA512(acc) \
	VMULPS (R8), Z15, Z12 \
	VFMADD231PS acc, Z14, Z12 \
	VMOVUPS Z12, (R8) \
	ADDQ DX, R8

// Row update without beta: C = alpha*acc.
#define STORE512(acc) \
	VMULPS acc, Z14, acc \
	VMOVUPS acc, (R8) \
	ADDQ DX, R8

// func kernel6x16AVX512(kc int, pa, pb, c *float32, ldc int, alpha, beta float32)
TEXT ·kernel6x16AVX512(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ pa+8(FP), AX
	MOVQ pb+16(FP), BX
	MOVQ c+24(FP), R8
	MOVQ ldc+32(FP), DX
	SHLQ $2, DX
	// Prefetch the C tile (6 rows of 64 bytes, which may straddle two lines each).
	MOVQ R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ DX, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ DX, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ DX, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ DX, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ DX, R9
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	MOVQ CX, R9
	SHRQ $2, R9
	JZ   k1

k4:
	PREFETCHT0 384(AX)
	KSTEP512(0, 0, Z6)
	KSTEP512(24, 64, Z7)
	KSTEP512(48, 128, Z8)
	KSTEP512(72, 192, Z9)
	ADDQ $96, AX
	ADDQ $256, BX
	DECQ R9
	JNZ  k4

k1:
	ANDQ $3, CX
	JZ   update

k1loop:
	KSTEP512(0, 0, Z6)
	ADDQ $24, AX
	ADDQ $64, BX
	DECQ CX
	JNZ  k1loop

update:
	VBROADCASTSS alpha+40(FP), Z14
	MOVL beta+44(FP), R9
	ANDL $0x7fffffff, R9
	JZ   nobeta
	VBROADCASTSS beta+44(FP), Z15
	STOREBETA512(Z0)
	STOREBETA512(Z1)
	STOREBETA512(Z2)
	STOREBETA512(Z3)
	STOREBETA512(Z4)
	STOREBETA512(Z5)
	VZEROUPPER
	RET

nobeta:
	STORE512(Z0)
	STORE512(Z1)
	STORE512(Z2)
	STORE512(Z3)
	STORE512(Z4)
	STORE512(Z5)
	VZEROUPPER
	RET
