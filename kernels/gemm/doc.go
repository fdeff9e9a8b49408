// Package gemm holds the float32 matrix kernels of the pure-Go model: a general matrix
// multiply for row-major matrices with either operand transposed (Sgemm), its single-goroutine
// form for use inside a parallel loop (SgemmSerial), and that loop (ParallelFor).
//
// # The products of a transformer
//
// With activations stored [tokens, features] and weights stored out×in as in Hugging Face
// checkpoints (W is o×i):
//
//	y = x·Wᵀ          Sgemm(false, true,  n, o, i, 1, x, i, W, i, 0, y, o)
//	dX = dY·W         Sgemm(false, false, n, i, o, 1, dY, o, W, i, 0, dX, i)
//	dW += dYᵀ·X       Sgemm(true,  false, o, i, n, 1, dY, o, X, i, 1, dW, i)
//	S = Q_h·K_hᵀ      SgemmSerial(false, true,  T, T, hd, scale, q[h*hd:], H*hd, k[g*hd:], KV*hd, 0, S, T)
//	Y_h = P·V_h       SgemmSerial(false, false, T, hd, T, 1, P, T, v[g*hd:], KV*hd, 0, y[h*hd:], H*hd)
//
// where H and KV count query and KV heads, hd is the head size and g = h·KV/H is the KV head
// of query head h. Per-head products are small, so the heads go to ParallelFor and each product runs on one
// goroutine (see the example of ParallelFor). Generation with a KV cache gives m = 1, which
// takes a matrix-vector path.
//
// # How it computes
//
// Large products are blocked as in BLIS: op(B) is packed into 16-column panels 256 deep (shared
// by the goroutines), goroutines take units of C in turn (so one that the operating system
// pauses holds up only its current unit), pack up to 144 rows of op(A) into 6-row panels kept
// in L2, and a 6×16 AVX2+FMA micro-kernel in assembly updates each tile of C. Packing buffers
// are pooled, so a call on one goroutine allocates nothing. Other paths, chosen by shape only:
// m = 1 or n = 1 runs matrix-vector kernels (dot products when the matrix rows are contiguous
// in k, else sums of scaled rows); x·Wᵀ with m ≤ 16 and k ≥ 64 (generation of a few sequences)
// multiplies rows of x by rows of W without packing W. The assembly is chosen at run time
// (golang.org/x/sys/cpu); without AVX2 and FMA, or under the noasm build tag, the same
// algorithm runs with pure-Go kernels, which the tests run too. There is no AVX-512 kernel: the
// machine this was built and measured on (AMD EPYC, Zen 3) has no AVX-512, and an assembly
// kernel that no test has run is not shipped.
//
// # Determinism
//
// Work is split over goroutines on a fixed grid (tiles of C, blocks of 64 columns for the
// matrix-vector and small-m paths), and the number of goroutines, or which of them is free
// first, only decides who computes a tile, never how: each element of C sees the same
// operations in the same order whatever GOMAXPROCS is, and SgemmSerial gives the same bits as
// Sgemm. On the packed path (m and n above 1, and for x·Wᵀ m above 16 or k below 64) an element
// depends only on its row of op(A), its column of op(B), alpha, beta and its old value, not on
// how many rows or columns the product has: a token's row of x·Wᵀ is the same in a batch of 17
// sequences as in one of 2048 tokens. Products that take different paths (m = 1, small m with
// x·Wᵀ, packed) may differ in the last bits, so compare those with a tolerance.
//
// # Speed
//
// Benchmarks (bench_test.go) report GFLOP/s at 256, 512 and 1024 and at transformer shapes;
// peer/compare.sh runs them side by side with OpenBLAS (Debian's libopenblas-dev 0.3.21,
// cblas_sgemm from C, peer/openblas_sgemm.c) on the same machine, one shape after the other,
// several rounds, on 1 and on 2 threads:
//
//	kernels/gemm/peer/compare.sh 5 0.3
//
// Median Go/OpenBLAS ratios over 5 rounds on a 2-core AMD EPYC (Zen 3, AVX2, no AVX-512),
// 2026-11-25. The machine was shared and heavily loaded while measuring (load average 7 to
// 9 on 2 cores), so absolute wall-clock rates are a fraction of a quiet machine's, and the
// table also gives, on one thread, work per CPU-second, which the load disturbs less. On a
// quiet moment the same OpenBLAS reached 86–92 GFLOP/s on one thread and 157–180 on two at
// 256–1024; Sgemm's work per CPU-second at those sizes is 76–89 GFLOP/s on one and on two
// goroutines.
//
//	                      wall-clock ratio     per CPU-second (1 thread)
//	shape                 1 thread  2 threads  Go     OpenBLAS  ratio
//	square256             0.87      1.39       85.7   82.5      1.02
//	square512             1.05      1.01       84.0   86.5      0.99
//	square1024            0.81      1.57       87.2   86.1      0.98
//	square1024_NT         0.98      1.19       87.9   89.9      0.99
//	square1024_TN         1.01      1.83       87.7   88.3      0.99
//	xWt_512x1536x512      1.03      2.84       89.1   87.7      1.01
//	dYW_512x512x1536      0.99      1.78       87.0   85.7      1.01
//	dYtX_1536x512x512     1.04      1.25       86.2   84.7      1.03
//	QKt_128x128x64        1.21      1.88       78.0   67.2      1.16
//	PV_128x64x128         1.07      2.48       78.7   73.5      1.07
//	gen_xWt_1x1536x512    4.50      4.41       24.8   5.2       4.83
//	gen_xWt_16x1536x512   0.71      1.23       56.6   51.5      1.05
//	gen_xWt_64x1536x512   1.12      0.94       72.0   72.8      0.99
//	gen_QKt_1x256x64      5.17      7.41       32.1   6.4       4.99
//	gen_PV_1x64x256       6.62      5.64       41.5   7.7       5.40
//
// On a machine this loaded the wall-clock ratios swing widely from run to run; an earlier run
// of the same command at load average 12 to 19 gave 0.76–1.03 on one thread and 0.92–3.98 on
// two at 256–1024, and per-CPU-second ratios of 0.97–1.01. Two-thread wall-clock ratios above 1
// probably say that OpenBLAS's spinning threads lose more to the load than goroutines that
// block; the per-CPU-second ratios are the steadier measure of the kernels. Two-thread figures
// on a quiet machine have not been taken yet: they are the ones to re-measure.
// OpenBLAS 0.3.21 runs m = 1 through its general kernel, hence the large ratios of the gen_
// shapes with m = 1. The micro-kernel alone (BenchmarkKernel, operands in cache) runs at about
// 100 GFLOP per CPU-second; the pure-Go build (-tags noasm) runs square256 at about 4.5.
package gemm
