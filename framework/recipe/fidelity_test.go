package recipe

import (
	"testing"

	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/kernels/loss"
)

// TestDAPOMathObjectives checks the two token-means recipes/dapo-math.hcl
// names: the paper's released code (selected-token mean per micro-batch of
// 32 responses) by default, and the paper's eq. 6 (all-token mean, top-ρ of
// the mini-batch).
func TestDAPOMathObjectives(t *testing.T) {
	for _, tc := range []struct {
		vars               []string
		denominator, scope string
	}{
		{nil, loss.SelectedTokens.String(), selector.ScopeMicro},
		{[]string{"objective=code"}, loss.SelectedTokens.String(), selector.ScopeMicro},
		{[]string{"objective=eq6"}, loss.AllTokens.String(), selector.ScopeMini},
	} {
		rec, diags := Load("../../recipes/dapo-math.hcl", Options{Vars: tc.vars})
		if diags.HasErrors() {
			t.Fatalf("%v: %v", tc.vars, diags)
		}
		r := rec.Runs[0]
		a, tr := r.Algorithm, r.Train
		if a.LossDenominator != tc.denominator || a.SelectScope != tc.scope || tr.MicroBatchSize != 32 || tr.MiniBatchSize != 512 {
			t.Errorf("%v: loss_denominator %q, scope %q, micro-batch %d of %d; want %q, %q, 32 of 512",
				tc.vars, a.LossDenominator, a.SelectScope, tr.MicroBatchSize, tr.MiniBatchSize, tc.denominator, tc.scope)
		}
	}
	if _, diags := Load("../../recipes/dapo-math.hcl", Options{Vars: []string{"objective=paper"}}); !diags.HasErrors() {
		t.Error("objective=paper was accepted")
	}
}
