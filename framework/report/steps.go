package report

import (
	"fmt"

	"github.com/forkrl/forkrl/framework/analysis"
	"github.com/forkrl/forkrl/framework/figure"
)

// EntropySteps returns the percentiles of the token entropies of the run's
// saved rollouts, step by step (analysis.EntropyOverSteps).
func (r *Run) EntropySteps() ([]analysis.StepEntropy, error) {
	steps := make([]int, len(r.Samples))
	ents := make([][][]float32, len(r.Samples))
	for i, ss := range r.Samples {
		steps[i] = ss.Step
		for _, s := range ss.Samples {
			ents[i] = append(ents[i], s.Entropies)
		}
	}
	return analysis.EntropyOverSteps(steps, ents)
}

// EntropyStepsChart plots the entropy percentiles of the run named name over
// its steps, and their mean with withMean.
func EntropyStepsChart(name string, steps []analysis.StepEntropy, withMean bool) figure.Line {
	l := figure.Line{Title: "entropy percentiles over steps: " + name, XLabel: "step", YLabel: "entropy (nats)"}
	series := func(name string, y func(analysis.StepEntropy) float64) {
		ser := figure.Series{Name: name}
		for _, s := range steps {
			ser.X, ser.Y = append(ser.X, float64(s.Step)), append(ser.Y, y(s))
		}
		l.Series = append(l.Series, ser)
	}
	for qi, p := range analysis.Percentiles {
		series(fmt.Sprintf("p%g", 100*p), func(s analysis.StepEntropy) float64 { return s.Quantiles[qi].Value })
	}
	if withMean {
		series("mean", func(s analysis.StepEntropy) float64 { return s.Mean })
	}
	return l
}
