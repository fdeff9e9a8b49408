// Package analysis computes figures of sampled responses for reports and
// summary.json: how per-token entropy is distributed (a histogram, the share
// of tokens below small thresholds, the share of all entropy that the top
// fraction of tokens holds) and which tokens, or which kinds of tokens,
// carry it; how two models' high-entropy positions on the same responses
// overlap (TopOverlap) and which base-entropy percentiles training changed
// (ChangeByBin); entropy percentiles over training steps; and the spread of
// a result across seeds.
//
// The input is ragged, one slice per response, as backends return it; the
// package has no I/O and no dependency on the rest of forkrl.
package analysis
