// Package vecmath holds the vectorised float32 loops that the other kernels
// are built on: exp over a slice, the one-pass softmax statistics of a row
// (running max, Σe^(z−m) and Σe^(z−m)(z−m)), and the fused "exp times affine"
// map that both softmax and its backward pass reduce to.
//
// On amd64 the loops are Go assembly (AVX2+FMA), chosen at run time from the
// CPU's features (golang.org/x/sys/cpu). Every other platform, and any build
// with the noasm tag, uses the pure-Go reference in this package, which the
// tests compare the assembly against. The assembly computes 2^f·2^n with a
// degree-5 polynomial for 2^f on [−½, ½] (relative error below 2e-7) and
// accumulates each block of 32 terms into float64 sums, so row statistics
// stay accurate at V = 262,144.
package vecmath
