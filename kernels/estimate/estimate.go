// Package estimate computes evaluation metrics from k samples per problem:
// the mean accuracy avg@k and the unbiased pass@k estimator of Chen et al.
// (2021), 1 − C(n−c, k)/C(n, k), evaluated as a stable product rather than by
// bootstrapping.
package estimate

// AvgAtK returns the fraction of correct samples (avg@k with k = len(correct)).
func AvgAtK(correct []bool) float64 {
	if len(correct) == 0 {
		return 0
	}
	c := 0
	for _, ok := range correct {
		if ok {
			c++
		}
	}
	return float64(c) / float64(len(correct))
}

// PassAtK returns the unbiased estimate of the probability that at least one
// of k samples is correct, given c correct out of n drawn samples (k ≤ n):
// 1 − C(n−c, k)/C(n, k) = 1 − Π_{i=n−c+1..n} (1 − k/i). It panics when k is
// not in [1, n] or c not in [0, n].
func PassAtK(n, c, k int) float64 {
	if k < 1 || k > n || c < 0 || c > n {
		panic("estimate: pass@k needs 1 ≤ k ≤ n and 0 ≤ c ≤ n")
	}
	if n-c < k {
		return 1
	}
	p := 1.0
	for i := n - c + 1; i <= n; i++ {
		p *= 1 - float64(k)/float64(i)
	}
	return 1 - p
}
