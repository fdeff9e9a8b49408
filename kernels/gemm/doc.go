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
// 2026-11-25. The machine was shared and heavily loaded while measuring (load average 12 to
// 19 on 2 cores), so absolute wall-clock rates are a fraction of a quiet machine's, and the
// table also gives, on one thread, work per CPU-second, which the load disturbs less. On a
// quiet moment the same OpenBLAS reached 86–92 GFLOP/s on one thread and 157–180 on two at
// 256–1024; Sgemm's work per CPU-second at those sizes is 76–88 GFLOP/s on one and on two
// goroutines.
//
//	                      wall-clock ratio     per CPU-second (1 thread)
//	shape                 1 thread  2 threads  Go     OpenBLAS  ratio
//	square256             0.95      3.98       85.2   83.4      1.01
//	square512             0.94      2.95       83.8   82.1      0.98
//	square1024            0.76      2.45       83.8   86.3      0.98
//	square1024_NT         0.82      0.92       83.5   86.0      0.99
//	square1024_TN         0.90      0.92       84.5   88.4      0.97
//	xWt_512x1536x512      0.97      1.07       83.0   84.1      1.01
//	dYW_512x512x1536      1.01      1.36       82.9   85.1      0.98
//	dYtX_1536x512x512     1.03      1.16       84.7   85.0      1.00
//	QKt_128x128x64        1.57      1.34       76.6   65.9      1.16
//	PV_128x64x128         1.13      1.33       77.7   72.0      1.07
//	gen_xWt_1x1536x512    5.48      19.84      26.9    5.1      5.62
//	gen_xWt_16x1536x512   1.25      2.80       51.8   50.6      1.04
//	gen_xWt_64x1536x512   0.80      1.22       64.6   72.6      0.90
//	gen_QKt_1x256x64      5.00      4.93       31.8    6.4      4.98
//	gen_PV_1x64x256       6.45      4.98       41.4    7.7      5.39
//
// On a machine this loaded the wall-clock ratios swing widely from run to run (two-thread
// ratios from 0.9 to 4 here, probably because OpenBLAS's spinning threads lose more to the load
// than goroutines that block); the per-CPU-second ratios are the steadier measure of the
// kernels. Two-thread figures on a quiet machine could not be taken in this session: they are
// the ones to re-measure. OpenBLAS 0.3.21 runs m = 1 through its general kernel, hence the
// large ratios of the gen_ shapes with m = 1. The micro-kernel alone (BenchmarkKernel, operands
// in cache) runs at about 100 GFLOP per CPU-second; the pure-Go build (-tags noasm) runs
// square256 at about 4.5.
package gemm
