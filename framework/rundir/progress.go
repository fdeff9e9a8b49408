package rundir

import (
	"fmt"
	"time"
)

// Progress is what the progress line of a run shows after a step.
type Progress struct {
	Step, Steps int
	// Loss, when Supervised, replaces reward and accuracy: a fine-tuning
	// run has no rollouts.
	Supervised   bool
	Loss         float64
	Reward       float64       // mean reward of the step's rollouts
	Accuracy     float64       // fraction of rollouts the verifier accepted
	Entropy      float64       // mean per-token entropy of the policy over all response tokens of the trained batch
	TokensPerSec float64       // trained tokens per second of wall time
	Left         time.Duration // estimated time to the end of the run
	Warning      string        // what went wrong in the step, such as a partial batch; "": nothing
}

// String renders the progress line, for example
//
//	step  12/100  reward 0.412  acc 41.2%  entropy 0.213  1.2k tok/s  3m12s left
//
// or, when Supervised, "step  12/100  loss 1.234  entropy ...". A warning
// ends the line: "…  3m12s left  ! partial batch: …".
func (p Progress) String() string {
	w := len(fmt.Sprint(p.Steps))
	head := fmt.Sprintf("step %*d/%d  reward %.3f  acc %5.1f%%", w, p.Step, p.Steps, p.Reward, 100*p.Accuracy)
	if p.Supervised {
		head = fmt.Sprintf("step %*d/%d  loss %.4f", w, p.Step, p.Steps, p.Loss)
	}
	line := fmt.Sprintf("%s  entropy %.3f  %s tok/s  %s left", head, p.Entropy, humanCount(p.TokensPerSec), p.Left.Round(time.Second))
	if p.Warning != "" {
		line += "  ! " + p.Warning
	}
	return line
}

// humanCount writes a rate with a k or M suffix.
func humanCount(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
