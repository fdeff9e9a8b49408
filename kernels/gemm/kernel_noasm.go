//go:build noasm || !amd64

package gemm

import (
	"os"

	"github.com/forkrl/forkrl/kernels/internal/kernelpath"
)

// Impl names the implementation in use: "go" for the pure-Go kernels (the only one in
// this build), "avx2" for the AVX2+FMA assembly, "avx512" for the AVX2+FMA assembly with
// the AVX-512 micro-kernel.
var Impl = "go"

func init() {
	if err := checkImplEnv(os.Getenv(ImplEnv)); err != nil {
		panic(err)
	}
}

// checkImplEnv accepts the one path of this build, "go", or none.
func checkImplEnv(name string) error {
	_, err := kernelpath.Choose("gemm", ImplEnv, name, paths, CanRun)
	return err
}

// CanRun reports whether this build can run the path named: "go" only.
func CanRun(path string) bool { return path == "go" }

// kernel is the micro-kernel; see kernelGo.
func kernel(kc int, pa, pb, c []float32, ldc int, alpha, beta float32) {
	kernelGo(kc, pa, pb, c, ldc, alpha, beta)
}

// kernelPair is kernel on two full tiles one above the other: pa holds their two packed A
// panels one after the other, c the 2·mr rows of C.
func kernelPair(kc int, pa, pb, c []float32, ldc int, alpha, beta float32) {
	kernel(kc, pa, pb, c, ldc, alpha, beta)
	kernel(kc, pa[kc*mr:], pb, c[mr*ldc:], ldc, alpha, beta)
}

// dotRows sets out[r] = Σ_p x[p]·mat[r*ld+p] for r < len(out).
func dotRows(k int, x, mat []float32, ld int, out []float32) { dotRowsGo(k, x, mat, ld, out) }

// sumRows sets out[j] = Σ_p x[p]·mat[p*ld+j] for j < len(out).
func sumRows(k int, x, mat []float32, ld int, out []float32) { sumRowsGo(k, x, mat, ld, out) }

// transpose8 does nothing in this build: it reports 0 elements done and the caller packs all.
func transpose8(rows *[8]*float32, n int, dst []float32, stride, width int) (done int) { return 0 }

// gatherRows writes dst[p*width+j] = src[p*ld+j] for p < n and j < width.
func gatherRows(n int, src []float32, ld int, dst []float32, width int) {
	gatherRowsGo(n, src, ld, dst, width)
}

// dotTile sets out[4i+j] = Σ_{p<k} a[i][p]·b[j][p] for the three rows of a and four of b.
func dotTile(k int, a *[3][]float32, b *[4][]float32, out *[12]float32) { dotTileGo(k, a, b, out) }
