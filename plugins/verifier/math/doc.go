// Package math is forkrl's math verifier: it finds the final answer of a
// model's response (the last \boxed{}, an "Answer:" line, the last number or
// free text), normalises it (LaTeX spellings, units, thousands separators,
// percent and degree signs) and decides whether it is mathematically
// equivalent to a reference answer: exactly in rational arithmetic where it
// can, numerically within a relative tolerance, and for expressions with
// variables by evaluation at seeded points. Tuples, intervals, sets, lists,
// matrices, equations and inequalities are compared by structure.
//
// Everything is deterministic and bounded: answers longer than a set length
// and comparisons that exceed a work budget get reward 0 with a reason.
package math
