package loss

import (
	"fmt"
	"math"
	"slices"
)

// Estimator is a per-token estimator of KL(policy ‖ reference) from the two
// log-probs of the sampled token, with d = refLogp − logp (Schulman's k1, k2, k3).
type Estimator int

const (
	// K3 is e^d − d − 1: unbiased, non-negative, low variance. As in verl, d
	// is clamped to [−20, 20] and the estimate to [−10, 10]; the gradient is 0
	// where a clamp is active.
	K3 Estimator = iota
	// K1 is −d = logp − refLogp: unbiased, high variance, can be negative.
	K1
	// K2 is d²/2: biased, non-negative.
	K2
)

var estimatorNames = []string{"k3", "k1", "k2"}

// String returns the estimator's name: k1, k2 or k3.
func (e Estimator) String() string {
	if e >= 0 && int(e) < len(estimatorNames) {
		return estimatorNames[e]
	}
	return fmt.Sprintf("Estimator(%d)", int(e))
}

// EstimatorNames returns the names of the estimators, in the order of the
// constants.
func EstimatorNames() []string { return slices.Clone(estimatorNames) }

// ParseEstimator returns the estimator named s (k1, k2 or k3).
func ParseEstimator(s string) (Estimator, error) {
	for i, n := range estimatorNames {
		if s == n {
			return Estimator(i), nil
		}
	}
	return 0, fmt.Errorf("unknown KL estimator %q: want k1, k2 or k3", s)
}

// Value returns the estimate for one token and its derivative with respect to logp.
func (e Estimator) Value(logp, refLogp float64) (kl, dLogp float64) {
	d := refLogp - logp
	switch e {
	case K1:
		return -d, 1
	case K2:
		return d * d / 2, -d
	case K3:
		dc := min(max(d, -20), 20)
		ed := math.Exp(dc)
		k := ed - dc - 1
		if dc != d || k > 10 || k < -10 {
			return min(max(k, -10), 10), 0
		}
		return k, 1 - ed
	}
	panic("loss: unknown KL estimator")
}
