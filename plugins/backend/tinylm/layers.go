package tinylm

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/forkrl/forkrl/kernels/gemm"
	"github.com/forkrl/forkrl/kernels/vecmath"
)

// This file holds the forward and backward function of each layer kind, in
// the manner of llm.c: plain loops over row-major float32 slices, no
// allocation. Backward functions accumulate (+=) into parameter gradients.

// matmulForward computes out[n,o] = in[n,i] · W[o,i]ᵀ.
func matmulForward(out, in, w []float32, n, i, o int) {
	gemm.Sgemm(false, true, n, o, i, 1, in, i, w, i, 0, out, o)
}

// matmulBackward computes dIn[n,i] = dOut[n,o] · W[o,i] and
// dW[o,i] += dOut[n,o]ᵀ · in[n,i].
func matmulBackward(dIn, dW, dOut, in, w []float32, n, i, o int) {
	gemm.Sgemm(false, false, n, i, o, 1, dOut, o, w, i, 0, dIn, i)
	gemm.Sgemm(true, false, o, i, n, 1, dOut, o, in, i, 1, dW, i)
}

// rmsnormRow writes y = x/rms(x)·w and returns 1/rms(x).
func rmsnormRow(y, x, w []float32, eps float32) float32 {
	var ss float32
	for _, v := range x {
		ss += v * v
	}
	r := float32(1 / math.Sqrt(float64(ss/float32(len(x))+eps)))
	for j, v := range x {
		y[j] = v * r * w[j]
	}
	return r
}

// rmsnormRowBackwardX adds to dx the input gradient of rmsnormRow given dy.
func rmsnormRowBackwardX(dx, dy, x, w []float32, r float32) {
	var dot float32 // Σ dy·w·x̂
	for j, v := range x {
		dot += dy[j] * w[j] * v * r
	}
	mean := dot / float32(len(x))
	for j, v := range x {
		dx[j] += r * (dy[j]*w[j] - v*r*mean)
	}
}

// rmsnormRowBackwardW adds to dw the gain gradient of rmsnormRow given dy.
func rmsnormRowBackwardW(dw, dy, x []float32, r float32) {
	for j, v := range x {
		dw[j] += dy[j] * v * r
	}
}

// rmsnormForward normalises n rows of width d.
func rmsnormForward(y []float32, rstd []float32, x, w []float32, n, d int, eps float32) {
	forRows(n, d, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			rstd[t] = rmsnormRow(y[t*d:(t+1)*d], x[t*d:(t+1)*d], w, eps)
		}
	})
}

// rmsnormBackward adds the gradient of n rows of rmsnormForward to dx and dw.
func rmsnormBackward(dx, dw, dy, x, w, rstd []float32, n, d int) {
	forRows(n, d, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			rmsnormRowBackwardX(dx[t*d:(t+1)*d], dy[t*d:(t+1)*d], x[t*d:(t+1)*d], w, rstd[t])
		}
	})
	for t := range n { // the gains' gradient sums over rows in a fixed order
		rmsnormRowBackwardW(dw, dy[t*d:(t+1)*d], x[t*d:(t+1)*d], rstd[t])
	}
}

// ropeRow rotates the pairs (v[i], v[i+d/2]) of one head by the angles of
// one position (cos, sin hold d/2 values), as Hugging Face's rotate_half.
// With sign −1 it applies the inverse rotation (the backward pass).
func ropeRow(v, cos, sin []float32, sign float32) {
	half := len(v) / 2
	for i := range half {
		c, s := cos[i], sign*sin[i]
		a, b := v[i], v[i+half]
		v[i] = a*c - b*s
		v[i+half] = b*c + a*s
	}
}

// swigluForward writes act = silu(gate)·up for n rows, where gu holds the
// gate (first f columns) and up (last f) of each row, and keeps
// sig = sigmoid(gate) for the backward pass.
func swigluForward(act, sig, gu []float32, n, f int) {
	forRows(n, 4*f, func(lo, hi int) { swigluForwardRows(act, sig, gu, lo, hi, f) })
}

func swigluForwardRows(act, sig, gu []float32, lo, hi, f int) {
	for t := lo; t < hi; t++ {
		g, u, a, s := gu[t*2*f:t*2*f+f], gu[t*2*f+f:(t+1)*2*f], act[t*f:(t+1)*f], sig[t*f:(t+1)*f]
		for j, v := range g {
			s[j] = -v
		}
		vecmath.Exp(s, s)
		for j := range f {
			s[j] = 1 / (1 + s[j])
			a[j] = g[j] * s[j] * u[j]
		}
	}
}

// swigluBackward writes into dgu the gradient of swigluForward given dact.
func swigluBackward(dgu, dact, gu, sig []float32, n, f int) {
	forRows(n, 4*f, func(lo, hi int) { swigluBackwardRows(dgu, dact, gu, sig, lo, hi, f) })
}

func swigluBackwardRows(dgu, dact, gu, sig []float32, lo, hi, f int) {
	for t := lo; t < hi; t++ {
		g, u, da, s := gu[t*2*f:t*2*f+f], gu[t*2*f+f:(t+1)*2*f], dact[t*f:(t+1)*f], sig[t*f:(t+1)*f]
		dg, du := dgu[t*2*f:t*2*f+f], dgu[t*2*f+f:(t+1)*2*f]
		for j := range f {
			du[j] = da[j] * g[j] * s[j]
			dg[j] = da[j] * u[j] * s[j] * (1 + g[j]*(1-s[j]))
		}
	}
}

// softmaxRows turns each of the rows of a (stride ld) into softmax over its
// first n(r) entries and zeroes the rest of the row's w entries: the causal
// mask.
func softmaxRows(a []float32, rows, w, ld int, n func(r int) int) {
	for r := range rows {
		row := a[r*ld : r*ld+w]
		k := n(r)
		mx := row[0]
		for _, v := range row[1:k] {
			mx = max(mx, v)
		}
		for j := range k {
			row[j] -= mx
		}
		vecmath.Exp(row[:k], row[:k])
		var sum float32
		for _, v := range row[:k] {
			sum += v
		}
		inv := 1 / sum
		for j := range k {
			row[j] *= inv
		}
		clear(row[k:])
	}
}

// dot returns Σ a[i]·b[i] over len(a) entries, in a fixed order (eight
// partial sums, then their pairwise total).
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	for len(a) >= 8 {
		x, y := a[:8:8], b[:8:8]
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
		s4 += x[4] * y[4]
		s5 += x[5] * y[5]
		s6 += x[6] * y[6]
		s7 += x[7] * y[7]
		a, b = a[8:], b[8:]
	}
	for i, x := range a {
		s0 += x * b[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

// axpy adds alpha·x to y.
func axpy(y []float32, alpha float32, x []float32) {
	x = x[:len(y)]
	for len(y) >= 8 {
		u, v := y[:8:8], x[:8:8]
		u[0] += alpha * v[0]
		u[1] += alpha * v[1]
		u[2] += alpha * v[2]
		u[3] += alpha * v[3]
		u[4] += alpha * v[4]
		u[5] += alpha * v[5]
		u[6] += alpha * v[6]
		u[7] += alpha * v[7]
		y, x = y[8:], x[8:]
	}
	for i, v := range x {
		y[i] += alpha * v
	}
}

// parallelFor calls f(worker, i) for every i in [0, n) on up to GOMAXPROCS
// goroutines; worker < workers() indexes per-goroutine scratch space. Every
// i must write outputs of its own, so the results do not depend on how the
// items are spread.
func parallelFor(n int, f func(worker, i int)) {
	w := min(workers(), n)
	if w <= 1 {
		for i := range n {
			f(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for k := range w {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(k, i)
			}
		})
	}
	wg.Wait()
}

func workers() int { return runtime.GOMAXPROCS(0) }

// minRowWork is the number of values below which rows are not worth a goroutine.
const minRowWork = 1 << 14

// forRows calls f on ranges of n rows of about width values each, in
// parallel when there is enough work. Each row must be computed the same way
// whatever range holds it.
func forRows(n, width int, f func(lo, hi int)) {
	if n*width < minRowWork {
		f(0, n)
		return
	}
	gemm.ParallelFor(n, f)
}
