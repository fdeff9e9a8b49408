package trainer

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/rundir"
	"github.com/forkrl/forkrl/kernels/loss"
)

// TestSFTLearnsReferenceResponses fine-tunes the toy model on reference
// responses: the negative log-likelihood falls and the evaluation, which
// rewards responses containing the answer, improves.
func TestSFTLearnsReferenceResponses(t *testing.T) {
	cfg := toyRun()
	cfg.Selectors = nil
	cfg.Algorithm = recipe.Algorithm{Preset: recipe.PresetSFT, Policy: "policy", Advantage: recipe.AdvantageNone, LossAgg: loss.TokenMean.String(), Epochs: 1}
	cfg.Train.Steps, cfg.Train.LearningRate = 30, 0.1
	cfg.Train.MiniBatchSize = 4
	cfg.Eval.N, cfg.Eval.K, cfg.Eval.Interval = 8, []int{8}, 0
	dir := filepath.Join(t.TempDir(), "sft")
	d, err := rundir.Create(dir, rundir.Inputs{Settings: cfg})
	if err != nil {
		t.Fatal(err)
	}
	// Every reference response is "bb." after the prompt: the toy model can
	// learn it exactly, since it only sees the previous token.
	ds := toyDatasets()
	for i := range ds[0].Train {
		ds[0].Train[i].Answer = "bb."
	}
	for i := range ds[0].Eval {
		ds[0].Eval[i].Answer = "b"
	}
	tr, err := newToyTrainerWith(cfg, d, newToyModel(), ds)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lines, err := rundir.ReadMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	first, last := lines[0]["sft/loss"], lines[len(lines)-1]["sft/loss"]
	if !(last < first/2) {
		t.Errorf("sft/loss went from %.3f to %.3f; want it at least halved", first, last)
	}
	before, after := sum.InitialEval["letters"].AvgAtN, sum.FinalEval["letters"].AvgAtN
	if !(after > before+0.2) {
		t.Errorf("avg@k went from %.2f to %.2f; want a gain above 0.2", before, after)
	}
}
