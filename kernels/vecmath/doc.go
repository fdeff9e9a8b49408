// Package vecmath holds the vectorised float32 loops that the other kernels
// are built on: exp over a slice, the one-pass softmax statistics of a row
// (running max, Σe^(z−m) and Σe^(z−m)(z−m)), and the fused "exp times affine"
// map that both softmax and its backward pass reduce to.
//
// On amd64 the loops are Go assembly, chosen at run time from the CPU's
// features (golang.org/x/sys/cpu): AVX-512 (avx512f) where the CPU has it,
// else AVX2+FMA. Every other platform, and any build with the noasm tag, uses
// the pure-Go reference in this package, which the tests compare every path
// against. Impl names the path in use ("go", "avx2" or "avx512";
// framework/provenance records it in a run's settings), and the environment
// variable FORKRL_VECMATH (ImplEnv) forces one, so that a run can be replayed
// on another machine with the path it recorded; asking for a path the CPU
// lacks stops the program at start. The paths agree to rounding, not to the
// bit: the AVX-512 softmax statistics sum 16 lanes, the AVX2 ones 8.
//
// Both assembly paths compute 2^f·2^n with a degree-5 polynomial for 2^f on
// [−½, ½] (relative error below 2e-7). The AVX2 statistics add each block of
// 32 terms into float64 sums; the AVX-512 ones add each block of 128 (8 terms
// a lane) and keep each lane's shift as the exponent x·scale·log₂e it
// subtracts (one fused multiply-subtract a vector), so row statistics stay
// accurate at V = 262,144. The clipped surrogate has an AVX2 loop only, which
// the avx512 path uses too.
package vecmath
