// Package verifier defines the verifier plugin kind: the reward function of
// a task.
package verifier

import (
	"context"
	"fmt"
	"sort"

	"github.com/forkrl/forkrl/framework/pluginapi"
)

// Verifier scores responses against reference answers.
type Verifier interface {
	pluginapi.Plugin
	Verify(ctx context.Context, req VerifyRequest) (VerifyResponse, error)
}

// Item is one response to verify.
type Item struct {
	Problem   string
	Response  string
	Reference string
}

// VerifyRequest is a batch of items.
type VerifyRequest struct {
	Items []Item
}

// Result is the verdict on one item.
type Result struct {
	Reward float64
	Answer string // the answer parsed from the response
	// Reason is what the verifier found wrong (no answer, a wrong one,
	// unsound work); empty when nothing. A rewarded response may carry one
	// where the verifier's settings reward a verdict other than correct
	// (countdown's unsound work under check_work = false).
	Reason string
	// Verdict is the verifier's category of the response: VerdictCorrect,
	// VerdictWrongAnswer, VerdictNoAnswer, VerdictUnparsable or a category
	// of the verifier's own, in snake_case. A verifier that gives none
	// leaves it empty, and the host reads FromReward(Reward) instead.
	Verdict string
	// Roles label what the bytes of the response do, for analyses of
	// per-token entropy (nil: the verifier labels none).
	Roles Roles
}

// The verdicts verifiers share; a verifier may add categories of its own.
const (
	VerdictCorrect     = "correct"      // the answer earns the reward
	VerdictWrong       = "wrong"        // no reward, from a verifier that names no verdict
	VerdictWrongAnswer = "wrong_answer" // an answer was read and it is wrong
	VerdictNoAnswer    = "no_answer"    // no answer was found in the response
	VerdictUnparsable  = "unparsable"   // an answer was found but cannot be read
)

// FromReward is the verdict of a result whose verifier names none:
// VerdictCorrect for a positive reward, else VerdictWrong.
func FromReward(reward float64) string {
	if reward > 0 {
		return VerdictCorrect
	}
	return VerdictWrong
}

// Span gives the bytes [Start, End) of a response a role.
type Span struct {
	Start, End int
	Role       string
}

// Roles are the spans of a response that have a role, in ascending order
// and not overlapping.
type Roles []Span

// Label returns the spans of a labelling of each byte, merging runs of the
// same label; bytes labelled "" get no span.
func Label[R ~string](labels []R) Roles {
	var out Roles
	for i, l := range labels {
		switch {
		case l == "":
		case len(out) > 0 && out[len(out)-1].End == i && out[len(out)-1].Role == string(l):
			out[len(out)-1].End++
		default:
			out = append(out, Span{Start: i, End: i + 1, Role: string(l)})
		}
	}
	return out
}

// At is the role of the byte at offset i; "" when no span holds it.
func (r Roles) At(i int) string {
	k := sort.Search(len(r), func(k int) bool { return r[k].End > i })
	if k < len(r) && r[k].Start <= i {
		return r[k].Role
	}
	return ""
}

// Check reports spans out of order, overlapping, empty, unnamed or beyond
// a response of n bytes.
func (r Roles) Check(n int) error {
	at := 0
	for k, s := range r {
		switch {
		case s.Start < at || s.End <= s.Start:
			return fmt.Errorf("role span %d [%d, %d) is empty, out of order or overlaps the one before", k, s.Start, s.End)
		case s.End > n:
			return fmt.Errorf("role span %d [%d, %d) goes beyond the response's %d bytes", k, s.Start, s.End, n)
		case s.Role == "":
			return fmt.Errorf("role span %d [%d, %d) names no role", k, s.Start, s.End)
		}
		at = s.End
	}
	return nil
}

// VerifyResponse holds one result per item.
type VerifyResponse struct {
	Results     []Result
	Diagnostics pluginapi.Diagnostics
}
