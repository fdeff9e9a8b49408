package math

import (
	"testing"
	"time"
)

// fuzzBound is the time one answer may take in the fuzz tests: far above the
// microseconds a real answer takes, far below a hang.
const fuzzBound = 250 * time.Millisecond

var fuzzSeeds = []string{
	`\boxed{\frac{1}{2}}`, `The answer is \boxed{(1, 2]}`, `\boxed 5`, `\fbox{x^2}`,
	"Answer: 7,425,000", `$\begin{pmatrix}1&2\\3&4\end{pmatrix}$`, `x \in [-2, 7)`,
	`\{1 \pm \sqrt{5}, -2\}`, `y = -\frac12 x + \frac34`, `10\text{ cm}^2`, `90^\circ`,
	`\sin^2(x)+\cos^2 x`, `204_5`, `\left( \frac{4}{3}, -\frac{1}{3} \right)`, `25\%`, `\$1,000.99`,
	`a_{37} = 19, a_3 = 2`, `-793 < a < 10`, `\boxed{\boxed{\boxed{}}}`, `\frac{`, `}{`, `\sqrt[3]{-8}`,
	`3.0 \times 10^8`, `4.5e33`, `1e999`, `0^{-1}`, `\log_2 0`, `(((((`, `|x|||`, `\text{\text{\text{a}}}`,
	`3,5`, `0,111`, `12{,}345`, `19:45:00`, `7:45 \text{ p.m.}`, `3:4`, `3, 5, and 8`, `p=5, q=2 \text{ and } p=7, q=2`,
	`x \approx 4`, `|x-2| > 1`, `3 > |2 - x|`, `\begin{cases} x = 1 \\ y = 2 \end{cases}`, `\begin{aligned} y &= 2 \end{aligned}`,
	`5\text{ m}`, `5\mathrm{cm}`, `\boxed{2} or \boxed{3}`, `\boxed{15\frac{39}{40}},$ or $\boxed{\frac{639}{40}}`,
	"She sold 48+24 = 72 clips.\n#### 72", `\boxed\boxed\boxed`, `10^10^10`, `||||x|||| < 1`,
}

// within runs f and fails the test, with its input, when f takes longer
// than fuzzBound, even when f never returns.
func within(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
		if d := time.Since(start); d > fuzzBound {
			t.Fatalf("took %v, over the bound of %v", d, fuzzBound)
		}
	case <-time.After(4 * fuzzBound):
		t.Fatalf("did not finish within %v", 4*fuzzBound)
	}
}

// FuzzGrade feeds arbitrary responses and references through every
// extraction method: the grader must neither panic nor exceed the bound.
func FuzzGrade(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, fuzzSeeds[(i+7)%len(fuzzSeeds)])
	}
	o := DefaultOptions()
	o.Extract = []string{ExtractBoxed, ExtractAnswerLine, ExtractFreeText, ExtractLastNumber}
	g, err := New(o)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, response, reference string) {
		var r Result
		within(t, func() { r = g.Grade(response, reference) })
		if r.Correct == (r.Reason != "") {
			t.Errorf("Grade(%q, %q) = %+v: a wrong answer needs a reason and a right one none", response, reference, r)
		}
		if g.Grade(response, reference) != r {
			t.Errorf("Grade(%q, %q) is not deterministic", response, reference)
		}
	})
}

// FuzzNormalise feeds arbitrary answers to the normaliser and the parser,
// and checks that an answer is always equivalent to itself.
func FuzzNormalise(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	g, err := New(DefaultOptions())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var r Result
		within(t, func() {
			parse(clean(s))
			Extract(s)
			r = g.Equal(s, s)
		})
		if len(s) <= DefaultOptions().MaxAnswerLen && !r.Correct {
			t.Errorf("%q is not equal to itself: %s", s, r.Reason)
		}
	})
}
