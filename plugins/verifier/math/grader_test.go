package math

import (
	"strings"
	"testing"
	"time"
)

func defaultGrader(t testing.TB) *Grader {
	g, err := New(DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestEqual covers each normalisation and equivalence rule the grader implements.
func TestEqual(t *testing.T) {
	tests := []struct {
		answer, reference string
		want              bool
	}{
		// normalisation
		{`\left( 3, \frac{\pi}{2} \right)`, `(3,\frac{\pi}{2})`, true},
		{`\dfrac{1}{2}`, `\tfrac12`, true},
		{`10\text{ cm}^2`, `10`, true},
		{`90^\circ`, `90`, true},
		{`90^\circ`, `\frac{\pi}{2}`, true},
		{`60^\circ`, `\frac{\pi}{2}`, false},
		{`25\%`, `25`, true},
		{`\$7.50`, `7.5`, true},
		{`7,425,000`, `7425000`, true},
		{`10{,}000`, `10000`, true},
		{`10\,000`, `10000`, true},
		{`1\,234\,567.5`, `1234567.5`, true},
		{`10\,000`, `0`, false},
		{`5.0`, `5`, true},
		{`x = 3`, `3`, true},
		{`023`, `23`, true},
		{`\text{Evelyn}`, `Evelyn`, true},
		{`\text{(C)}`, `C`, true},
		{`\text{(C)}`, `(D)`, false},
		// numbers
		{`0.5`, `\frac{1}{2}`, true},
		{`0.3333333`, `\frac13`, true},
		{`0.33`, `\frac13`, false},
		{`3.0 \times 10^8`, `300000000`, true},
		{`4.5e33`, `4.5\times10^{33}`, true},
		{`2\sqrt{2}`, `\sqrt{8}`, true},
		{`\frac{\sqrt{3}}{2}`, `0.8660254`, true},
		{`2^{10}`, `1024`, true},
		{`\pi/2`, `\frac{\pi}{2}`, true},
		{`1`, `-1`, false},
		{`3`, `4`, false},
		// expressions
		{`(x+1)^2`, `x^2+2x+1`, true},
		{`x^2+2x`, `x^2+2x+1`, false},
		{`\frac{x+2}{7}`, `\frac{x}{7}+\frac{2}{7}`, true},
		{`\sin^2 x + \cos^2 x`, `1`, true},
		{`2\cos(x)`, `2\sin(90^\circ - x)`, true},
		// structures
		{`(1, 2)`, `(1,2)`, true},
		{`(1, 2)`, `(2, 1)`, false},
		{`[1, 2)`, `[1,2]`, false},
		{`(-\infty, 3]`, `x \le 3`, true},
		{`(-\infty,1)\cup(1,\infty)`, `x \neq 1`, true},
		{`(1,\infty)\cup(-\infty,-1)`, `(-\infty,-1)\cup(1,\infty)`, true},
		{`\{1, 2, 3\}`, `\{3, 2, 1\}`, true},
		{`3, 1, 2`, `1, 2, 3`, true},
		{`1, 2`, `1, 2, 3`, false},
		{`1 \pm \sqrt{2}`, `1+\sqrt2, 1-\sqrt2`, true},
		{`\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}`, `\begin{bmatrix}1&2\\3&4\end{bmatrix}`, true},
		{`\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}`, `\begin{pmatrix}1&2\\4&3\end{pmatrix}`, false},
		{`2\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix} - \begin{pmatrix} 1 & 0 \\ 0 & 1 \end{pmatrix}`, `\begin{pmatrix}1&4\\6&7\end{pmatrix}`, true},
		{`\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}\begin{pmatrix} 0 & 1 \\ 1 & 0 \end{pmatrix}`, `\begin{pmatrix}2&1\\4&3\end{pmatrix}`, true},
		{`\begin{pmatrix} 1 & 2 \end{pmatrix}\begin{pmatrix} 1 & 2 \end{pmatrix}`, `5`, false},
		{`\mathbb{R}`, `(-\infty, \infty)`, true},
		{`\emptyset`, `\varnothing`, true},
		{`\sqrt{-4}`, `2i`, true},
		{`x < -1 \text{ or } x > 1`, `(-\infty,-1)\cup(1,\infty)`, true},
		{`69,84`, `69$,$84`, true},
		{`a=-6-4 \sqrt{2}, a=2`, `a=2$, $a=-6-4 \sqrt{2}`, true},
		{`a=2, a=3`, `a=2`, false},
		{`x=1, y=2`, `y=2, x=1`, true},
		{`x=1, y=2`, `x=2, y=1`, false},
		// equations
		{`y = 2x + 3`, `2x - y + 3 = 0`, true},
		{`y = 2x + 3`, `y = 2x + 4`, false},
		{`7 = 11a + c`, `11a + c`, false},
		{`204_5`, `204_{5}`, true},
		{`204_5`, `54`, false},
	}
	g := defaultGrader(t)
	for _, tt := range tests {
		r := g.Equal(tt.answer, tt.reference)
		if r.Correct != tt.want {
			t.Errorf("Equal(%q, %q) = %v (%s), want %v", tt.answer, tt.reference, r.Correct, r.Reason, tt.want)
		}
		if r.Correct == (r.Reason != "") {
			t.Errorf("Equal(%q, %q): a wrong answer needs a reason and a right one none: %q", tt.answer, tt.reference, r.Reason)
		}
	}
}

func TestExtraction(t *testing.T) {
	tests := []struct {
		extract  []string
		response string
		answer   string // "" when none is found
	}{
		{[]string{ExtractBoxed}, `so \boxed{\frac{1}{2}} and then \boxed{\frac{3}{4}}.`, `\frac{3}{4}`},
		{[]string{ExtractBoxed}, `nested \boxed{\frac{a^{2}}{\sqrt{b}}}`, `\frac{a^{2}}{\sqrt{b}}`},
		{[]string{ExtractBoxed}, `the answer is $\boxed 5$.`, `5`},
		{[]string{ExtractBoxed}, `\fbox{958} values`, `958`},
		{[]string{ExtractBoxed}, `no box, Answer: 12`, ``},
		{[]string{ExtractBoxed, ExtractAnswerLine}, "work\nAnswer: 12\n", `12`},
		{[]string{ExtractAnswerLine}, "Answer: 3\nmore\nAnswer: $x+1$", `$x+1$`},
		{[]string{ExtractLastNumber}, "we get 12 apples and 7,500 pears", `7,500`},
		{[]string{ExtractFreeText}, "Final Answer: The final answer is $20\\%$. I hope it is correct.", `20\%`},
		{[]string{ExtractFreeText}, `The roots are $\boxed{1}$ and $\boxed{-2}$.`, `1, -2`},
		{[]string{ExtractFreeText}, "So the answer is 12 apples, not 15.", `12`},
		{[]string{ExtractFreeText}, "Thus the answer is -2 and 1.", `-2 and 1`},
	}
	for _, tt := range tests {
		o := DefaultOptions()
		o.Extract = tt.extract
		g, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		r := g.Grade(tt.response, "0")
		if r.Answer != tt.answer {
			t.Errorf("%v on %q: answer %q, want %q", tt.extract, tt.response, r.Answer, tt.answer)
		}
		if tt.answer == "" && (r.Correct || !strings.Contains(r.Reason, "no answer")) {
			t.Errorf("%v on %q: want reward 0 with a 'no answer' reason, got %+v", tt.extract, tt.response, r)
		}
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		change func(*Options)
		want   string
	}{
		{func(o *Options) { o.Extract = nil }, "no extraction method"},
		{func(o *Options) { o.Extract = []string{"boxd"} }, `unknown extraction method "boxd"`},
		{func(o *Options) { o.RelTol = -1 }, "relative tolerance"},
		{func(o *Options) { o.Points = 0 }, "points"},
		{func(o *Options) { o.Budget = 0 }, "budget"},
	}
	for _, tt := range tests {
		o := DefaultOptions()
		tt.change(&o)
		if _, err := New(o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("want an error containing %q, got %v", tt.want, err)
		}
	}
}

// TestPathological checks that hostile answers end quickly with reward 0.
func TestPathological(t *testing.T) {
	tests := []string{
		strings.Repeat(`\frac{1}{`, 500) + "2" + strings.Repeat("}", 500),
		strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000),
		"10^{10^{10^{10}}}",
		"9^{9999999999}",
		"1e99999999",
		strings.Repeat("x+", 3000) + "1",
		strings.Repeat(`1 \pm `, 200) + "1",
		strings.Repeat("(1,", 300) + "1" + strings.Repeat(")", 300),
		strings.Repeat("1,", 3000) + "1",
		strings.Repeat(`\sqrt{`, 300) + "2" + strings.Repeat("}", 300),
		strings.Repeat(`\begin{pmatrix}1&2\\3&4\end{pmatrix}`, 200),
		strings.Repeat(`\begin{pmatrix}1&2\\3&4\end{pmatrix}+`, 200) + "1",
		strings.Repeat(`(\begin{pmatrix}1&2\\3&4\end{pmatrix}\begin{pmatrix}1&2\\3&4\end{pmatrix}`, 40) + strings.Repeat(")", 40),
	}
	g := defaultGrader(t)
	for _, s := range tests {
		start := time.Now()
		r := g.Equal(s, "2")
		if d := time.Since(start); d > 200*time.Millisecond {
			t.Errorf("%.40q took %v", s, d)
		}
		if r.Correct {
			t.Errorf("%.40q: want reward 0", s)
		}
		r = g.Grade(`\boxed{`+s+`}`, s)
		_ = r // must return, whatever the verdict
	}
}

func TestDeterministic(t *testing.T) {
	g := defaultGrader(t)
	for i := 0; i < 3; i++ {
		if r := g.Equal(`\frac{x^2-1}{x-1}`, `x+1`); !r.Correct {
			t.Fatalf("run %d: %+v", i, r)
		}
	}
}
