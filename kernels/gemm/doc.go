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
// in L2, and a 6×16 micro-kernel in assembly (AVX-512 where the CPU has it, else AVX2+FMA)
// updates each tile of C; with AVX-512, two tiles one above the other go through a 12×16
// kernel, whose twelve accumulators (one register per row) hide the latency of the fused
// multiply-adds. Packing buffers
// are pooled, so a call on one goroutine allocates nothing. Other paths, chosen by shape only:
// m = 1 or n = 1 runs matrix-vector kernels (dot products when the matrix rows are contiguous
// in k, else sums of scaled rows); x·Wᵀ with m ≤ 16 and k ≥ 64 (generation of a few sequences)
// multiplies rows of x by rows of W without packing W. The assembly is chosen at run time
// (golang.org/x/sys/cpu); without AVX2 and FMA, or under the noasm build tag, the same
// algorithm runs with pure-Go kernels, which the tests run too. Impl names the path in use
// ("go", "avx2" or "avx512"; framework/provenance records it in a run's settings), and the
// environment variable FORKRL_GEMM (ImplEnv) forces one, so that a run can be replayed on
// another machine with the path it recorded; asking for a path the CPU lacks stops the
// program at start. The AVX-512 and AVX2 micro-kernels apply the same fused multiply-adds to
// each element of C in the same order, so they give the same bits (the tests check it);
// the pure-Go kernels agree with them to rounding.
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
// Benchmarks (bench_test.go) report GFLOP/s at 256, 512 and 1024 and at transformer shapes,
// and per CPU-second, which a loaded machine disturbs less; peer/compare.sh runs them side by
// side with OpenBLAS's cblas_sgemm (peer/openblas_sgemm.c) and prints medians and ratios.
// The figures, with the command, machine, load and date, are in BENCHMARKS.md at the
// repository root.
package gemm
