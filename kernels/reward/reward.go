// Package reward holds the reward-side rules of DAPO: the soft penalty for
// overlong responses and the dynamic-sampling filter that drops groups
// without a learning signal.
package reward

// Overlong is DAPO's soft overlong punishment. Responses up to
// MaxLength − Buffer tokens get 0; beyond that the penalty grows linearly,
// −Factor·(L − (MaxLength − Buffer))/Buffer, reaching −Factor at MaxLength
// (and continuing past it, as in DAPO's code, for responses that overrun).
type Overlong struct {
	MaxLength int     // L_max, e.g. 20480
	Buffer    int     // L_cache, e.g. 4096
	Factor    float64 // penalty at L_max, e.g. 1
}

// Penalty returns the reward to add for a response of length tokens (≤ 0).
func (o Overlong) Penalty(length int) float64 {
	if o.Buffer <= 0 {
		return 0
	}
	exceed := length - (o.MaxLength - o.Buffer)
	return min(-float64(exceed)/float64(o.Buffer)*o.Factor, 0)
}

// HasSignal is DAPO's dynamic-sampling predicate: a group of rewards for one
// prompt is kept unless all its rewards are equal (every response right or
// every response wrong gives zero group-relative advantage). A group of one
// is kept, as in verl (its standard deviation is undefined, not zero); an
// empty group is dropped.
func HasSignal(group []float32) bool {
	if len(group) <= 1 {
		return len(group) == 1
	}
	for _, r := range group[1:] {
		if r != group[0] {
			return true
		}
	}
	return false
}
