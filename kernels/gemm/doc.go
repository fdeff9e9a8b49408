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
// first, only decides who computes a tile, never how: each element of C sees the same operations in the same order whatever
// GOMAXPROCS is, and SgemmSerial gives the same bits as Sgemm. Results are not batch-invariant:
// a row of C may differ in its last bits between products of different shapes (for example
// m = 1 and m = 64, which take different paths), so compare those with a tolerance.
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
// 17 on 2 cores), so absolute wall-clock rates are a quarter of a quiet machine's, and the
// table also gives, on one thread, work per CPU-second, which the load disturbs less. On a
// quiet moment the same OpenBLAS reached 86–92 GFLOP/s on one thread and 157–180 on two at
// 256–1024; Sgemm's work per CPU-second at those sizes is 76–88 GFLOP/s on one and on two
// goroutines.
//
//	                      wall-clock ratio     per CPU-second (1 thread)
//	shape                 1 thread  2 threads  Go     OpenBLAS  ratio
//	square256             0.91      1.47       83.2   82.4      1.01
//	square512             1.02      2.71       79.6   81.7      0.97
//	square1024            0.95      1.12       80.4   84.2      0.94
//	square1024_NT         0.82      2.08       80.8   84.1      0.96
//	square1024_TN         0.92      0.95       76.4   82.7      0.94
//	xWt_512x1536x512      0.94      1.18       79.6   84.5      0.96
//	dYW_512x512x1536      0.98      1.26       79.4   77.2      1.01
//	dYtX_1536x512x512     1.01      1.09       82.1   84.5      1.02
//	QKt_128x128x64        1.27      1.23       75.5   59.7      1.16
//	PV_128x64x128         1.47      1.19       75.7   71.0      1.09
//	gen_xWt_1x1536x512    3.54      4.05       19.3    4.9      4.86
//	gen_QKt_1x256x64      3.33      4.18       20.8    6.4      3.26
//	gen_PV_1x64x256       5.11      5.74       41.0    7.7      5.34
//
// Two-thread wall-clock ratios above 1 at large sizes mostly say that OpenBLAS's spinning
// threads suffer more from a loaded machine than goroutines that block; on a quiet machine
// expect both near their per-CPU-second rates times two. OpenBLAS 0.3.21 runs m = 1 through
// its general kernel, hence the large ratios of the gen_ shapes. The micro-kernel alone
// (BenchmarkKernel, operands in cache) runs at about 100 GFLOP per CPU-second.
package gemm
