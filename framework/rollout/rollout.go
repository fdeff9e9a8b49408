// Package rollout is the sampling path that training, evaluation and
// forkrl analyze share: encode the problems' prompts, sample responses from
// the policy, decode each response into the text the verifier sees, and
// verify it.
package rollout

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/pluginapi/generator"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
)

// Sample is one response to a problem.
type Sample struct {
	Problem  *generator.Problem
	Prompt   []int32          // the prompt's tokens
	Response backend.Response // the sampled tokens, their pieces, log-probs and entropies
	Text     string           // the response as the verifier sees it: Decode(Response.Pieces)
}

// Generate encodes the problems' prompts with the policy and samples n
// responses to each, problem-major (the n responses of the first problem
// first). who names the policy in errors (for example `backend "policy"`).
func Generate(ctx context.Context, policy backend.Backend, who string, problems []*generator.Problem, n int, sampling backend.Sampling, seed uint64) ([]Sample, error) {
	texts := make([]string, len(problems))
	for i, p := range problems {
		texts[i] = p.Prompt
	}
	enc, err := policy.Encode(ctx, backend.EncodeRequest{Texts: texts})
	if err != nil {
		return nil, err
	}
	if err := enc.Diagnostics.ErrFrom(who); err != nil {
		return nil, err
	}
	if len(enc.IDs) != len(texts) {
		return nil, fmt.Errorf("%s: Encode returned %d token lists for %d prompts", who, len(enc.IDs), len(texts))
	}
	gen, err := policy.Generate(ctx, backend.GenerateRequest{Prompts: enc.IDs, N: n, Sampling: sampling, Seed: seed})
	if err != nil {
		return nil, err
	}
	if err := gen.Diagnostics.ErrFrom(who); err != nil {
		return nil, err
	}
	if len(gen.Responses) != len(problems)*n {
		return nil, fmt.Errorf("%s: Generate returned %d responses for %d prompts × %d", who, len(gen.Responses), len(problems), n)
	}
	out := make([]Sample, len(gen.Responses))
	for i, r := range gen.Responses {
		p := i / max(n, 1)
		out[i] = Sample{Problem: problems[p], Prompt: enc.IDs[p], Response: r, Text: Decode(r.Pieces)}
	}
	return out, nil
}

// Decode joins a response's pieces into its text. A response cut
// mid-character, or a model emitting stray bytes, is not valid UTF-8: each
// run of invalid bytes becomes U+FFFD, as Hugging Face's decoding gives.
func Decode(pieces []string) string {
	return strings.ToValidUTF8(strings.Join(pieces, ""), "\uFFFD")
}

// Item is what the verifier is asked about a response to a problem.
func Item(p *generator.Problem, text string) verifier.Item {
	return verifier.Item{Problem: p.Problem, Response: text, Reference: p.Answer}
}

// Verify asks the verifier about the items. who names the verifier in
// errors. A result without a verdict gets verifier.FromReward's; the roles
// of every result are checked against its item's response.
func Verify(ctx context.Context, v verifier.Verifier, who string, items []verifier.Item) ([]verifier.Result, error) {
	resp, err := v.Verify(ctx, verifier.VerifyRequest{Items: items})
	if err != nil {
		return nil, err
	}
	if err := resp.Diagnostics.ErrFrom(who); err != nil {
		return nil, err
	}
	if len(resp.Results) != len(items) {
		return nil, fmt.Errorf("%s: Verify returned %d results for %d items", who, len(resp.Results), len(items))
	}
	for i := range resp.Results {
		r := &resp.Results[i]
		if r.Verdict == "" {
			r.Verdict = verifier.FromReward(r.Reward)
		}
		if err := r.Roles.Check(len(items[i].Response)); err != nil {
			return nil, fmt.Errorf("%s: Verify's result %d: %w", who, i, err)
		}
	}
	return resp.Results, nil
}

// TokenOffsets returns, for each token of the sample's response, the byte
// offset in Text where its text begins. Decode's repair moves offsets; a
// token that begins inside a character or a run of invalid bytes gets that
// character's offset.
func (s Sample) TokenOffsets() []int {
	raw := strings.Join(s.Response.Pieces, "")
	at := repairedOffsets(raw)
	out := make([]int, len(s.Response.Pieces))
	b := 0
	for i, p := range s.Response.Pieces {
		out[i] = at[b]
		b += len(p)
	}
	return out
}

// repairedOffsets maps each byte offset of raw (and len(raw)) to the offset
// in Decode's text of the character it belongs to, replaying
// strings.ToValidUTF8.
func repairedOffsets(raw string) []int {
	at := make([]int, len(raw)+1)
	out, invalid := 0, false
	for i := 0; i < len(raw); {
		r, w := utf8.DecodeRuneInString(raw[i:])
		if r == utf8.RuneError && w == 1 {
			if invalid { // a run of invalid bytes is one U+FFFD
				at[i] = at[i-1]
			} else {
				at[i], out = out, out+len("\uFFFD")
			}
			invalid = true
			i++
			continue
		}
		invalid = false
		for k := range w {
			at[i+k] = out
		}
		out += w
		i += w
	}
	at[len(raw)] = out
	return at
}
