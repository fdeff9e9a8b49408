package hooks

import (
	"fmt"
	"math"
	"sort"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Vector is a read-only float vector handed to scripts: a batch's entropies,
// log-probs, advantages or validity mask, or a result computed from them.
// Scripts index it, take its len, combine vectors element-wise with + - * /
// & | and pass it to the vector builtins.
type Vector struct {
	data []float64
}

var (
	_ starlark.Indexable = (*Vector)(nil)
	_ starlark.Iterable  = (*Vector)(nil)
	_ starlark.HasBinary = (*Vector)(nil)
)

// newVector wraps data; the caller gives up ownership.
func newVector(data []float64) *Vector { return &Vector{data: data} }

// flatten copies a ragged batch into one float64 slice, response after response.
func flatten(rows [][]float32, n int) []float64 {
	out := make([]float64, 0, n)
	for _, r := range rows {
		for _, x := range r {
			out = append(out, float64(x))
		}
	}
	return out
}

func (v *Vector) String() string        { return fmt.Sprintf("vector(len=%d)", len(v.data)) }
func (v *Vector) Type() string          { return "vector" }
func (v *Vector) Freeze()               {}
func (v *Vector) Truth() starlark.Bool  { return len(v.data) > 0 }
func (v *Vector) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: vector") }
func (v *Vector) Len() int              { return len(v.data) }

// Index returns element i as a float.
func (v *Vector) Index(i int) starlark.Value { return starlark.Float(v.data[i]) }

// Iterate yields the elements as floats.
func (v *Vector) Iterate() starlark.Iterator { return &vectorIterator{v: v} }

type vectorIterator struct {
	v *Vector
	i int
}

func (it *vectorIterator) Next(p *starlark.Value) bool {
	if it.i >= len(it.v.data) {
		return false
	}
	*p = starlark.Float(it.v.data[it.i])
	it.i++
	return true
}

func (it *vectorIterator) Done() {}

// Binary implements element-wise arithmetic between two vectors of the same
// length, or a vector and a number; & and | are logical and/or on masks.
func (v *Vector) Binary(op syntax.Token, y starlark.Value, side starlark.Side) (starlark.Value, error) {
	var f func(a, b float64) float64
	switch op {
	case syntax.PLUS:
		f = func(a, b float64) float64 { return a + b }
	case syntax.MINUS:
		f = func(a, b float64) float64 { return a - b }
	case syntax.STAR:
		f = func(a, b float64) float64 { return a * b }
	case syntax.SLASH:
		f = func(a, b float64) float64 { return a / b }
	case syntax.AMP:
		f = func(a, b float64) float64 { return b2f(a != 0 && b != 0) }
	case syntax.PIPE:
		f = func(a, b float64) float64 { return b2f(a != 0 || b != 0) }
	default:
		return nil, nil // not supported: Starlark reports the error
	}
	out := make([]float64, len(v.data))
	switch y := y.(type) {
	case *Vector:
		if len(y.data) != len(v.data) {
			return nil, fmt.Errorf("vector %s vector: lengths differ (%d and %d)", op, len(v.data), len(y.data))
		}
		for i, a := range v.data {
			b := y.data[i]
			if side == starlark.Right {
				a, b = b, a
			}
			out[i] = f(a, b)
		}
	default:
		b, ok := starlark.AsFloat(y)
		if !ok {
			return nil, nil
		}
		for i, a := range v.data {
			if side == starlark.Right {
				out[i] = f(b, a)
			} else {
				out[i] = f(a, b)
			}
		}
	}
	return newVector(out), nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// vectorBuiltins are the predeclared functions that work on vectors.
func vectorBuiltins() starlark.StringDict {
	return starlark.StringDict{
		"vector": starlark.NewBuiltin("vector", builtinVector),
		"zeros": starlark.NewBuiltin("zeros", func(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			return fillBuiltin(th, b, args, kw, 0)
		}),
		"ones": starlark.NewBuiltin("ones", func(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			return fillBuiltin(th, b, args, kw, 1)
		}),
		"mean":     starlark.NewBuiltin("mean", builtinMean),
		"total":    starlark.NewBuiltin("total", builtinTotal),
		"count":    starlark.NewBuiltin("count", builtinCount),
		"quantile": starlark.NewBuiltin("quantile", builtinQuantile),
		"topk":     starlark.NewBuiltin("topk", builtinTopK),
		"scatter":  starlark.NewBuiltin("scatter", builtinScatter),
		"ge":       compareBuiltin("ge", func(a, t float64) bool { return a >= t }),
		"gt":       compareBuiltin("gt", func(a, t float64) bool { return a > t }),
		"le":       compareBuiltin("le", func(a, t float64) bool { return a <= t }),
		"lt":       compareBuiltin("lt", func(a, t float64) bool { return a < t }),
	}
}

// asVector accepts a vector or a sequence of numbers.
func asVector(fn string, v starlark.Value) (*Vector, error) {
	switch v := v.(type) {
	case *Vector:
		return v, nil
	case starlark.Iterable:
		var out []float64
		it := v.Iterate()
		defer it.Done()
		var x starlark.Value
		for it.Next(&x) {
			f, ok := starlark.AsFloat(x)
			if !ok {
				return nil, fmt.Errorf("%s: got a sequence holding %s, want numbers", fn, x.Type())
			}
			out = append(out, f)
		}
		return newVector(out), nil
	}
	return nil, fmt.Errorf("%s: got %s, want a vector or a list of numbers", fn, v.Type())
}

// maskOf checks an optional mask argument against the vector's length.
func maskOf(fn string, v *Vector, m starlark.Value) (*Vector, error) {
	if m == nil || m == starlark.None {
		return nil, nil
	}
	mask, err := asVector(fn, m)
	if err != nil {
		return nil, err
	}
	if len(mask.data) != len(v.data) {
		return nil, fmt.Errorf("%s: mask has %d elements, vector has %d", fn, len(mask.data), len(v.data))
	}
	return mask, nil
}

// selected returns the elements of v where the mask is non-zero (all without a mask).
func selected(v, mask *Vector) []float64 {
	if mask == nil {
		return v.data
	}
	var out []float64
	for i, x := range v.data {
		if mask.data[i] != 0 {
			out = append(out, x)
		}
	}
	return out
}

func builtinVector(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &x); err != nil {
		return nil, err
	}
	v, err := asVector(b.Name(), x)
	if err != nil {
		return nil, err
	}
	return newVector(append([]float64(nil), v.data...)), nil
}

func fillBuiltin(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple, x float64) (starlark.Value, error) {
	var n int
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &n); err != nil {
		return nil, err
	}
	if n < 0 || n > 1<<28 {
		return nil, fmt.Errorf("%s: length %d out of range", b.Name(), n)
	}
	if err := checkAlloc(th, fmt.Sprintf("%s(%d)", b.Name(), n), 8*uint64(n)); err != nil {
		return nil, err
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = x
	}
	return newVector(out), nil
}

func unpackVectorMask(b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (*Vector, *Vector, error) {
	var x, m starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "v", &x, "mask?", &m); err != nil {
		return nil, nil, err
	}
	v, err := asVector(b.Name(), x)
	if err != nil {
		return nil, nil, err
	}
	mask, err := maskOf(b.Name(), v, m)
	return v, mask, err
}

func builtinMean(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	v, mask, err := unpackVectorMask(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	xs := selected(v, mask)
	if len(xs) == 0 {
		return starlark.Float(0), nil
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return starlark.Float(s / float64(len(xs))), nil
}

func builtinTotal(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	v, mask, err := unpackVectorMask(b, args, kwargs)
	if err != nil {
		return nil, err
	}
	s := 0.0
	for _, x := range selected(v, mask) {
		s += x
	}
	return starlark.Float(s), nil
}

func builtinCount(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &x); err != nil {
		return nil, err
	}
	v, err := asVector(b.Name(), x)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, x := range v.data {
		if x != 0 {
			n++
		}
	}
	return starlark.MakeInt(n), nil
}

// builtinQuantile is numpy's default (linearly interpolated) quantile over
// the masked elements: quantile(v, q, mask=None).
func builtinQuantile(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x, m starlark.Value
	var q float64
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "v", &x, "q", &q, "mask?", &m); err != nil {
		return nil, err
	}
	if !(q >= 0 && q <= 1) {
		return nil, fmt.Errorf("quantile: q = %g, want a number in [0, 1]", q)
	}
	v, err := asVector(b.Name(), x)
	if err != nil {
		return nil, err
	}
	mask, err := maskOf(b.Name(), v, m)
	if err != nil {
		return nil, err
	}
	xs := append([]float64(nil), selected(v, mask)...)
	if len(xs) == 0 {
		return nil, fmt.Errorf("quantile: no elements selected by the mask")
	}
	sort.Float64s(xs)
	pos := q * float64(len(xs)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(xs)-1)
	frac := pos - float64(lo)
	return starlark.Float(xs[lo] + (xs[hi]-xs[lo])*frac), nil
}

// builtinTopK returns the indices of the k largest masked elements, largest
// first, ties broken by the earlier index: topk(v, k, mask=None, largest=True).
// With largest=False it returns the k smallest, smallest first.
func builtinTopK(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x, m starlark.Value
	var k int
	largest := true
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "v", &x, "k", &k, "mask?", &m, "largest?", &largest); err != nil {
		return nil, err
	}
	v, err := asVector(b.Name(), x)
	if err != nil {
		return nil, err
	}
	mask, err := maskOf(b.Name(), v, m)
	if err != nil {
		return nil, err
	}
	var idx []int
	for i := range v.data {
		if mask == nil || mask.data[i] != 0 {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, c int) bool {
		if largest {
			return v.data[idx[a]] > v.data[idx[c]]
		}
		return v.data[idx[a]] < v.data[idx[c]]
	})
	k = max(0, min(k, len(idx)))
	out := make([]starlark.Value, k)
	for i := range out {
		out[i] = starlark.MakeInt(idx[i])
	}
	return starlark.NewList(out), nil
}

// builtinScatter makes a vector of n elements holding value at the given
// indices and 0 elsewhere: scatter(n, indices, value=1.0).
func builtinScatter(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var n int
	var indices starlark.Iterable
	value := 1.0
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "n", &n, "indices", &indices, "value?", &value); err != nil {
		return nil, err
	}
	if n < 0 || n > 1<<28 {
		return nil, fmt.Errorf("scatter: length %d out of range", n)
	}
	if err := checkAlloc(th, fmt.Sprintf("scatter(%d, ...)", n), 8*uint64(n)); err != nil {
		return nil, err
	}
	out := make([]float64, n)
	it := indices.Iterate()
	defer it.Done()
	var x starlark.Value
	for it.Next(&x) {
		i, err := starlark.AsInt32(x)
		if err != nil {
			return nil, fmt.Errorf("scatter: index %s: %v", x, err)
		}
		if i < 0 || i >= n {
			return nil, fmt.Errorf("scatter: index %d out of range [0, %d)", i, n)
		}
		out[i] = value
	}
	return newVector(out), nil
}

// compareBuiltin makes a mask vector: 1 where cmp(element, threshold) holds.
func compareBuiltin(name string, cmp func(a, t float64) bool) *starlark.Builtin {
	return starlark.NewBuiltin(name, func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var x starlark.Value
		var t float64
		if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 2, &x, &t); err != nil {
			return nil, err
		}
		v, err := asVector(b.Name(), x)
		if err != nil {
			return nil, err
		}
		out := make([]float64, len(v.data))
		for i, a := range v.data {
			out[i] = b2f(cmp(a, t))
		}
		return newVector(out), nil
	})
}
