package trainer

import (
	"context"
	"fmt"

	"github.com/forkrl/forkrl/framework/pluginapi/backend"
)

// sftBatch draws the step's problems and makes each a sample whose response
// is the problem's reference response followed by the model's stop token:
// supervised fine-tuning trains on them with the policy update's machinery.
func (t *Trainer) sftBatch(ctx context.Context) ([]*group, error) {
	n := t.hp.PromptsPerStep
	problems := make([]*Problem, n)
	texts := make([]string, 0, 2*n)
	for i := range problems {
		problems[i] = &t.train.Train[t.order.at(t.state.Drawn)]
		t.state.Drawn++
		texts = append(texts, problems[i].Prompt, problems[i].Answer)
	}
	enc, err := t.policy.Encode(ctx, backend.EncodeRequest{Texts: texts})
	if err != nil {
		return nil, err
	}
	if err := diagErr(backendName(t.alg.Policy), enc.Diagnostics); err != nil {
		return nil, err
	}
	groups := make([]*group, n)
	for i, p := range problems {
		resp := enc.IDs[2*i+1]
		if len(t.model.StopTokens) > 0 {
			resp = append(resp[:len(resp):len(resp)], t.model.StopTokens[0])
		}
		if len(enc.IDs[2*i])+len(resp) > t.model.ContextLength {
			return nil, fmt.Errorf("problem %s: prompt and reference response take %d tokens, more than the model's context of %d", p.ID, len(enc.IDs[2*i])+len(resp), t.model.ContextLength)
		}
		groups[i] = &group{problem: p, samples: []*sample{{
			problem: p, prompt: enc.IDs[2*i], text: p.Answer,
			resp: backend.Response{Tokens: resp, Finish: backend.FinishStop},
		}}}
	}
	return groups, nil
}

// sftGradient is the gradient of the mean negative log-likelihood of the
// reference tokens: dL/dlogp = −1/N on each of the N tokens of the
// mini-batch. It adds the micro-batch's share of the loss (one of micros)
// to "sft/loss" and the policy's entropy on the reference tokens to
// "actor/entropy".
func sftGradient(logps, entropies [][]float32, n float64, micros int, sums means) [][]float32 {
	g := make([][]float32, len(logps))
	var nll, h, tokens float64
	for i, row := range logps {
		g[i] = make([]float32, len(row))
		for j, lp := range row {
			g[i][j] = float32(-1 / n)
			nll -= float64(lp)
			h += float64(entropies[i][j])
			tokens++
		}
	}
	sums.add("sft/loss", nll/n*float64(micros), 1)
	if tokens > 0 {
		sums.add("actor/entropy", h/tokens, tokens)
	}
	return g
}
