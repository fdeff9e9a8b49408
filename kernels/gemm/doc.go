// Package gemm holds the float32 matrix kernels of the pure-Go model: a general matrix
// multiply (Sgemm) for row-major matrices with either operand transposed.
//
// Results are deterministic: work is split over goroutines in a fixed way, so every
// element of C is computed by the same sequence of floating-point operations whatever
// GOMAXPROCS is.
package gemm
