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

// One step p of the 12×16 AVX-512 micro-kernel: rows 0..5 from the first A panel (AX), rows
// 6..11 from the second (R10); accumulators Z0..Z11.
#define KSTEP512X2(aoff, boff, breg) \
	VMOVUPS boff(BX), breg \
	VFMADD231PS.BCST aoff(AX), breg, Z0 \
	VFMADD231PS.BCST aoff+4(AX), breg, Z1 \
	VFMADD231PS.BCST aoff+8(AX), breg, Z2 \
	VFMADD231PS.BCST aoff+12(AX), breg, Z3 \
	VFMADD231PS.BCST aoff+16(AX), breg, Z4 \
	VFMADD231PS.BCST aoff+20(AX), breg, Z5 \
	VFMADD231PS.BCST aoff(R10), breg, Z6 \
	VFMADD231PS.BCST aoff+4(R10), breg, Z7 \
	VFMADD231PS.BCST aoff+8(R10), breg, Z8 \
	VFMADD231PS.BCST aoff+12(R10), breg, Z9 \
	VFMADD231PS.BCST aoff+16(R10), breg, Z10 \
	VFMADD231PS.BCST aoff+20(R10), breg, Z11

// func kernel12x16AVX512(kc int, pa, pb, c *float32, ldc int, alpha, beta float32)
// pa holds two 6-row panels one after the other (kc*6 floats each); the 12 rows of C are
// consecutive rows ldc apart.
TEXT ·kernel12x16AVX512(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ pa+8(FP), AX
	MOVQ pb+16(FP), BX
	MOVQ c+24(FP), R8
	MOVQ ldc+32(FP), DX
	SHLQ $2, DX
	// The second A panel starts kc*24 bytes after the first.
	MOVQ CX, R10
	IMULQ $24, R10
	ADDQ AX, R10
	// Prefetch the C tile (12 rows of 64 bytes, which may straddle two lines each).
	MOVQ R8, R9
	MOVQ $12, R11

prefetch:
	PREFETCHT0 (R9)
	PREFETCHT0 60(R9)
	ADDQ DX, R9
	DECQ R11
	JNZ  prefetch
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	MOVQ CX, R9
	SHRQ $2, R9
	JZ   w1

w4:
	PREFETCHT0 384(AX)
	PREFETCHT0 384(R10)
	KSTEP512X2(0, 0, Z12)
	KSTEP512X2(24, 64, Z13)
	KSTEP512X2(48, 128, Z12)
	KSTEP512X2(72, 192, Z13)
	ADDQ $96, AX
	ADDQ $96, R10
	ADDQ $256, BX
	DECQ R9
	JNZ  w4

w1:
	ANDQ $3, CX
	JZ   wupdate

w1loop:
	KSTEP512X2(0, 0, Z12)
	ADDQ $24, AX
	ADDQ $24, R10
	ADDQ $64, BX
	DECQ CX
	JNZ  w1loop

wupdate:
	VBROADCASTSS alpha+40(FP), Z14
	MOVL beta+44(FP), R9
	ANDL $0x7fffffff, R9
	JZ   wnobeta
	VBROADCASTSS beta+44(FP), Z15
	STOREBETA512(Z0)
	STOREBETA512(Z1)
	STOREBETA512(Z2)
	STOREBETA512(Z3)
	STOREBETA512(Z4)
	STOREBETA512(Z5)
	STOREBETA512(Z6)
	STOREBETA512(Z7)
	STOREBETA512(Z8)
	STOREBETA512(Z9)
	STOREBETA512(Z10)
	STOREBETA512(Z11)
	VZEROUPPER
	RET

wnobeta:
	STORE512(Z0)
	STORE512(Z1)
	STORE512(Z2)
	STORE512(Z3)
	STORE512(Z4)
	STORE512(Z5)
	STORE512(Z6)
	STORE512(Z7)
	STORE512(Z8)
	STORE512(Z9)
	STORE512(Z10)
	STORE512(Z11)
	VZEROUPPER
	RET
