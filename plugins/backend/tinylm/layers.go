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

// matmulBackward computes dIn[n,i] (= or += when accumulate) dOut[n,o] · W[o,i]
// and dW[o,i] += dOut[n,o]ᵀ · in[n,i]. dIn may be nil.
func matmulBackward(dIn, dW, dOut, in, w []float32, n, i, o int, accumulate bool) {
	if dIn != nil {
		beta := float32(0)
		if accumulate {
			beta = 1
		}
		gemm.Sgemm(false, false, n, i, o, 1, dOut, o, w, i, beta, dIn, i)
	}
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

// rmsnormRowBackward adds to dx and dw the gradient of rmsnormRow given dy.
func rmsnormRowBackward(dx, dw, dy, x, w []float32, r float32) {
	var dot float32 // Σ dy·w·x̂
	for j, v := range x {
		dot += dy[j] * w[j] * v * r
	}
	mean := dot / float32(len(x))
	for j, v := range x {
		xh := v * r
		dw[j] += dy[j] * xh
		dx[j] += r * (dy[j]*w[j] - xh*mean)
	}
}

// rmsnormForward normalises n rows of width d.
func rmsnormForward(y []float32, rstd []float32, x, w []float32, n, d int, eps float32) {
	for t := range n {
		rstd[t] = rmsnormRow(y[t*d:(t+1)*d], x[t*d:(t+1)*d], w, eps)
	}
}

// rmsnormBackward adds the gradient of n rows of rmsnormForward to dx and dw.
func rmsnormBackward(dx, dw, dy, x, w, rstd []float32, n, d int) {
	for t := range n {
		rmsnormRowBackward(dx[t*d:(t+1)*d], dw, dy[t*d:(t+1)*d], x[t*d:(t+1)*d], w, rstd[t])
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
	for t := range n {
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
	for t := range n {
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

// dot returns Σ a[i]·b[i] over len(a) entries, in a fixed order.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy adds alpha·x to y.
func axpy(y []float32, alpha float32, x []float32) {
	x = x[:len(y)]
	i := 0
	for ; i+4 <= len(y); i += 4 {
		y[i] += alpha * x[i]
		y[i+1] += alpha * x[i+1]
		y[i+2] += alpha * x[i+2]
		y[i+3] += alpha * x[i+3]
	}
	for ; i < len(y); i++ {
		y[i] += alpha * x[i]
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
