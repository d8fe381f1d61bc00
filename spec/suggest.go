package spec

import (
	"fmt"
	"strings"
)

// didYouMean returns ` (did you mean "x"?)` when exactly one of the candidates
// is a near miss for s, ignoring case, and "" otherwise.
func didYouMean(s string, candidates []string) string {
	const maxLen = 64 // longer words are no typo of ours, and cost quadratic time
	if s == "" || len(s) > maxLen {
		return ""
	}
	lower := strings.ToLower(s)
	best, bestDist, ties := "", -1, 0
	for _, c := range candidates {
		d := editDistance(lower, c)
		if d > maxTypos(c) {
			continue
		}
		switch {
		case bestDist < 0 || d < bestDist:
			best, bestDist, ties = c, d, 0
		case d == bestDist:
			ties++
		}
	}
	if bestDist < 0 || ties > 0 || best == s {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// maxTypos is how many edits a word may be away from c to count as a typo of c.
func maxTypos(c string) int {
	if len(c) <= 4 {
		return 1
	}
	return 2
}

// editDistance is the optimal string alignment distance between a and b: the
// number of rune insertions, deletions, substitutions and transpositions of
// adjacent runes that turn a into b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// prev2, prev and cur are rows i-2, i-1 and i of the distance matrix.
	prev2 := make([]int, len(rb)+1)
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
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
