package trainer

import "github.com/forkrl/forkrl/framework/pluginapi/backend"

// sample is one response of a step and everything the step computes about it.
type sample struct {
	problem *Problem
	prompt  []int32
	resp    backend.Response
	text    string // the response's text

	score   float64 // the verifier's reward
	correct bool    // the verifier accepted the answer (score > 0)
	answer  string  // the answer the verifier parsed
	reward  float64 // the reward trained on: score with overlong shaping and the reward hook

	// From the scoring pass before the update (nil when it is skipped).
	oldLogp, oldEntropy []float32
	refLogp             []float32 // the KL reference's log-probs
	oldValues           []float32 // PPO: values of the old critic

	weights []float32 // the token selection's weights in the last update (nil: every token trained)
	adv     []float32 // advantage per response token
	returns []float32 // PPO: value targets per response token
}

// group is the responses to one prompt.
type group struct {
	problem *Problem
	samples []*sample
}

// sequences returns the prompt and response of each sample.
func sequences(ss []*sample) []backend.Sequence {
	out := make([]backend.Sequence, len(ss))
	for i, s := range ss {
		out[i] = backend.Sequence{Prompt: s.prompt, Response: s.resp.Tokens}
	}
	return out
}
