package math

import (
	stdmath "math"
	"math/big"
	"math/cmplx"
)

// exact evaluates a node without variables in rational arithmetic. It
// reports false when the value is not rational (√2, π), when the node has
// variables, or when the numbers grow beyond the work bound.
func exact(n *node) (*big.Rat, bool) {
	switch n.kind {
	case nNum:
		return n.num, true
	case nAdd:
		s := new(big.Rat)
		for _, k := range n.kids {
			v, ok := exact(k)
			if !ok {
				return nil, false
			}
			s.Add(s, v)
		}
		return s, true
	case nMul:
		s := big.NewRat(1, 1)
		for _, k := range n.kids {
			v, ok := exact(k)
			if !ok {
				return nil, false
			}
			s.Mul(s, v)
		}
		return s, true
	case nNeg:
		v, ok := exact(n.kids[0])
		if !ok {
			return nil, false
		}
		return new(big.Rat).Neg(v), true
	case nDiv:
		a, ok := exact(n.kids[0])
		if !ok {
			return nil, false
		}
		b, ok := exact(n.kids[1])
		if !ok || b.Sign() == 0 {
			return nil, false
		}
		return new(big.Rat).Quo(a, b), true
	case nPow:
		a, ok := exact(n.kids[0])
		if !ok {
			return nil, false
		}
		e, ok := exact(n.kids[1])
		if !ok || !e.IsInt() || !e.Num().IsInt64() {
			return nil, false
		}
		k := e.Num().Int64()
		if k < -4096 || k > 4096 || (a.Num().BitLen()+a.Denom().BitLen())*int(max(k, -k)) > 1<<16 {
			return nil, false
		}
		if k < 0 && a.Sign() == 0 {
			return nil, false
		}
		num := new(big.Int).Exp(a.Num(), big.NewInt(max(k, -k)), nil)
		den := new(big.Int).Exp(a.Denom(), big.NewInt(max(k, -k)), nil)
		if k < 0 {
			num, den = den, num
		}
		return new(big.Rat).SetFrac(num, den), true
	case nPercent, nDegree:
		return exact(n.kids[0])
	}
	return nil, false
}

// hasDecimal reports whether a node holds a decimal literal: such answers
// are approximations and are compared with the numeric tolerance.
func hasDecimal(n *node) bool {
	if n.kind == nNum {
		return n.dec
	}
	for _, k := range n.kids {
		if hasDecimal(k) {
			return true
		}
	}
	return false
}

// env gives each variable its value at one evaluation point.
type env map[string]complex128

// eval evaluates a node at a point in complex arithmetic; inTrig says that
// the node is the argument of a trigonometric function, where degrees are
// converted to radians (elsewhere a degree sign is a unit).
func eval(n *node, at env, inTrig bool) complex128 {
	switch n.kind {
	case nNum:
		return complex(n.f, 0)
	case nSym:
		switch n.name {
		case "pi", `\pi`:
			return complex(stdmath.Pi, 0)
		case "e":
			return complex(stdmath.E, 0)
		case "i":
			return 1i
		case "infty":
			return complex(stdmath.Inf(1), 0)
		}
		if v, ok := at[n.name]; ok {
			return v
		}
		return cmplx.NaN()
	case nAdd:
		var s complex128
		for _, k := range n.kids {
			s += eval(k, at, inTrig)
		}
		return s
	case nMul:
		s := complex(1, 0)
		for _, k := range n.kids {
			s *= eval(k, at, inTrig)
		}
		return s
	case nNeg:
		return -eval(n.kids[0], at, inTrig)
	case nDiv:
		return eval(n.kids[0], at, inTrig) / eval(n.kids[1], at, inTrig)
	case nPow:
		a, b := realZero(eval(n.kids[0], at, inTrig)), eval(n.kids[1], at, inTrig)
		if imag(a) == 0 && imag(b) == 0 && (real(a) >= 0 || real(b) == stdmath.Trunc(real(b))) {
			return complex(stdmath.Pow(real(a), real(b)), 0)
		}
		return cmplx.Pow(a, b)
	case nPercent:
		return eval(n.kids[0], at, inTrig)
	case nDegree:
		v := eval(n.kids[0], at, inTrig)
		if inTrig {
			return v * complex(stdmath.Pi/180, 0)
		}
		return v
	case nFact:
		v := eval(n.kids[0], at, inTrig)
		if imag(v) != 0 || real(v) < 0 || real(v) > 170 {
			return cmplx.NaN()
		}
		g, _ := stdmath.Lgamma(real(v) + 1)
		return complex(stdmath.Round(stdmath.Exp(g)*1e6)/1e6, 0)
	case nFunc:
		return evalFunc(n, at, inTrig)
	}
	return cmplx.NaN()
}

// realZero turns a negative zero imaginary part into a positive one, so that
// a negative real number is on the principal branch: √-4 is 2i, not -2i.
func realZero(z complex128) complex128 {
	if imag(z) == 0 {
		return complex(real(z), 0)
	}
	return z
}

func evalFunc(n *node, at env, inTrig bool) complex128 {
	trig := false
	switch n.name {
	case "sin", "cos", "tan", "sec", "csc", "cot":
		trig = true
	}
	x := realZero(eval(n.kids[0], at, trig || inTrig))
	switch n.name {
	case "sqrt":
		if imag(x) == 0 && real(x) >= 0 {
			return complex(stdmath.Sqrt(real(x)), 0)
		}
		return cmplx.Sqrt(x)
	case "abs":
		return complex(cmplx.Abs(x), 0)
	case "floor", "ceil":
		if imag(x) != 0 {
			return cmplx.NaN()
		}
		if n.name == "floor" {
			return complex(stdmath.Floor(real(x)), 0)
		}
		return complex(stdmath.Ceil(real(x)), 0)
	case "sin":
		return cmplx.Sin(x)
	case "cos":
		return cmplx.Cos(x)
	case "tan":
		return cmplx.Tan(x)
	case "sec":
		return 1 / cmplx.Cos(x)
	case "csc":
		return 1 / cmplx.Sin(x)
	case "cot":
		return 1 / cmplx.Tan(x)
	case "arcsin":
		return cmplx.Asin(x)
	case "arccos":
		return cmplx.Acos(x)
	case "arctan":
		return cmplx.Atan(x)
	case "sinh":
		return cmplx.Sinh(x)
	case "cosh":
		return cmplx.Cosh(x)
	case "tanh":
		return cmplx.Tanh(x)
	case "exp":
		return cmplx.Exp(x)
	case "ln":
		return cmplx.Log(x)
	case "lg":
		return cmplx.Log10(x)
	case "log":
		if len(n.kids) > 1 {
			return cmplx.Log(x) / cmplx.Log(eval(n.kids[1], at, inTrig))
		}
		return cmplx.Log(x)
	case "binom":
		k := eval(n.kids[1], at, inTrig)
		if imag(x) != 0 || imag(k) != 0 {
			return cmplx.NaN()
		}
		a, _ := stdmath.Lgamma(real(x) + 1)
		b, _ := stdmath.Lgamma(real(k) + 1)
		c, _ := stdmath.Lgamma(real(x) - real(k) + 1)
		return complex(stdmath.Round(stdmath.Exp(a-b-c)*1e6)/1e6, 0)
	}
	return cmplx.NaN()
}

// variables collects the free variables of a node.
func variables(n *node, into map[string]bool) {
	if n.kind == nSym {
		switch n.name {
		case "pi", `\pi`, "e", "i", "infty":
		default:
			into[n.name] = true
		}
		return
	}
	for _, k := range n.kids {
		variables(k, into)
	}
}
