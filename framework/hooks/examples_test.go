package hooks

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/kernels/selection"
)

// The example scripts in examples/hooks, run as a recipe would run them.

func loadExample(t testing.TB, name string, opts Options) *Script {
	t.Helper()
	s, err := Load(filepath.Join("..", "..", "examples", "hooks", name), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestExampleAnnealRho(t *testing.T) {
	s := loadExample(t, "anneal_rho.star", Options{})
	for _, tt := range []struct {
		step int
		rho  float64
	}{{0, 0.5}, {50, 0.35}, {100, 0.2}, {500, 0.2}} {
		m, err := s.Schedule(context.Background(), tt.step, topRho)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(m["rho"]-tt.rho) > 1e-12 || len(m) != 1 {
			t.Errorf("step %d: schedule %v, want rho %v", tt.step, m, tt.rho)
		}
	}
}

func TestExampleFormatBonus(t *testing.T) {
	s := loadExample(t, "format_bonus.star", Options{})
	for _, tt := range []struct {
		sample Sample
		want   float64
	}{
		{Sample{Reward: 1, Finish: "stop", Answer: "(3+4)*5"}, 1.1},
		{Sample{Reward: 0, Finish: "stop", Answer: "3+4"}, 0.1},
		{Sample{Reward: 0, Finish: "length", Answer: "3+4"}, 0},
		{Sample{Reward: 0, Finish: "stop"}, 0},
	} {
		got, err := s.Reward(context.Background(), 0, tt.sample)
		if err != nil || math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("Reward(%+v) = %v, %v; want %v", tt.sample, got, err, tt.want)
		}
	}
}

func TestExampleEarlyStop(t *testing.T) {
	var printed []string
	s := loadExample(t, "early_stop.star", Options{Print: func(pos, msg string) { printed = append(printed, msg) }})
	ctx := context.Background()
	o, err := s.OnEval(ctx, 10, map[string]map[string]float64{"countdown": {"avg_at_n": 0.4}})
	if err != nil || o.Stop {
		t.Fatalf("OnEval below target = %+v, %v", o, err)
	}
	o, err = s.OnEval(ctx, 20, map[string]map[string]float64{"countdown": {"avg_at_n": 0.65}})
	if err != nil || !o.Stop || len(printed) != 1 {
		t.Fatalf("OnEval at target = %+v, %v (printed %q)", o, err, printed)
	}
	o, err = s.OnStep(ctx, 1, map[string]float64{"critic/score/mean": 0.7})
	if err != nil || o.Stop || o.Metrics["hook/reward_above_half"] != 1 {
		t.Fatalf("OnStep = %+v, %v", o, err)
	}
}

// benchBatch is a select batch of 8,192 tokens in 32 responses.
func benchBatch() Batch {
	r := rand.New(rand.NewPCG(1, 2))
	b := Batch{Rho: 0.2}
	for range 32 {
		e := make([]float32, 256)
		m := make([]bool, 256)
		for j := range e {
			e[j] = float32(r.ExpFloat64())
			m[j] = j < 200
		}
		b.Entropies = append(b.Entropies, e)
		b.Masks = append(b.Masks, m)
	}
	return b
}

// BenchmarkSelectTopRho: the Starlark top-ρ selector on 8,192 tokens.
func BenchmarkSelectTopRho(b *testing.B) {
	s := loadExample(b, "top_rho.star", Options{})
	batch := benchBatch()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Select(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReward512: a reward hook over a step of 512 responses.
func BenchmarkReward512(b *testing.B) {
	s := loadExample(b, "format_bonus.star", Options{})
	sample := Sample{Problem: "3 7 25>46:", Response: "7*3=21 21+25=46 ans:7*3+25", Tokens: 26, Finish: "stop", Reward: 1, Answer: "7*3+25"}
	for b.Loop() {
		for range 512 {
			if _, err := s.Reward(context.Background(), 0, sample); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// TestExampleTopRhoMatchesSelector: the Starlark top-ρ selector gives the
// same mask as the built-in kernel, for both rules, on random ragged batches
// with ties and masked tokens.
func TestExampleTopRhoMatchesSelector(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, rule := range []selection.Rule{selection.TopK, selection.Quantile} {
		src, err := os.ReadFile(filepath.Join("..", "..", "examples", "hooks", "top_rho.star"))
		if err != nil {
			t.Fatal(err)
		}
		script := strings.Replace(string(src), `RULE = "topk"`, `RULE = "`+rule.String()+`"`, 1)
		s := mustLoad(t, script)
		for trial := range 200 {
			b := randomBatch(r)
			got, err := s.Select(context.Background(), b)
			if err != nil {
				t.Fatal(err)
			}
			want := make([][]float32, len(b.Entropies))
			for i := range want {
				want[i] = make([]float32, len(b.Entropies[i]))
			}
			selection.Select(want, b.Entropies, b.Masks, selection.Options{Mode: selection.Top, Rule: rule, Rho: b.Rho})
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("rule %s, trial %d, rho %v:\n starlark %v\n kernel   %v\n entropies %v\n masks %v", rule, trial, b.Rho, got, want, b.Entropies, b.Masks)
			}
		}
	}
}
