package trainer

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/rundir"
	"github.com/forkrl/forkrl/framework/seeds"
	"github.com/forkrl/forkrl/kernels/estimate"
)

// evalChunk is the number of problems sent to one Generate call during evaluation.
const evalChunk = 64

// evaluate samples n responses to each held-out problem of every eval
// dataset and reports avg@n (mean accuracy over all samples), the unbiased
// pass@k from them for each k the recipe asks, the mean response length and
// the mean per-token entropy. It logs the results, keeps the best (by avg@n),
// and calls the on_eval hook.
func (t *Trainer) evaluate(ctx context.Context, step int) (rundir.Evaluation, error) {
	begin := time.Now()
	ev := rundir.Evaluation{}
	for _, ds := range t.evals {
		r, err := t.evaluateDataset(ctx, step, ds)
		if err != nil {
			return nil, fmt.Errorf("dataset %q: %w", ds.Name, err)
		}
		ev[ds.Name] = r
	}
	if err := t.dir.AppendEval(step, ev); err != nil {
		return nil, err
	}
	t.state.LastEval, t.state.LastEvalStep = ev, step
	if t.state.BestEval == nil || meanAvgAtN(ev) > meanAvgAtN(t.state.BestEval) {
		t.state.BestEval, t.state.BestEvalStep = ev, step
	}
	results := map[string]map[string]float64{}
	for name, r := range ev {
		results[name] = map[string]float64{
			"n": float64(r.N), "avg_at_n": r.AvgAtN,
			"mean_length": r.MeanLength, "mean_entropy": r.MeanEntropy,
			"timing_s": time.Since(begin).Seconds(),
		}
		for k, p := range r.PassAtK {
			results[name][fmt.Sprintf("pass_at_%d", k)] = p
		}
	}
	out, err := t.hooks.OnEval(ctx, step, results)
	if err != nil {
		return nil, err
	}
	if out.Stop {
		t.state.Stopped = true
	}
	return ev, nil
}

// evaluateDataset evaluates one dataset.
func (t *Trainer) evaluateDataset(ctx context.Context, step int, ds *Dataset) (rundir.EvalResult, error) {
	n := max(t.cfg.Eval.N, 1)
	problems := ds.Eval
	if limit := t.cfg.Eval.Problems; limit > 0 && limit < len(problems) {
		problems = problems[:limit]
	}
	maxTokens := t.cfg.Eval.MaxResponseTokens
	if maxTokens == 0 {
		maxTokens = t.hp.MaxResponseTokens
	}
	sampling := backend.Sampling{Temperature: float32(t.cfg.Eval.Temperature), TopP: float32(t.cfg.Eval.TopP), MaxTokens: maxTokens}
	if g := t.cfg.Eval.EntropyGate; g != nil {
		sampling.EntropyGate = &backend.EntropyGate{Threshold: float32(g.Threshold), THigh: float32(g.THigh), TLow: float32(g.TLow)}
	}
	res := rundir.EvalResult{N: n, PassAtK: map[int]float64{}}
	var tokens, correct int
	var entropy float64
	pass := make([]float64, len(t.cfg.Eval.K))
	for start := 0; start < len(problems); start += evalChunk {
		chunk := make([]*Problem, 0, evalChunk)
		for i := start; i < min(start+evalChunk, len(problems)); i++ {
			chunk = append(chunk, &problems[i])
		}
		seed := seeds.Stream(t.cfg.Seed, "eval", ds.Name, step, start)
		groups, err := t.generate(ctx, chunk, n, sampling, seed)
		if err != nil {
			return res, err
		}
		var ss []*sample
		for _, g := range groups {
			ss = append(ss, g.samples...)
		}
		if err := t.verify(ctx, ds, ss); err != nil {
			return res, err
		}
		for _, g := range groups {
			c := 0
			for _, s := range g.samples {
				if s.correct {
					c++
				}
				tokens += len(s.resp.Tokens)
				for _, h := range s.resp.Entropies {
					entropy += float64(h)
				}
			}
			correct += c
			for i, k := range t.cfg.Eval.K {
				pass[i] += estimate.PassAtK(n, c, k)
			}
		}
	}
	if p := len(problems); p > 0 {
		res.AvgAtN = float64(correct) / float64(p*n)
		for i, k := range t.cfg.Eval.K {
			res.PassAtK[k] = pass[i] / float64(p)
		}
		res.MeanLength = float64(tokens) / float64(p*n)
	}
	if tokens > 0 {
		res.MeanEntropy = entropy / float64(tokens)
	}
	return res, nil
}

// meanAvgAtN is the mean avg@n over an evaluation's datasets: what "best" means.
func meanAvgAtN(ev rundir.Evaluation) float64 {
	if len(ev) == 0 {
		return 0
	}
	names := make([]string, 0, len(ev))
	for name := range ev {
		names = append(names, name)
	}
	sort.Strings(names)
	var sum float64
	for _, name := range names {
		sum += ev[name].AvgAtN
	}
	return sum / float64(len(ev))
}
