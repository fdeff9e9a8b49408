//go:build !noasm

package gemm

import (
	"os"

	"github.com/forkrl/forkrl/kernels/internal/kernelpath"
)

// useAVX2 selects the AVX2+FMA assembly kernels; without them the pure-Go kernels run.
// useAVX512 selects, on top of them, the AVX-512 micro-kernel of the packed product.
// setImpl sets both, once at start from the CPU or FORKRL_GEMM.
var useAVX2, useAVX512 bool

// Impl names the implementation in use: "go" for the pure-Go kernels, "avx2" for the
// AVX2+FMA assembly, "avx512" for the AVX2+FMA assembly with the AVX-512 micro-kernel.
var Impl = "go"

func init() {
	if err := setImpl(os.Getenv(ImplEnv)); err != nil {
		panic(err)
	}
}

// setImpl selects the path name names, or the best the CPU has when name is "".
func setImpl(name string) error {
	p, err := kernelpath.Choose("gemm", ImplEnv, name, paths, CanRun)
	if err != nil {
		return err
	}
	useAVX2, useAVX512, Impl = p != "go", p == "avx512", p
	return nil
}

// CanRun reports whether this CPU and build can run the path named (see Impl).
func CanRun(path string) bool { return kernelpath.FMAPath(path) }

// kernel6x16AVX512 is kernel6x16AVX2 with AVX-512: the same operations on each element of C,
// so the same bits.
//
//go:noescape
func kernel6x16AVX512(kc int, pa, pb, c *float32, ldc int, alpha, beta float32)

// kernel6x16AVX2 is kernelGo in AVX2+FMA assembly on raw pointers.
//
//go:noescape
func kernel6x16AVX2(kc int, pa, pb, c *float32, ldc int, alpha, beta float32)

// dotRowsAVX2 sets out[r] = Σ_{p<k} x[p]·mat[r*ld+p] for r < rows.
//
//go:noescape
func dotRowsAVX2(k int, x, mat *float32, ld int, out *float32, rows int)

// sumRowsAVX2 sets out[j] = Σ_{p<k} x[p]·mat[p*ld+j] for j < n.
//
//go:noescape
func sumRowsAVX2(k int, x, mat *float32, ld int, out *float32, n int)

// transpose8AVX2 writes dst[p*dstStride+i] = rows[i][p] for i < width (6 or 8) and
// p < n rounded down to a multiple of 8.
//
//go:noescape
func transpose8AVX2(rows *[8]*float32, n int, dst *float32, dstStride int, width int)

// transpose8 writes dst[p*stride+i] = rows[i][p] for i < width (6 or 8) and p < done, a
// prefix of n that it returns; the caller does the rest. Each row must hold n floats.
func transpose8(rows *[8]*float32, n int, dst []float32, stride, width int) (done int) {
	if !useAVX2 || n < 8 {
		return 0
	}
	done = n &^ 7
	if len(dst) < (done-1)*stride+width {
		panic("gemm: transpose destination too short")
	}
	transpose8AVX2(rows, done, &dst[0], stride, width)
	return done
}

// gatherRowsAVX2 writes dst[p*width+j] = src[p*ld+j] for p < n and j < width (6 or 16).
//
//go:noescape
func gatherRowsAVX2(n int, src *float32, ld int, dst *float32, width int)

// gatherRows writes dst[p*width+j] = src[p*ld+j] for p < n and j < width (mr or nr).
func gatherRows(n int, src []float32, ld int, dst []float32, width int) {
	if n == 0 {
		return
	}
	if len(src) < (n-1)*ld+width || len(dst) < n*width {
		panic("gemm: gatherRows operands too short")
	}
	if !useAVX2 {
		gatherRowsGo(n, src, ld, dst, width)
		return
	}
	gatherRowsAVX2(n, &src[0], ld, &dst[0], width)
}

// dotTile3x4AVX2 sets out[4i+j] = Σ_{p<k} rows[i][p]·rows[3+j][p] for i < 3, j < 4.
//
//go:noescape
func dotTile3x4AVX2(k int, rows *[7]*float32, out *[12]float32)

// dotTile sets out[4i+j] = Σ_{p<k} a[i][p]·b[j][p] for the three rows of a and four of b.
func dotTile(k int, a *[3][]float32, b *[4][]float32, out *[12]float32) {
	if !useAVX2 || k == 0 {
		dotTileGo(k, a, b, out)
		return
	}
	var rows [7]*float32
	for i, r := range a {
		rows[i] = &r[:k][0]
	}
	for j, r := range b {
		rows[3+j] = &r[:k][0]
	}
	dotTile3x4AVX2(k, &rows, out)
}

// kernel12x16AVX512 is kernel6x16AVX512 on two A panels stored one after the other and the
// 12 rows of C they update.
//
//go:noescape
func kernel12x16AVX512(kc int, pa, pb, c *float32, ldc int, alpha, beta float32)

// kernelPair is kernel on two full tiles one above the other: pa holds their two packed A
// panels one after the other, c the 2·mr rows of C. Each element sees the operations it
// sees in kernel.
func kernelPair(kc int, pa, pb, c []float32, ldc int, alpha, beta float32) {
	if !useAVX512 {
		kernel(kc, pa, pb, c, ldc, alpha, beta)
		kernel(kc, pa[kc*mr:], pb, c[mr*ldc:], ldc, alpha, beta)
		return
	}
	if kc < 1 || len(pa) < 2*kc*mr || len(pb) < kc*nr || len(c) < (2*mr-1)*ldc+nr {
		panic("gemm: micro-kernel operands too short")
	}
	kernel12x16AVX512(kc, &pa[0], &pb[0], &c[0], ldc, alpha, beta)
}

// kernel is the micro-kernel; see kernelGo.
func kernel(kc int, pa, pb, c []float32, ldc int, alpha, beta float32) {
	if !useAVX2 {
		kernelGo(kc, pa, pb, c, ldc, alpha, beta)
		return
	}
	if kc < 1 || len(pa) < kc*mr || len(pb) < kc*nr || len(c) < (mr-1)*ldc+nr {
		panic("gemm: micro-kernel operands too short")
	}
	if useAVX512 {
		kernel6x16AVX512(kc, &pa[0], &pb[0], &c[0], ldc, alpha, beta)
		return
	}
	kernel6x16AVX2(kc, &pa[0], &pb[0], &c[0], ldc, alpha, beta)
}

// dotRows sets out[r] = Σ_p x[p]·mat[r*ld+p] for r < len(out).
func dotRows(k int, x, mat []float32, ld int, out []float32) {
	if !useAVX2 || k == 0 {
		dotRowsGo(k, x, mat, ld, out)
		return
	}
	rows := len(out)
	if len(x) < k || len(mat) < (rows-1)*ld+k {
		panic("gemm: dotRows operands too short")
	}
	dotRowsAVX2(k, &x[0], &mat[0], ld, &out[0], rows)
}

// sumRows sets out[j] = Σ_p x[p]·mat[p*ld+j] for j < len(out).
func sumRows(k int, x, mat []float32, ld int, out []float32) {
	n := len(out)
	if !useAVX2 || k == 0 {
		sumRowsGo(k, x, mat, ld, out)
		return
	}
	if len(x) < k || len(mat) < (k-1)*ld+n {
		panic("gemm: sumRows operands too short")
	}
	sumRowsAVX2(k, &x[0], &mat[0], ld, &out[0], n)
}
