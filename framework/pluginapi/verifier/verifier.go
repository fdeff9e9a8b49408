// Package verifier defines the verifier plugin kind: the reward function of
// a task.
package verifier

import (
	"context"

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
	Reason string // why no answer could be parsed or why it is wrong; empty when correct
}

// VerifyResponse holds one result per item.
type VerifyResponse struct {
	Results     []Result
	Diagnostics pluginapi.Diagnostics
}
