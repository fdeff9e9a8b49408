package trainer

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/forkrl/forkrl/framework/rundir"
)

// checkStep refuses a step whose result cannot be trusted: one that trained
// no token (every response empty, or no batch left to train), or whose
// losses or gradient norms are NaN or infinite. The model has then learnt
// nothing, or something broken, so the run stops as failed rather than
// finishing on a model that did not train; its newest checkpoint is still
// the one before the step. During a separate critic's warm-up, and in a
// step that dynamic sampling skipped (dynamic_sampling_on_exhausted =
// "skip"), the policy trains no token by design.
func checkStep(m rundir.Metrics, tokens int64, criticWarmup bool) error {
	var bad []string
	for name, v := range m {
		if (strings.HasSuffix(name, "loss") || strings.HasSuffix(name, "grad_norm")) && (math.IsNaN(v) || math.IsInf(v, 0)) {
			bad = append(bad, fmt.Sprintf("%s is %v", name, v))
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("the update diverged: %s (lower the learning rate, or check the model and its checkpoint)", strings.Join(bad, ", "))
	}
	if tokens == 0 && !criticWarmup && m["dynamic_sampling/skipped"] != 1 {
		return fmt.Errorf("no token was trained: the batch was empty (dynamic sampling kept %v groups) or its responses had no tokens; look at the model's generations and the rewards", m["dynamic_sampling/groups_kept"])
	}
	return nil
}

// criticWarmup reports whether step is one of PPO's critic warm-up steps
// with a separate critic, in which only the critic trains.
func (t *Trainer) criticWarmup(step int) bool {
	return t.critic != nil && step <= t.alg.CriticWarmupSteps
}
