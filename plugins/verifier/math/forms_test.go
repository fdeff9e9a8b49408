package math

import "testing"

// TestAnswerForms covers the answer forms that need a rule of their own,
// family by family, each with answers that must be equal and answers that
// must not.
func TestAnswerForms(t *testing.T) {
	families := []struct {
		name  string
		cases []struct {
			answer, reference string
			want              bool
		}
	}{
		{"decimal commas and thousands separators", []struct {
			answer, reference string
			want              bool
		}{
			{`3,5`, `3.5`, true},
			{`1000,99`, `1000.99`, true},
			{`0,111`, `0.111`, true},
			{`-2,25`, `-\frac94`, true},
			{`12{,}345`, `12345`, true},
			{`1,234,567`, `1234567`, true},
			{`3,5`, `3, 5`, true}, // also the list 3, 5
			{`3,5`, `5,3`, true},
			{`3,5`, `35`, false},
			{`3,5`, `3.6`, false},
			{`0,111`, `111`, false},
			{`12{,}345`, `12.345`, false},
			{`1,234`, `1.234`, false},
			{`(3,5)`, `3.5`, false},
		}},
		{"times and ratios", []struct {
			answer, reference string
			want              bool
		}{
			{`19:45`, `7:45 PM`, true},
			{`19:45:00`, `19:45`, true},
			{`7:45 \text{ p.m.}`, `19:45`, true},
			{`7:45`, `7:45 \text{ a.m.}`, true},
			{`12:30 a.m.`, `0:30`, true},
			{`3:4`, `\frac34`, true},
			{`3:4`, `6:8`, true},
			{`8 \text{ AM}`, `8:00 a.m.`, true},
			{`1:2:3`, `2:4:6`, true},
			{`2 : 3 : 4`, `\frac12 : \frac34 : 1`, true},
			{`8 \text{ PM}`, `8:00`, true},
			{`19:45`, `7:45 AM`, false},
			{`19:45:30`, `19:45`, false},
			{`12:30 p.m.`, `0:30`, false},
			{`7:15`, `7:45`, false},
			{`3:4`, `4:3`, false},
			{`8`, `8:00 AM`, false},
			{`1:2:3`, `1:3:2`, false},
			{`1:2:3`, `1:2`, false},
			{`8 \text{ PM}`, `8:00 AM`, false},
			{`\text{7:45 p.m.}`, `19:45`, true}, // a time written as text is a time
			{`\mathrm{7:45\ PM}`, `19:45:00`, true},
			{`\text{7:45 a.m.}`, `19:45`, false},
		}},
		{"lists, sets of tuples and lists with words", []struct {
			answer, reference string
			want              bool
		}{
			{`(1,2),(3,4)`, `(3, 4), (1, 2)`, true},
			{`\{(1,2),(3,4)\}`, `(3,4),(1,2)`, true},
			{`3, 5, and 8`, `3,5,8`, true},
			{`3, 5 and 8`, `8,5,3`, true},
			{`3, 5, \text{ and } 8`, `3,5,8`, true},
			{`p=5, q=2 \text{ and } p=7, q=2`, `p=7, q=2; p=5, q=2`, true},
			{`(1,2),(3,4)`, `(2, 1), (3, 4)`, false},
			{`3, 5, and 8`, `3,5`, false},
			{`3, 5 and 8`, `3,5,9`, false},
		}},
		{"values inside relations, inequalities and systems", []struct {
			answer, reference string
			want              bool
		}{
			{`x \approx 4`, `4`, true},
			{`y = 4`, `4`, true},
			{`4 = x`, `4`, true},
			{`1 < x \le 3`, `x \in (1, 3]`, true},
			{`|x-2| > 1`, `(-\infty,1)\cup(3,\infty)`, true},
			{`|x| \le 3`, `[-3,3]`, true},
			{`3 > |2 - x|`, `(-1, 5)`, true},
			{`\begin{cases} x = 1 \\ y = 2 \end{cases}`, `(1,2)`, true},
			{`\begin{aligned} y &= 2 \\ x &= 1 \end{aligned}`, `x = 1, y = 2`, true},
			{`\{x \mid x > 2\}`, `(2, \infty)`, true},
			{`x \ge 2`, `\{x : x \geq 2\}`, true},
			{`x \approx 4`, `5`, false},
			{`\pi \approx 3.14`, `3.14`, false}, // the answer is π; what follows \approx is dropped
			{`1 < x < 3`, `x \in (1, 3]`, false},
			{`|x-2| > 1`, `(1, 3)`, false},
			{`|x| < 3`, `[-3,3]`, false},
			{`\begin{cases} x = 1 \\ y = 2 \end{cases}`, `(2,1)`, false},
			{`\{x : x > 2\}`, `[2, \infty)`, false},
			{`x > -3 \text{ and } x < 3`, `(-3, 3)`, true}, // "and" between two bounds: both hold
			{`x \geq 1 \text{ and } x \leq 2`, `[1, 2]`, true},
			{`3 > x \text{ and } -3 < x`, `-3 < x < 3`, true},
			{`x > -3 \text{ and } x < 3`, `(-3, 3]`, false},
			{`x > -3 \text{ and } x < 3`, `(-\infty, \infty)`, false},
			{`x < -3 \text{ or } x > 3`, `(-3, 3)`, false},
			{`x > 1 \text{ and } y < 2`, `(1, 2)`, false},
		}},
		{"units, text after a number and percentages", []struct {
			answer, reference string
			want              bool
		}{
			{`5 \text{ m}`, `5`, true},
			{`5\mathrm{m}`, `5`, true},
			{`5 \text{ apples}`, `5`, true},
			{`5\text{ cm}^2`, `5`, true},
			{`5\text{ cm}`, `5 \text{ centimeters}`, true},
			{`25\%`, `0.25`, true},
			{`25\%`, `25`, true},
			{`5x`, `5`, false},
			{`5 m`, `5`, false},
			{`5\text{ m}`, `5\text{ cm}`, false},
			{`5\text{ kg}`, `5\text{ g}`, false},
			{`25\%`, `2.5`, false},
			{`\text{5 m}`, `5`, true}, // a value and its unit in one \text{}
			{`\text{12 cm}`, `12\text{ cm}`, true},
			{`\text{5 m}`, `5\text{ cm}`, false},
			{`\text{5 m}`, `6`, false},
			{`5\,\mathrm{m/s}`, `5`, true}, // a compound unit
			{`5\,\mathrm{m/s}`, `6`, false},
			{`20 \text{ percent}`, `0.2`, true}, // a percent sign written as a word
			{`20 \text{ percent}`, `20`, true},
			{`20 \text{ percent}`, `2`, false},
		}},
	}
	g := defaultGrader(t)
	for _, f := range families {
		for _, tt := range f.cases {
			r := g.Equal(tt.answer, tt.reference)
			if r.Correct != tt.want {
				t.Errorf("%s: Equal(%q, %q) = %v (%s), want %v", f.name, tt.answer, tt.reference, r.Correct, r.Reason, tt.want)
			}
		}
	}
}

// TestResponseForms covers where Grade finds the answer of a response and of
// a reference: several boxes, boxes with text between them, references that
// are whole solutions, responses without a box.
func TestResponseForms(t *testing.T) {
	tests := []struct {
		extract             []string
		response, reference string
		want                bool
	}{
		{nil, `So $x = \boxed{2}$ or $x = \boxed{3}$.`, `2, 3`, true},
		{nil, `The roots are \boxed{3} and \boxed{-1}.`, `-1, 3`, true},
		{nil, `\boxed{a = 1}, \boxed{b = 2}`, `a=1, b=2`, true},
		{nil, `$d = \boxed{15\frac{39}{40}},$ or $\boxed{\frac{639}{40}}$ inches.`, `\frac{639}{40}`, true},
		{nil, `First \boxed{2}. Wait, that is wrong: the answer is \boxed{3}.`, `3`, true},
		{nil, `\boxed{2} and \boxed{3}`, `3`, false},
		{nil, `\boxed{1} \text{ and } \boxed{2}`, `1, 2`, true}, // a connector in \text{} between boxes
		{nil, `\boxed{2} \quad \text{or} \quad \boxed{3}`, `2, 3`, true},
		{nil, `\boxed{2}, \boxed{3}, \text{and } \boxed{4}`, `2, 3, 4`, true},
		{nil, `\boxed{1} \text{ and } \boxed{2}`, `2`, false},
		{nil, `\boxed{1} \text{, so the sum is } \boxed{2}`, `1, 2`, false}, // a sentence: the last box
		{nil, `\boxed{\text{5 m}}`, `5`, true},
		{nil, `\boxed{9999 \frac{6}{7}} or \boxed{9999.857142857143}`, `10000`, false},
		{nil, `The answer is \boxed{72}.`, "Natalia sold 48/2 = 24 clips in May.\nShe sold 48+24 = 72 clips.\n#### 72", true},
		{nil, `The answer is \boxed{5}.`, `We add 2 and 3. So the final answer is $5$.`, true},
		{nil, `The answer is \boxed{6}.`, `We add 2 and 3. So the final answer is $5$.`, false},
		{nil, `\boxed{\text{Evelyn}}`, `\text{Evelyn}`, true},
		{nil, `\boxed{\begin{pmatrix} 1 \\ 2 \end{pmatrix}}`, "\\begin{pmatrix}\n1 \\\\\n2\n\\end{pmatrix}", true},
		{nil, `\boxed{2}`, "\\begin{pmatrix}\n1 \\\\\n2\n\\end{pmatrix}", false},
		{[]string{ExtractBoxed, ExtractLastNumber}, `There are 12 apples and 30 pears, 42 in all.`, `42`, true},
		{[]string{ExtractBoxed, ExtractLastNumber}, `So $x = -\dfrac{3}{4}$.`, `-0.75`, true},
		{[]string{ExtractBoxed, ExtractLastNumber}, `There are 42 fruits; 12 are apples.`, `42`, false},
		{[]string{ExtractLastNumber}, `Le total est de 2,74 €.`, `2.74`, true},
		{[]string{ExtractLastNumber}, `We count 7,500 pears.`, `7.5`, false},
		{[]string{ExtractLastNumber}, `So the total is $1{,}000$.`, `1000`, true}, // LaTeX's thousands separators
		{[]string{ExtractLastNumber}, `So the total is 1\,000.`, `1000`, true},
		{[]string{ExtractLastNumber}, `There are 12{,}345 people.`, `12345`, true},
		{[]string{ExtractLastNumber}, `There are 12{,}345 people.`, `345`, false},
		{[]string{ExtractLastNumber}, `The mass is $3{,}5$ kg.`, `3.5`, true},
		{[]string{ExtractFreeText}, "Some work.\nThe final answer is: 7:45 p.m.", `19:45`, true}, // a time, not its first number
		{[]string{ExtractFreeText}, "Some work.\nThe final answer is: 7:45 p.m.", `7:45 \text{ a.m.}`, false},
		{nil, `There are 12 apples and 30 pears, 42 in all.`, `42`, false}, // the default reads boxes only
	}
	for _, tt := range tests {
		o := DefaultOptions()
		if tt.extract != nil {
			o.Extract = tt.extract
		}
		g, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		if r := g.Grade(tt.response, tt.reference); r.Correct != tt.want {
			t.Errorf("%v: Grade(%q, %q) = %v (answer %q: %s), want %v", o.Extract, tt.response, tt.reference, r.Correct, r.Answer, r.Reason, tt.want)
		}
	}
}
