package math

import (
	"path/filepath"
	"testing"
)

// BenchmarkGradeGradedOutputs grades every response of the graded outputs
// (full responses, last-\boxed{} extraction, default options) and reports
// answers per second on one goroutine.
func BenchmarkGradeGradedOutputs(b *testing.B) {
	benchmarkGradedOutputs(b, (*Grader).Grade)
}

// BenchmarkGradeFreeText grades every response of the graded outputs as
// free text on both sides (GradeExtracted: the response and the reference
// are both read by Extract), as `forkrl verify` grades lines of kind
// "extract", and reports answers per second on one goroutine.
func BenchmarkGradeFreeText(b *testing.B) {
	benchmarkGradedOutputs(b, (*Grader).GradeExtracted)
}

// benchmarkGradedOutputs grades every response of the graded outputs with
// grade and reports answers per second.
func benchmarkGradedOutputs(b *testing.B, grade func(g *Grader, response, reference string) Result) {
	var rows []gradedOutput
	for _, f := range []string{"qwen25-math-cot-100.jsonl", "nemo-skills-math-rs012.jsonl"} {
		rows = append(rows, readJSONL[gradedOutput](b, filepath.Join(dataDir, "graded-outputs", f))...)
	}
	g := defaultGrader(b)
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		for _, r := range rows {
			grade(g, r.Response, r.Gold)
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "answers/s")
}

// BenchmarkEqualExpressions compares answers that need the numeric path:
// expressions with variables, radicals, intervals.
func BenchmarkEqualExpressions(b *testing.B) {
	pairs := [][2]string{
		{`(x+1)^2`, `x^2+2x+1`},
		{`\frac{\sqrt{3}}{2}`, `0.8660254`},
		{`(-\infty, 1) \cup (1, \infty)`, `x \neq 1`},
		{`y = -\frac12 x + \frac34`, `2x+4y-3=0`},
	}
	g := defaultGrader(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, p := range pairs {
			g.Equal(p[0], p[1])
		}
	}
	b.ReportMetric(float64(b.N*len(pairs))/b.Elapsed().Seconds(), "answers/s")
}

// BenchmarkGradeEquivalenceCases grades every case of data/equivalence as
// the agreement test does (free text on both sides for most) and reports
// answers per second on one goroutine.
func BenchmarkGradeEquivalenceCases(b *testing.B) {
	cases := readJSONL[equivalenceCase](b, filepath.Join(dataDir, "equivalence", "cases.jsonl"))
	graders := make([]*Grader, len(cases))
	for i, c := range cases {
		graders[i] = graderFor(b, c)
	}
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		for k, c := range cases {
			verdict(graders[k], c)
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "answers/s")
}
