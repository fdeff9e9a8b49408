// Package suggest finds the likely intended name for a misspelt one, for
// "did you mean" hints in recipe and hook errors.
package suggest

import "strings"

// Closest returns the candidate closest to name by edit distance (ignoring
// case), or "" when none is close enough to be a likely typo: within a third
// of the name's length, and at least within 2.
func Closest(name string, candidates []string) string {
	best, bestDist := "", max(3, len(name)/3+1)
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(name), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
