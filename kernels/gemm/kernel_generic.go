package gemm

// kernelGo is the pure-Go micro-kernel: with acc = Σ_{p<kc} pa[p*mr+i]·pb[p*nr+j], it sets
// c[i*ldc+j] = alpha*acc + beta*c[i*ldc+j] for the mr×nr tile (C is not read when beta is 0).
func kernelGo(kc int, pa, pb, c []float32, ldc int, alpha, beta float32) {
	var acc [mr][nr]float32
	pa, pb = pa[:kc*mr], pb[:kc*nr]
	for p := 0; p < kc; p++ {
		av := pa[p*mr : p*mr+mr]
		bv := (*[nr]float32)(pb[p*nr : p*nr+nr])
		for i, ai := range av {
			row := &acc[i]
			for j, bj := range bv {
				row[j] += ai * bj
			}
		}
	}
	for i := range acc {
		cr := c[i*ldc : i*ldc+nr]
		for j, v := range acc[i] {
			if beta == 0 {
				cr[j] = alpha * v
			} else {
				cr[j] = alpha*v + beta*cr[j]
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
