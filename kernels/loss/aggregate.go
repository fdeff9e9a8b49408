package loss

import (
	"fmt"
	"slices"
)

// Aggregation is how per-token losses become one number.
type Aggregation int

const (
	// TokenMean divides the sum over tokens by a token count (see Denominator).
	TokenMean Aggregation = iota
	// SeqMeanTokenSum sums each sequence's tokens, then averages over sequences.
	SeqMeanTokenSum
	// SeqMeanTokenMean averages within each sequence (over its valid or
	// selected tokens, see Denominator), then over sequences.
	SeqMeanTokenMean
	// SeqMeanTokenSumNorm sums each sequence's tokens and divides by a constant
	// length (Dr.GRPO: the maximum generation length), then averages over
	// sequences. verl's variant sums over sequences instead of averaging, which
	// is this times the number of sequences.
	SeqMeanTokenSumNorm
)

var aggregationNames = []string{"token-mean", "seq-mean-token-sum", "seq-mean-token-mean", "seq-mean-token-sum-norm"}

// String returns the mode's name as recipes spell it, e.g. "token-mean".
func (a Aggregation) String() string {
	if a >= 0 && int(a) < len(aggregationNames) {
		return aggregationNames[a]
	}
	return fmt.Sprintf("Aggregation(%d)", int(a))
}

// AggregationNames returns the names of the aggregation modes, as recipes
// spell them, in the order of the constants.
func AggregationNames() []string { return slices.Clone(aggregationNames) }

// ParseAggregation returns the aggregation mode named s.
func ParseAggregation(s string) (Aggregation, error) {
	for i, n := range aggregationNames {
		if s == n {
			return Aggregation(i), nil
		}
	}
	return 0, fmt.Errorf("unknown loss aggregation %q: want token-mean, seq-mean-token-sum, seq-mean-token-mean or seq-mean-token-sum-norm", s)
}

// Denominator is what a mean over tokens divides by when a selector has
// weighted the tokens.
type Denominator int

const (
	// AllTokens divides by every valid response token, selected or not (the
	// paper's eq. 6, TRL).
	AllTokens Denominator = iota
	// SelectedTokens divides by the selected tokens only, i.e. the sum of the
	// selector weights over valid tokens (the paper's released code).
	SelectedTokens
)

var denominatorNames = []string{"all", "selected"}

// String returns the denominator's name as recipes spell it: all or selected.
func (d Denominator) String() string {
	if d >= 0 && int(d) < len(denominatorNames) {
		return denominatorNames[d]
	}
	return fmt.Sprintf("Denominator(%d)", int(d))
}

// DenominatorNames returns the names of the denominators: all, selected.
func DenominatorNames() []string { return slices.Clone(denominatorNames) }

// ParseDenominator returns the denominator named s (all or selected).
func ParseDenominator(s string) (Denominator, error) {
	for i, n := range denominatorNames {
		if s == n {
			return Denominator(i), nil
		}
	}
	return 0, fmt.Errorf("unknown loss denominator %q: want all or selected", s)
}

// Aggregate says how per-token terms are combined; Policy and Value embed it.
type Aggregate struct {
	Mode Aggregation
	// Denominator applies to TokenMean and to the per-sequence mean of
	// SeqMeanTokenMean; the other modes have no token count to choose.
	Denominator Denominator
	// NormLength is SeqMeanTokenSumNorm's divisor; 0 means the longest
	// sequence of the micro-batch (set it to the maximum generation length,
	// as Dr.GRPO does, to make it a true constant).
	NormLength float64
	// TokenCount, when positive, replaces TokenMean's count of tokens (set it
	// to the mini-batch's total valid or selected tokens, per Denominator,
	// when it is split into micro-batches).
	TokenCount float64
	// ValidTokenCount, when positive, is the mini-batch's count of valid
	// tokens, which the KL and entropy terms of Policy average over whatever
	// the Denominator. When 0 they use TokenCount under AllTokens, and the
	// micro-batch's own count under SelectedTokens.
	ValidTokenCount float64
	// SeqCount, when positive, replaces the number of sequences that the
	// seq-mean modes divide by (the mini-batch's, under micro-batching).
	SeqCount float64
}

// allTokens returns the aggregate of terms that every valid token carries
// (KL, entropy): a's mode with the AllTokens denominator and count.
func (a Aggregate) allTokens() Aggregate {
	all := a
	if a.Denominator != AllTokens {
		all.TokenCount = 0
	}
	if a.ValidTokenCount > 0 {
		all.TokenCount = a.ValidTokenCount
	}
	all.Denominator = AllTokens
	return all
}

// coefficients returns, for each sequence, the factor that multiplies a
// token's term in the aggregate: term weights are w_it·m_it·coef[i]. weights
// nil means every valid token has weight 1. Denominators that come out 0 give
// a coefficient of 0 (nothing to average). Tokens are only counted when the
// mode needs a count that TokenCount or SeqCount does not supply.
func (a Aggregate) coefficients(dst []float64, mask [][]bool, weights [][]float32, lengths func(i int) int) []float64 {
	n := len(dst)
	seqs := float64(n)
	if a.SeqCount > 0 {
		seqs = a.SeqCount
	}
	var c float64
	switch a.Mode {
	case TokenMean:
		tokens := a.TokenCount
		if tokens <= 0 {
			for i := range n {
				tokens += a.count(mask, weights, i, lengths(i))
			}
		}
		c = inv(tokens)
	case SeqMeanTokenSum:
		c = inv(seqs)
	case SeqMeanTokenMean:
		for i := range n {
			dst[i] = inv(a.count(mask, weights, i, lengths(i)) * seqs)
		}
		return dst
	case SeqMeanTokenSumNorm:
		norm := a.NormLength
		if norm <= 0 {
			for i := range n {
				norm = max(norm, float64(lengths(i)))
			}
		}
		c = inv(norm * seqs)
	default:
		panic("loss: unknown aggregation mode")
	}
	for i := range dst {
		dst[i] = c
	}
	return dst
}

// count returns the denominator's token count of sequence i: its valid
// tokens, or under SelectedTokens the sum of their weights.
func (a Aggregate) count(mask [][]bool, weights [][]float32, i, length int) float64 {
	var m []bool
	if mask != nil {
		m = mask[i]
	}
	if a.Denominator == SelectedTokens && weights != nil {
		var s [4]float32 // exact for 0/1 weights up to 2^24 tokens a lane
		w := weights[i]
		t := 0
		for ; t+4 <= length; t += 4 {
			for k := range 4 {
				if m == nil || m[t+k] {
					s[k] += w[t+k]
				}
			}
		}
		for ; t < length; t++ {
			if m == nil || m[t] {
				s[0] += w[t]
			}
		}
		return float64(s[0]) + float64(s[1]) + float64(s[2]) + float64(s[3])
	}
	if m == nil {
		return float64(length)
	}
	valid := 0
	for _, v := range m {
		if v {
			valid++
		}
	}
	return float64(valid)
}

func inv(x float64) float64 {
	if x == 0 {
		return 0
	}
	return 1 / x
}
