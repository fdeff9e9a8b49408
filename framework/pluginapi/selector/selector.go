// Package selector defines the selector plugin kind: which tokens of a batch
// get a policy gradient, and with what weight.
package selector

import (
	"context"

	"github.com/forkrl/forkrl/framework/pluginapi"
)

// Scopes: which tokens one Select call sees. The scope is a host attribute
// of a recipe's selector block, as is where the entropies come from: the
// host reads both and hands Select the batch they name; a selector may not
// declare settings of those names.
const (
	ScopeMicro = "micro" // one micro-batch (the paper's released code)
	ScopeMini  = "mini"  // one mini-batch
	ScopeStep  = "step"  // all tokens of the step
)

// Scopes are the scopes, from the smallest.
var Scopes = []string{ScopeMicro, ScopeMini, ScopeStep}

// Selector weighs the tokens of a batch.
type Selector interface {
	pluginapi.Plugin
	Select(ctx context.Context, req SelectRequest) (SelectResponse, error)
}

// SelectRequest is a ragged batch: one slice per response, one value per token.
type SelectRequest struct {
	Entropies  [][]float32
	LogProbs   [][]float32
	Advantages [][]float32
	Masks      [][]bool // valid tokens; nil: all valid
	Step       int
	Seed       uint64 // the random stream of this call, derived by the host from the run seed
}

// SelectResponse holds a weight per token (0/1 for the paper's policies).
type SelectResponse struct {
	Weights     [][]float32
	Threshold   float64 // the entropy threshold that decided the selection, if any
	Selected    int     // tokens with a non-zero weight
	Diagnostics pluginapi.Diagnostics
}
