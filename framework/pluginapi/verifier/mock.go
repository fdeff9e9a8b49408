package verifier

import (
	"context"

	"github.com/forkrl/forkrl/framework/pluginapi"
)

// Mock is a Verifier for tests: Verify runs VerifyFunc (nil: reward 1 when
// the response equals the reference, 0 otherwise).
type Mock struct {
	pluginapi.MockPlugin
	VerifyFunc func(ctx context.Context, req VerifyRequest) (VerifyResponse, error)
}

var _ Verifier = (*Mock)(nil)

// Verify runs m.VerifyFunc, or compares each response with its reference.
func (m *Mock) Verify(ctx context.Context, req VerifyRequest) (VerifyResponse, error) {
	if m.VerifyFunc != nil {
		return m.VerifyFunc(ctx, req)
	}
	var resp VerifyResponse
	for _, it := range req.Items {
		r := Result{Answer: it.Response}
		if it.Response == it.Reference {
			r.Reward = 1
		} else {
			r.Reason = "the response differs from the reference"
		}
		resp.Results = append(resp.Results, r)
	}
	return resp, nil
}
