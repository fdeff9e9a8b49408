//go:build amd64 && !noasm

#include "textflag.h"

// Each constant is replicated over the 8 lanes of a YMM register. C0…C5 fit
// 2^f on [−½, ½] with a relative error below 2e-7 (float32 evaluation included).
DATA consts<>+0(SB)/4, $0x3fb8aa3b
DATA consts<>+4(SB)/4, $0x3fb8aa3b
DATA consts<>+8(SB)/4, $0x3fb8aa3b
DATA consts<>+12(SB)/4, $0x3fb8aa3b
DATA consts<>+16(SB)/4, $0x3fb8aa3b
DATA consts<>+20(SB)/4, $0x3fb8aa3b
DATA consts<>+24(SB)/4, $0x3fb8aa3b
DATA consts<>+28(SB)/4, $0x3fb8aa3b
DATA consts<>+32(SB)/4, $0x4b400000
DATA consts<>+36(SB)/4, $0x4b400000
DATA consts<>+40(SB)/4, $0x4b400000
DATA consts<>+44(SB)/4, $0x4b400000
DATA consts<>+48(SB)/4, $0x4b400000
DATA consts<>+52(SB)/4, $0x4b400000
DATA consts<>+56(SB)/4, $0x4b400000
DATA consts<>+60(SB)/4, $0x4b400000
DATA consts<>+64(SB)/4, $0x3f800001
DATA consts<>+68(SB)/4, $0x3f800001
DATA consts<>+72(SB)/4, $0x3f800001
DATA consts<>+76(SB)/4, $0x3f800001
DATA consts<>+80(SB)/4, $0x3f800001
DATA consts<>+84(SB)/4, $0x3f800001
DATA consts<>+88(SB)/4, $0x3f800001
DATA consts<>+92(SB)/4, $0x3f800001
DATA consts<>+96(SB)/4, $0x3f317214
DATA consts<>+100(SB)/4, $0x3f317214
DATA consts<>+104(SB)/4, $0x3f317214
DATA consts<>+108(SB)/4, $0x3f317214
DATA consts<>+112(SB)/4, $0x3f317214
DATA consts<>+116(SB)/4, $0x3f317214
DATA consts<>+120(SB)/4, $0x3f317214
DATA consts<>+124(SB)/4, $0x3f317214
DATA consts<>+128(SB)/4, $0x3e75fc8d
DATA consts<>+132(SB)/4, $0x3e75fc8d
DATA consts<>+136(SB)/4, $0x3e75fc8d
DATA consts<>+140(SB)/4, $0x3e75fc8d
DATA consts<>+144(SB)/4, $0x3e75fc8d
DATA consts<>+148(SB)/4, $0x3e75fc8d
DATA consts<>+152(SB)/4, $0x3e75fc8d
DATA consts<>+156(SB)/4, $0x3e75fc8d
DATA consts<>+160(SB)/4, $0x3d635bc1
DATA consts<>+164(SB)/4, $0x3d635bc1
DATA consts<>+168(SB)/4, $0x3d635bc1
DATA consts<>+172(SB)/4, $0x3d635bc1
DATA consts<>+176(SB)/4, $0x3d635bc1
DATA consts<>+180(SB)/4, $0x3d635bc1
DATA consts<>+184(SB)/4, $0x3d635bc1
DATA consts<>+188(SB)/4, $0x3d635bc1
DATA consts<>+192(SB)/4, $0x3c1e85d2
DATA consts<>+196(SB)/4, $0x3c1e85d2
DATA consts<>+200(SB)/4, $0x3c1e85d2
DATA consts<>+204(SB)/4, $0x3c1e85d2
DATA consts<>+208(SB)/4, $0x3c1e85d2
DATA consts<>+212(SB)/4, $0x3c1e85d2
DATA consts<>+216(SB)/4, $0x3c1e85d2
DATA consts<>+220(SB)/4, $0x3c1e85d2
DATA consts<>+224(SB)/4, $0x3aade491
DATA consts<>+228(SB)/4, $0x3aade491
DATA consts<>+232(SB)/4, $0x3aade491
DATA consts<>+236(SB)/4, $0x3aade491
DATA consts<>+240(SB)/4, $0x3aade491
DATA consts<>+244(SB)/4, $0x3aade491
DATA consts<>+248(SB)/4, $0x3aade491
DATA consts<>+252(SB)/4, $0x3aade491
DATA consts<>+256(SB)/4, $0xc2ae0000
DATA consts<>+260(SB)/4, $0xc2ae0000
DATA consts<>+264(SB)/4, $0xc2ae0000
DATA consts<>+268(SB)/4, $0xc2ae0000
DATA consts<>+272(SB)/4, $0xc2ae0000
DATA consts<>+276(SB)/4, $0xc2ae0000
DATA consts<>+280(SB)/4, $0xc2ae0000
DATA consts<>+284(SB)/4, $0xc2ae0000
DATA consts<>+288(SB)/4, $0x42b00000
DATA consts<>+292(SB)/4, $0x42b00000
DATA consts<>+296(SB)/4, $0x42b00000
DATA consts<>+300(SB)/4, $0x42b00000
DATA consts<>+304(SB)/4, $0x42b00000
DATA consts<>+308(SB)/4, $0x42b00000
DATA consts<>+312(SB)/4, $0x42b00000
DATA consts<>+316(SB)/4, $0x42b00000
DATA consts<>+320(SB)/4, $0xc2fa0000
DATA consts<>+324(SB)/4, $0xc2fa0000
DATA consts<>+328(SB)/4, $0xc2fa0000
DATA consts<>+332(SB)/4, $0xc2fa0000
DATA consts<>+336(SB)/4, $0xc2fa0000
DATA consts<>+340(SB)/4, $0xc2fa0000
DATA consts<>+344(SB)/4, $0xc2fa0000
DATA consts<>+348(SB)/4, $0xc2fa0000
DATA consts<>+352(SB)/4, $0x3f800000
DATA consts<>+356(SB)/4, $0x3f800000
DATA consts<>+360(SB)/4, $0x3f800000
DATA consts<>+364(SB)/4, $0x3f800000
DATA consts<>+368(SB)/4, $0x3f800000
DATA consts<>+372(SB)/4, $0x3f800000
DATA consts<>+376(SB)/4, $0x3f800000
DATA consts<>+380(SB)/4, $0x3f800000
DATA consts<>+384(SB)/4, $0x80000000
DATA consts<>+388(SB)/4, $0x80000000
DATA consts<>+392(SB)/4, $0x80000000
DATA consts<>+396(SB)/4, $0x80000000
DATA consts<>+400(SB)/4, $0x80000000
DATA consts<>+404(SB)/4, $0x80000000
DATA consts<>+408(SB)/4, $0x80000000
DATA consts<>+412(SB)/4, $0x80000000
GLOBL consts<>(SB), RODATA|NOPTR, $416

#define LOG2E consts<>+0(SB)
#define MAGIC consts<>+32(SB)
#define C0 consts<>+64(SB)
#define C1 consts<>+96(SB)
#define C2 consts<>+128(SB)
#define C3 consts<>+160(SB)
#define C4 consts<>+192(SB)
#define C5 consts<>+224(SB)
#define MINARG consts<>+256(SB)
#define MAXARG consts<>+288(SB)
#define ONE consts<>+352(SB)
#define SIGN consts<>+384(SB)
#define MINARG2 consts<>+320(SB)

// EXP2 sets out = 2^in for in within [−125.5, 127]: n = round(in) by the
// 1.5·2^23 trick (which also leaves n in t1's low mantissa bits), f = in − n,
// out = p(f) with n added to its exponent field. in is preserved.
#define EXP2(in, out, t1, t2) \
	VADDPS      MAGIC, in, t1; \
	VSUBPS      MAGIC, t1, out; \
	VSUBPS      out, in, out; \
	VMOVAPS     C5, t2; \
	VFMADD213PS C4, out, t2; \
	VFMADD213PS C3, out, t2; \
	VFMADD213PS C2, out, t2; \
	VFMADD213PS C1, out, t2; \
	VFMADD213PS C0, out, t2; \
	VPSLLD      $23, t1, t1; \
	VPADDD      t1, t2, out

// AFFINE computes 8 results of expAffine at byte offset off: u = scale·x − shift
// clamped to [MINARG, MAXARG], e = e^u·(alpha + beta·u). Clobbers x, e, t1, t2.
#define AFFINE(off, x, e, t1, t2) \
	VMOVUPS     off(SI), x; \
	VFMSUB213PS Y11, Y10, x; \
	VMAXPS      MINARG, x, x; \
	VMINPS      MAXARG, x, x; \
	VMULPS      LOG2E, x, t2; \
	EXP2(t2, e, t1, t2); \
	VMOVAPS     Y12, t1; \
	VFMADD231PS Y13, x, t1; \
	VMULPS      t1, e, e; \
	VMOVUPS     e, off(DI)

// func expAffineAVX2(dst, x []float32, scale, shift, alpha, beta float32)
// Processes len(x) rounded down to a multiple of 8.
TEXT ·expAffineAVX2(SB), NOSPLIT, $0-64
	MOVQ         dst_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	VBROADCASTSS scale+48(FP), Y10
	VBROADCASTSS shift+52(FP), Y11
	VBROADCASTSS alpha+56(FP), Y12
	VBROADCASTSS beta+60(FP), Y13
	SHRQ         $3, CX
	JZ           affdone
	TESTQ        $1, CX
	JZ           affpairs
	AFFINE(0, Y0, Y1, Y2, Y3)
	ADDQ         $32, SI
	ADDQ         $32, DI
	DECQ         CX
	JZ           affdone

affpairs:
	AFFINE(0, Y0, Y1, Y2, Y3)
	AFFINE(32, Y4, Y5, Y6, Y7)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $2, CX
	JNZ  affpairs

affdone:
	VZEROUPPER
	RET

// func softmaxStatsAVX2(x []float32, scale2 float32, st *lanes)
// Folds len(x) rounded down to a multiple of 32 into the per-lane running
// max st.m of x and the float64 sums st.s = Σ2^d, st.t = Σ2^d·d, where
// d = (x − m)·scale2 in base-2 units (scale2 = scale·log2 e).
TEXT ·softmaxStatsAVX2(SB), NOSPLIT, $0-40
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	VBROADCASTSS scale2+24(FP), Y15
	MOVQ         st+32(FP), DI
	VMOVUPS      0(DI), Y14
	VMOVUPD      32(DI), Y10
	VMOVUPD      64(DI), Y11
	VMOVUPD      96(DI), Y12
	VMOVUPD      128(DI), Y13
	SHRQ         $5, CX
	JZ           statsdone

statsloop:
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMAXPS  Y1, Y0, Y9
	VMAXPS  Y3, Y2, Y4
	VMAXPS  Y4, Y9, Y9
	VMAXPS  Y14, Y9, Y9

	// Rescale the sums of the lanes whose max grew: t ← f·(t + s·Δ), s ← f·s
	// with Δ = (m_old − m_new)·scale2 and f = 2^Δ.
	VCMPPS       $14, Y14, Y9, Y4
	VMOVMSKPS    Y4, AX
	TESTL        AX, AX
	JZ           norescale
	VSUBPS       Y9, Y14, Y4
	VMULPS       Y15, Y4, Y4
	VMAXPS       MINARG2, Y4, Y4
	EXP2(Y4, Y5, Y6, Y7)
	VCVTPS2PD    X5, Y6
	VEXTRACTF128 $1, Y5, X7
	VCVTPS2PD    X7, Y7
	VCVTPS2PD    X4, Y8
	VEXTRACTF128 $1, Y4, X5
	VCVTPS2PD    X5, Y5
	VFMADD231PD  Y8, Y10, Y12
	VFMADD231PD  Y5, Y11, Y13
	VMULPD       Y6, Y12, Y12
	VMULPD       Y7, Y13, Y13
	VMULPD       Y6, Y10, Y10
	VMULPD       Y7, Y11, Y11
	VMOVAPS      Y9, Y14

norescale:
	VSUBPS      Y14, Y0, Y0
	VSUBPS      Y14, Y1, Y1
	VSUBPS      Y14, Y2, Y2
	VSUBPS      Y14, Y3, Y3
	VMULPS      Y15, Y0, Y0
	VMULPS      Y15, Y1, Y1
	VMULPS      Y15, Y2, Y2
	VMULPS      Y15, Y3, Y3
	VMAXPS      MINARG2, Y0, Y0
	VMAXPS      MINARG2, Y1, Y1
	VMAXPS      MINARG2, Y2, Y2
	VMAXPS      MINARG2, Y3, Y3
	EXP2(Y0, Y4, Y5, Y6)
	VMOVAPS     Y4, Y7
	VMULPS      Y0, Y4, Y8
	EXP2(Y1, Y4, Y5, Y6)
	VADDPS      Y4, Y7, Y7
	VFMADD231PS Y1, Y4, Y8
	EXP2(Y2, Y4, Y5, Y6)
	VADDPS      Y4, Y7, Y7
	VFMADD231PS Y2, Y4, Y8
	EXP2(Y3, Y4, Y5, Y6)
	VADDPS      Y4, Y7, Y7
	VFMADD231PS Y3, Y4, Y8

	// Add the block's float32 sums into the float64 accumulators.
	VCVTPS2PD    X7, Y4
	VADDPD       Y4, Y10, Y10
	VEXTRACTF128 $1, Y7, X5
	VCVTPS2PD    X5, Y5
	VADDPD       Y5, Y11, Y11
	VCVTPS2PD    X8, Y4
	VADDPD       Y4, Y12, Y12
	VEXTRACTF128 $1, Y8, X5
	VCVTPS2PD    X5, Y5
	VADDPD       Y5, Y13, Y13

	ADDQ $128, SI
	DECQ CX
	JNZ  statsloop

statsdone:
	VMOVUPS Y14, 0(DI)
	VMOVUPD Y10, 32(DI)
	VMOVUPD Y11, 64(DI)
	VMOVUPD Y12, 96(DI)
	VMOVUPD Y13, 128(DI)
	VZEROUPPER
	RET

// func clippedSurrogateAVX2(grad, logp, old, adv, w *float32, valid *bool, n int, prm *surrogateParams, acc *[8][8]float32)
// Processes n tokens (a multiple of 8). prm holds lo, hi, dual and coef, each
// replicated 8 times; acc receives the 8 per-lane sums in SurrogateSums order.
TEXT ·clippedSurrogateAVX2(SB), NOSPLIT, $0-72
	MOVQ grad+0(FP), DI
	MOVQ logp+8(FP), SI
	MOVQ old+16(FP), DX
	MOVQ adv+24(FP), R8
	MOVQ w+32(FP), R9
	MOVQ valid+40(FP), R10
	MOVQ n+48(FP), CX
	MOVQ prm+56(FP), R11
	MOVQ acc+64(FP), R12
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15
	XORQ   BX, BX
	TESTQ  CX, CX
	JZ     surrdone

surrloop:
	VPMOVZXBD (R10)(BX*1), Y2
	VPSLLD    $31, Y2, Y2
	VPSRAD    $31, Y2, Y2           // valid mask
	VMOVUPS   (SI)(BX*4), Y0
	VSUBPS    (DX)(BX*4), Y0, Y1    // d = logp − old
	VANDPS    Y2, Y1, Y1            // invalid tokens: d = 0
	VSUBPS    Y1, Y15, Y15          // Σ(old − logp)
	VANDPS    (R9)(BX*4), Y2, Y3    // w, 0 where invalid
	VADDPS    Y3, Y10, Y10          // Σw
	VANDPS    ONE, Y2, Y4
	VADDPS    Y4, Y9, Y9            // valid tokens
	VXORPS    Y5, Y5, Y5
	VCMPPS    $14, Y5, Y3, Y4       // selected: w > 0
	VANDPS    ONE, Y4, Y5
	VADDPS    Y5, Y11, Y11          // selected tokens
	VMAXPS    MINARG, Y1, Y1
	VMINPS    MAXARG, Y1, Y1
	VMULPS    LOG2E, Y1, Y1
	EXP2(Y1, Y5, Y6, Y7)            // r = e^d
	VANDPS    (R8)(BX*4), Y2, Y6    // A, 0 where invalid
	VXORPS    SIGN, Y6, Y6          // −A
	VMULPS    Y5, Y6, Y0            // l1 = −A·r
	VMAXPS    0(R11), Y5, Y1
	VMINPS    32(R11), Y1, Y1       // clip(r, lo, hi)
	VMULPS    Y1, Y6, Y1            // l2 = −A·clip(r)
	VCMPPS    $14, Y0, Y1, Y7       // ratio clip active: l2 > l1
	VMAXPS    Y0, Y1, Y1            // ℓ = max(l1, l2)
	VANDPS    ONE, Y7, Y5
	VADDPS    Y5, Y12, Y12          // clipped tokens
	VANDPS    Y4, Y5, Y5
	VADDPS    Y5, Y13, Y13          // clipped selected tokens
	VMULPS    64(R11), Y6, Y5       // l3 = −A·dual
	VXORPS    Y2, Y2, Y2
	VCMPPS    $14, Y2, Y6, Y2       // A < 0
	VCMPPS    $1, Y1, Y5, Y4        // l3 < ℓ
	VANDPS    Y2, Y4, Y4            // dual clip active
	VBLENDVPS Y4, Y5, Y1, Y1        // ℓ = min(ℓ, l3) where active
	VORPS     Y4, Y7, Y7            // a clip zeroes the gradient
	VANDPS    ONE, Y4, Y4
	VADDPS    Y4, Y14, Y14          // dual-clipped tokens
	VFMADD231PS Y3, Y1, Y8          // Σ w·ℓ
	VANDNPS   Y0, Y7, Y0            // ∂ℓ/∂logp = l1 unless clipped
	VMULPS    96(R11), Y3, Y3
	VMULPS    Y3, Y0, Y0            // coef·w·∂ℓ/∂logp
	VXORPS    Y4, Y4, Y4
	VADDPS    Y4, Y0, Y0            // −0 (a zero weight times −A·r) becomes +0
	VMOVUPS   Y0, (DI)(BX*4)
	ADDQ      $8, BX
	CMPQ      BX, CX
	JLT       surrloop

surrdone:
	VMOVUPS Y8, 0(R12)
	VMOVUPS Y9, 32(R12)
	VMOVUPS Y10, 64(R12)
	VMOVUPS Y11, 96(R12)
	VMOVUPS Y12, 128(R12)
	VMOVUPS Y13, 160(R12)
	VMOVUPS Y14, 192(R12)
	VMOVUPS Y15, 224(R12)
	VZEROUPPER
	RET

// The AVX-512 kernels keep their constants in registers, broadcast from the
// first lane of consts: Z16 LOG2E, Z17…Z22 C0…C5, Z23 MINARG, Z24 MAXARG,
// Z25 MINARG2.
#define LOADCONSTS512 \
	VBROADCASTSS LOG2E, Z16; \
	VBROADCASTSS C0, Z17; \
	VBROADCASTSS C1, Z18; \
	VBROADCASTSS C2, Z19; \
	VBROADCASTSS C3, Z20; \
	VBROADCASTSS C4, Z21; \
	VBROADCASTSS C5, Z22; \
	VBROADCASTSS MINARG, Z23; \
	VBROADCASTSS MAXARG, Z24; \
	VBROADCASTSS MINARG2, Z25

// EXP2512 sets out = 2^in for in within [−125.5, 127], 16 lanes: n = round(in)
// (VRNDSCALEPS), f = in − n, out = p(f)·2^n (VSCALEFPS), with p the
// polynomial of EXP2. in is preserved.
#define EXP2512(in, out, n, t) \
	VRNDSCALEPS $0, in, n; \
	VSUBPS      n, in, out; \
	VMOVAPS     Z21, t; \
	VFMADD231PS Z22, out, t; \
	VFMADD213PS Z20, out, t; \
	VFMADD213PS Z19, out, t; \
	VFMADD213PS Z18, out, t; \
	VFMADD213PS Z17, out, t; \
	VSCALEFPS   n, t, out

// AFFINE512 computes 16 results of expAffine at (SI) into (DI), the lanes
// in mask only (masked loads read no memory elsewhere): u = scale·x − shift
// clamped to [MINARG, MAXARG], e = e^u·(alpha + beta·u).
#define AFFINE512(mask) \
	VMOVUPS.Z   (SI), mask, Z0; \
	VFMSUB213PS Z11, Z10, Z0; \
	VMAXPS      Z23, Z0, Z0; \
	VMINPS      Z24, Z0, Z0; \
	VMULPS      Z16, Z0, Z1; \
	EXP2512(Z1, Z2, Z3, Z4); \
	VMOVAPS     Z12, Z5; \
	VFMADD231PS Z13, Z0, Z5; \
	VMULPS      Z5, Z2, Z2; \
	VMOVUPS     Z2, mask, (DI)

// func expAffineAVX512(dst, x []float32, scale, shift, alpha, beta float32)
// Processes all of x, the last len(x) mod 16 elements under a mask.
TEXT ·expAffineAVX512(SB), NOSPLIT, $0-64
	MOVQ         dst_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	VBROADCASTSS scale+48(FP), Z10
	VBROADCASTSS shift+52(FP), Z11
	VBROADCASTSS alpha+56(FP), Z12
	VBROADCASTSS beta+60(FP), Z13
	LOADCONSTS512
	KXNORW K1, K1, K1
	MOVQ         CX, DX
	SHRQ         $4, DX
	JZ           aff512tail

aff512loop:
	AFFINE512(K1)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ DX
	JNZ  aff512loop

aff512tail:
	ANDQ  $15, CX
	JZ    aff512done
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX
	KMOVW AX, K2
	AFFINE512(K2)

aff512done:
	VZEROUPPER
	RET

// STATS512(x, s, t) adds the 16 lanes of x, a block's vector, to the block
// sums s and t: d = x·scale2 − ms (base-2 exponent relative to the lane's
// shift), clamped to MINARG2; e = 2^d; s += e, t += e·d. Clobbers x, Z10, Z11
// and Z30.
#define STATS512(x, s, t) \
	VFMSUB213PS Z29, Z28, x; \
	VMAXPS      Z25, x, x; \
	EXP2512(x, Z10, Z11, Z30); \
	VADDPS      Z10, s, s; \
	VFMADD231PS x, Z10, t

// WIDEN512(sum, ysum, lo, hi) adds the 16 float32 lanes of sum (ysum: its
// lower half) to the float64 accumulators lo (lanes 0–7) and hi (lanes 8–15).
// Clobbers Z10, Z11.
#define WIDEN512(sum, ysum, lo, hi) \
	VCVTPS2PD      ysum, Z10; \
	VADDPD         Z10, lo, lo; \
	VEXTRACTF64X4  $1, sum, Y11; \
	VCVTPS2PD      Y11, Z11; \
	VADDPD         Z11, hi, hi

// func softmaxStatsAVX512(x []float32, scale2 float32, st *lanes512)
// Folds len(x), a multiple of 128, into the state st of 16 lanes: the running
// max st.m of x, the shift st.ms = max(m·scale2, −MaxFloat32) and the float64
// sums st.s = Σ2^d, st.t = Σ2^d·d with d = x·scale2 − ms in base-2 units
// (scale2 = scale·log2 e). Each block of 128 floats is summed in float32 (two
// sums of 4 terms a lane, which halves the chain of dependent additions)
// before it is added to the float64 sums.
TEXT ·softmaxStatsAVX512(SB), NOSPLIT, $0-40
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	VBROADCASTSS scale2+24(FP), Z28
	MOVQ         st+32(FP), DI
	LOADCONSTS512
	VMOVUPS      0(DI), Z27
	VMOVUPS      64(DI), Z29
	VMOVUPD      128(DI), Z12
	VMOVUPD      192(DI), Z13
	VMOVUPD      256(DI), Z14
	VMOVUPD      320(DI), Z15
	SHRQ         $7, CX
	JZ           stats512done

stats512loop:
	VMOVUPS 0(SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS 128(SI), Z2
	VMOVUPS 192(SI), Z3
	VMOVUPS 256(SI), Z4
	VMOVUPS 320(SI), Z5
	VMOVUPS 384(SI), Z6
	VMOVUPS 448(SI), Z7
	VMAXPS  Z1, Z0, Z8
	VMAXPS  Z3, Z2, Z9
	VMAXPS  Z5, Z4, Z10
	VMAXPS  Z7, Z6, Z11
	VMAXPS  Z9, Z8, Z8
	VMAXPS  Z11, Z10, Z10
	VMAXPS  Z10, Z8, Z8
	VMAXPS  Z27, Z8, Z8
	VCMPPS  $14, Z27, Z8, K1
	KORTESTW K1, K1
	JNZ     stats512rescale

stats512sums:
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z26, Z26, Z26
	VPXORD Z31, Z31, Z31
	STATS512(Z0, Z8, Z9)
	STATS512(Z1, Z26, Z31)
	STATS512(Z2, Z8, Z9)
	STATS512(Z3, Z26, Z31)
	STATS512(Z4, Z8, Z9)
	STATS512(Z5, Z26, Z31)
	STATS512(Z6, Z8, Z9)
	STATS512(Z7, Z26, Z31)
	VADDPS Z26, Z8, Z8
	VADDPS Z31, Z9, Z9
	WIDEN512(Z8, Y8, Z12, Z13)
	WIDEN512(Z9, Y9, Z14, Z15)
	ADDQ $512, SI
	DECQ CX
	JNZ  stats512loop

stats512done:
	VMOVUPS Z27, 0(DI)
	VMOVUPS Z29, 64(DI)
	VMOVUPD Z12, 128(DI)
	VMOVUPD Z13, 192(DI)
	VMOVUPD Z14, 256(DI)
	VMOVUPD Z15, 320(DI)
	VZEROUPPER
	RET

	// The max of some lanes grew (new max in Z8): move their shift and
	// rescale their sums, t ← f·(t + s·Δ), s ← f·s with Δ = ms_old − ms_new
	// and f = 2^Δ. The other lanes have Δ = 0 and f = 1.
stats512rescale:
	VMOVAPS       Z8, Z27
	VMULPS        Z28, Z8, Z8
	VMAXPS.BCST   negmax<>(SB), Z8, Z8
	VSUBPS        Z8, Z29, Z9
	VMOVAPS       Z8, Z29
	VMAXPS        Z25, Z9, Z9
	EXP2512(Z9, Z10, Z11, Z30)
	VCVTPS2PD     Y10, Z30
	VEXTRACTF64X4 $1, Z10, Y10
	VCVTPS2PD     Y10, Z31
	VCVTPS2PD     Y9, Z8
	VEXTRACTF64X4 $1, Z9, Y9
	VCVTPS2PD     Y9, Z9
	VFMADD231PD   Z8, Z12, Z14
	VFMADD231PD   Z9, Z13, Z15
	VMULPD        Z30, Z14, Z14
	VMULPD        Z31, Z15, Z15
	VMULPD        Z30, Z12, Z12
	VMULPD        Z31, Z13, Z13
	JMP           stats512sums

DATA negmax<>+0(SB)/4, $0xff7fffff
GLOBL negmax<>(SB), RODATA|NOPTR, $4
