package rollout

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/pluginapi/generator"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
)

// TestGenerate samples problem-major and decodes with the UTF-8 repair;
// a policy that answers with the wrong number of responses is named.
func TestGenerate(t *testing.T) {
	problems := []*generator.Problem{{Prompt: "a"}, {Prompt: "bb"}}
	var asked backend.GenerateRequest
	policy := &backend.Mock{
		EncodeFunc: func(_ context.Context, req backend.EncodeRequest) (backend.EncodeResponse, error) {
			var out backend.EncodeResponse
			for _, t := range req.Texts {
				out.IDs = append(out.IDs, make([]int32, len(t)))
			}
			return out, nil
		},
		GenerateFunc: func(_ context.Context, req backend.GenerateRequest) (backend.GenerateResponse, error) {
			asked = req
			var out backend.GenerateResponse
			for p := range req.Prompts {
				for range req.N {
					out.Responses = append(out.Responses, backend.Response{Prompt: p, Pieces: []string{"x", "\xe2\x82"}})
				}
			}
			return out, nil
		},
	}
	sampling := backend.Sampling{Temperature: 0.7, MaxTokens: 5}
	got, err := Generate(context.Background(), policy, `backend "policy"`, problems, 3, sampling, 42)
	if err != nil {
		t.Fatal(err)
	}
	if asked.N != 3 || asked.Seed != 42 || asked.Sampling.Temperature != 0.7 || asked.Sampling.MaxTokens != 5 || len(got) != 6 {
		t.Fatalf("asked %+v, got %d samples", asked, len(got))
	}
	for i, s := range got {
		if s.Problem != problems[i/3] || len(s.Prompt) != len(problems[i/3].Prompt) || s.Text != "x\uFFFD" {
			t.Errorf("sample %d: %+v", i, s)
		}
	}
	policy.GenerateFunc = func(context.Context, backend.GenerateRequest) (backend.GenerateResponse, error) {
		return backend.GenerateResponse{Responses: make([]backend.Response, 5)}, nil
	}
	if _, err := Generate(context.Background(), policy, `backend "policy"`, problems, 3, sampling, 42); err == nil || err.Error() != `backend "policy": Generate returned 5 responses for 2 prompts × 3` {
		t.Errorf("err = %v", err)
	}
	// A policy that encodes fewer prompts than asked is named, not indexed
	// past the end.
	policy.EncodeFunc = func(context.Context, backend.EncodeRequest) (backend.EncodeResponse, error) {
		return backend.EncodeResponse{IDs: [][]int32{{1}}}, nil
	}
	if _, err := Generate(context.Background(), policy, `backend "policy"`, problems, 3, sampling, 42); err == nil || err.Error() != `backend "policy": Encode returned 1 token lists for 2 prompts` {
		t.Errorf("err = %v", err)
	}
}

// TestTokenOffsets maps each token to where its text begins in the
// repaired text: on random byte tokens, every token that begins a valid
// character finds that character there.
func TestTokenOffsets(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "é", "€", "\xe2", "\x82", "\xac", "\xff", "\uFFFD", ""}
	for range 2000 {
		pieces := make([]string, r.IntN(8))
		for i := range pieces {
			pieces[i] = alphabet[r.IntN(len(alphabet))]
			if r.IntN(3) == 0 {
				pieces[i] += alphabet[r.IntN(len(alphabet))]
			}
		}
		s := Sample{Response: backend.Response{Pieces: pieces}, Text: Decode(pieces)}
		off := s.TokenOffsets()
		raw := strings.Join(pieces, "")
		if at := repairedOffsets(raw); at[len(raw)] != len(s.Text) {
			t.Fatalf("%q: the end maps to %d, the text has %d bytes", pieces, at[len(raw)], len(s.Text))
		}
		b := 0
		for i, p := range pieces {
			if off[i] < 0 || off[i] > len(s.Text) || i > 0 && off[i] < off[i-1] {
				t.Fatalf("%q: offsets %v out of order or range", pieces, off)
			}
			if c, w := utf8.DecodeRuneInString(raw[b:]); w > 0 && (c != utf8.RuneError || w > 1) && utf8.RuneStart(raw[b]) {
				if !strings.HasPrefix(s.Text[off[i]:], raw[b:b+w]) {
					t.Fatalf("%q: token %d (%q) begins with %q, the text at %d is %q", pieces, i, p, raw[b:b+w], off[i], s.Text[off[i]:])
				}
			}
			b += len(p)
		}
	}
	// A token inside a character, and a run of invalid bytes.
	s := Sample{Response: backend.Response{Pieces: []string{"a", "\xe2\x82", "\xac", "\xff", "\xfe", "b"}}}
	s.Text = Decode(s.Response.Pieces)
	if got, want := s.TokenOffsets(), []int{0, 1, 1, 4, 4, 7}; !slices.Equal(got, want) || s.Text != "a€\uFFFDb" {
		t.Errorf("offsets %v in %q, want %v", got, s.Text, want)
	}
}

// TestVerify fills in the verdict of a verifier that gives none, checks
// the roles, and names the verifier in every error.
func TestVerify(t *testing.T) {
	items := []verifier.Item{{Response: "42", Reference: "42"}, {Response: "41", Reference: "42"}}
	ctx := context.Background()
	v := &verifier.Mock{}
	got, err := Verify(ctx, v, `verifier "reward"`, items)
	if err != nil || got[0].Verdict != verifier.VerdictCorrect || got[1].Verdict != verifier.VerdictWrong {
		t.Fatalf("results %+v, %v; want the verdicts derived from the rewards", got, err)
	}
	for _, tt := range []struct {
		name string
		resp verifier.VerifyResponse
		want string
	}{
		{"its own verdict kept", verifier.VerifyResponse{Results: []verifier.Result{{Verdict: "unsound_work", Reward: 1, Roles: verifier.Roles{{Start: 0, End: 2, Role: "answer"}}}, {Verdict: "no_answer"}}}, ""},
		{"too few results", verifier.VerifyResponse{Results: []verifier.Result{{}}}, `verifier "reward": Verify returned 1 results for 2 items`},
		{"diagnostics", verifier.VerifyResponse{Diagnostics: pluginapi.Diagnostics{}.Errorf("bad item")}, `verifier "reward": bad item`},
		{"roles beyond the response", verifier.VerifyResponse{Results: []verifier.Result{{Roles: verifier.Roles{{Start: 1, End: 3, Role: "answer"}}}, {}}}, `verifier "reward": Verify's result 0: role span 0 [1, 3) goes beyond the response's 2 bytes`},
		{"roles overlapping", verifier.VerifyResponse{Results: []verifier.Result{{}, {Roles: verifier.Roles{{Start: 0, End: 2, Role: "a"}, {Start: 1, End: 2, Role: "b"}}}}}, `Verify's result 1: role span 1 [1, 2) is empty, out of order or overlaps the one before`},
		{"a role without a name", verifier.VerifyResponse{Results: []verifier.Result{{Roles: verifier.Roles{{Start: 0, End: 1}}}, {}}}, "names no role"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v.VerifyFunc = func(context.Context, verifier.VerifyRequest) (verifier.VerifyResponse, error) { return tt.resp, nil }
			got, err := Verify(ctx, v, `verifier "reward"`, items)
			if tt.want == "" {
				if err != nil || got[0].Verdict != "unsound_work" || got[1].Verdict != "no_answer" || got[0].Roles.At(1) != "answer" {
					t.Errorf("results %+v, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
