package gemm

// ImplEnv is the environment variable that forces a path (go, avx2 or avx512) instead of
// the best one the CPU has, so that a run can be replayed on another machine with the path
// it recorded. A path the CPU or build lacks, or an unknown name, stops the program at start.
const ImplEnv = "FORKRL_GEMM"

// paths are the implementations this package knows, plainest first.
var paths = []string{"go", "avx2", "avx512"}

// kernelGo is the pure-Go micro-kernel: with acc = Σ_{p<kc} pa[p*mr+i]·pb[p*nr+j], it sets
// c[i*ldc+j] = alpha*acc + beta*c[i*ldc+j] for the mr×nr tile (C is not read when beta is 0).
// It works on 2×4 sub-tiles whose sums stay in registers.
func kernelGo(kc int, pa, pb, c []float32, ldc int, alpha, beta float32) {
	pa, pb = pa[:kc*mr], pb[:kc*nr]
	for i0 := 0; i0 < mr; i0 += 2 {
		for j0 := 0; j0 < nr; j0 += 4 {
			var s00, s01, s02, s03, s10, s11, s12, s13 float32
			for p := 0; p < kc; p++ {
				a := pa[p*mr+i0 : p*mr+i0+2 : p*mr+i0+2]
				b := pb[p*nr+j0 : p*nr+j0+4 : p*nr+j0+4]
				a0, a1, b0, b1, b2, b3 := a[0], a[1], b[0], b[1], b[2], b[3]
				s00 += a0 * b0
				s01 += a0 * b1
				s02 += a0 * b2
				s03 += a0 * b3
				s10 += a1 * b0
				s11 += a1 * b1
				s12 += a1 * b2
				s13 += a1 * b3
			}
			for i, sums := range [2][4]float32{{s00, s01, s02, s03}, {s10, s11, s12, s13}} {
				cr := c[(i0+i)*ldc+j0 : (i0+i)*ldc+j0+4]
				for j, v := range sums {
					if beta == 0 {
						cr[j] = alpha * v
					} else {
						cr[j] = alpha*v + beta*cr[j]
					}
				}
			}
		}
	}
}

// dotRowsGo sets out[r] = Σ_p x[p]·mat[r*ld+p] for r < len(out).
func dotRowsGo(k int, x, mat []float32, ld int, out []float32) {
	x = x[:k]
	for r := range out {
		row := mat[r*ld : r*ld+k]
		var s float32
		for p, v := range x {
			s += v * row[p]
		}
		out[r] = s
	}
}

// sumRowsGo sets out[j] = Σ_p x[p]·mat[p*ld+j] for j < len(out), adding the rows in order.
func sumRowsGo(k int, x, mat []float32, ld int, out []float32) {
	clear(out)
	n := len(out)
	for p, v := range x[:k] {
		row := mat[p*ld : p*ld+n]
		for j, m := range row {
			out[j] += v * m
		}
	}
}

// gatherRowsGo writes dst[p*width+j] = src[p*ld+j] for p < n and j < width.
func gatherRowsGo(n int, src []float32, ld int, dst []float32, width int) {
	for p := 0; p < n; p++ {
		copy(dst[p*width:(p+1)*width], src[p*ld:p*ld+width])
	}
}

// dotTileGo sets out[4i+j] = Σ_{p<k} a[i][p]·b[j][p] for the three rows of a and four of b.
func dotTileGo(k int, a *[3][]float32, b *[4][]float32, out *[12]float32) {
	for i, ar := range a {
		ar = ar[:k]
		for j, bj := range b {
			bj = bj[:k]
			var s float32
			for p, v := range ar {
				s += v * bj[p]
			}
			out[i*4+j] = s
		}
	}
}
