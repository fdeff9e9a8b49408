package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/forkrl/forkrl/framework/analysis"
	"github.com/forkrl/forkrl/framework/figure"
	"github.com/forkrl/forkrl/framework/plugin"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/rollout"
	"github.com/forkrl/forkrl/framework/trainer"
	"github.com/forkrl/forkrl/internal/atomicfile"
)

func init() {
	register(&command{
		name:    "analyze",
		summary: "sample a run's policy on held-out problems and report accuracy and the entropy figures of its tokens",
		run:     func(args []string) int { return analyzeCommand(args, os.Stdout, os.Stderr) },
	})
}

// analyzeReport is what forkrl analyze finds, also written as JSON.
type analyzeReport struct {
	Recipe      string                  `json:"recipe"`
	Run         string                  `json:"run"`
	Checkpoint  string                  `json:"checkpoint,omitempty"`
	Dataset     string                  `json:"dataset"`
	Problems    int                     `json:"problems"`
	K           int                     `json:"k"`
	Temperature float64                 `json:"temperature"`
	Gate        *recipe.EntropyGate     `json:"entropy_gate,omitempty"`
	Seed        uint64                  `json:"seed"`
	Accuracy    float64                 `json:"accuracy"`           // mean reward over all samples (avg@k)
	Verdicts    map[string]int          `json:"verdicts,omitempty"` // samples by the verifier's verdict (verifier.Result.Verdict)
	Entropy     analysis.EntropyFigures `json:"entropy"`
	Histogram   analysis.Histogram      `json:"histogram"`       // entropies in 0.05-nat bins
	Roles       []analysis.GroupStat    `json:"roles,omitempty"` // average entropy by the role the verifier gives a token's first byte; none when it gives no roles
}

func analyzeCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if sub, ok := analyzeSubcommands[args[0]]; ok {
			return sub(args[1:], stdout, stderr)
		}
	}
	fs := usage{
		name:  "analyze",
		flags: "[--run NAME] [--checkpoint DIR] [--k N] [--problems N] [--temperature T] [--entropy-gate H --t-high T --t-low T] [--json FILE] [--figures DIR]",
		args:  "RECIPE",
		also:  []string{"analyze overlap|grid|steps|sweep ... (forkrl analyze SUBCOMMAND -h)"},
		about: []string{
			"Samples the policy of a recipe's run (or a checkpoint of it) on the held-out problems of the",
			"dataset it evaluates, and reports the accuracy and how the entropy of the response tokens",
			"is distributed: the fraction below 0.01 and 0.1, the share of all entropy held by the top",
			"20% of tokens, and the tokens with the highest and lowest average entropy. It counts the",
			"samples by the verifier's verdict and, where the verifier gives the characters of a response",
			"roles (countdown: a choice of number or operator, a result, ...), averages the entropy by role.",
			"",
			"Subcommands: overlap (the top-20% entropy positions of two checkpoints on the same responses,",
			"and the entropy change per base-entropy percentile bin), grid (accuracy of the entropy-gated",
			"decoding over (t_high, t_low)), steps (entropy percentiles over a run's steps), sweep (ρ-sweep",
			"curves across seeds).",
		},
	}.flagSet(stderr)
	var m modelFlags
	m.register(fs.FlagSet, 512, 2)
	checkpoint := fs.String("checkpoint", "", "a policy checkpoint directory to load instead of the recipe's")
	temperature := fs.Float64("temperature", 1, "sampling temperature")
	minCount := fs.Int("min-count", 100, "rank only tokens seen at least this often")
	var gate gateFlags
	gate.register(fs.FlagSet)
	var g *recipe.EntropyGate
	check := func() (err error) {
		g, err = gate.gate(*temperature)
		return err
	}
	return m.withSession("", fs, args, stderr, check, func(ctx context.Context, path string, s *session) error {
		report := analyzeReport{Recipe: path, Run: s.r.Name, Checkpoint: *checkpoint, K: m.k, Temperature: *temperature, Gate: g, Seed: m.seed}
		if err := analyze(ctx, s, *minCount, &report); err != nil {
			return err
		}
		writeAnalysis(stdout, report)
		if err := writeJSON(m.jsonOut, report); err != nil {
			return err
		}
		if m.figures == "" {
			return nil
		}
		title := "entropy of response tokens"
		if report.Checkpoint != "" {
			title += ": " + report.Checkpoint
		}
		return writeFigures(m.figures, map[string]func() ([]byte, error){
			"entropy-histogram.svg": func() ([]byte, error) {
				return figure.Histogram(title, "entropy (nats)", report.Histogram, true)
			},
			"entropy-tokens.svg": func() ([]byte, error) { return tokenBars(report.Entropy).SVG() },
		}, stdout)
	})
}

// tokenBars is the bar chart of the tokens with the highest and lowest
// average entropy.
func tokenBars(f analysis.EntropyFigures) figure.Bars {
	b := figure.Bars{Title: fmt.Sprintf("highest and lowest average entropy (tokens seen at least %d times)", f.MinCount), YLabel: "mean entropy (nats)"}
	lowest := slices.Clone(f.Lowest)
	slices.Reverse(lowest) // highest first throughout
	for _, g := range append(slices.Clone(f.Highest), lowest...) {
		b.Labels, b.Values = append(b.Labels, strconv.Quote(g.Key)), append(b.Values, g.Mean)
	}
	return b
}

// writeJSON writes v as indented JSON to path (nothing when path is "").
func writeJSON(path string, v any) error {
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}

// writeFigures draws each figure into dir under its name.
func writeFigures(dir string, figs map[string]func() ([]byte, error), stdout io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(figs))
	for n := range figs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := figs[n]()
		if err != nil {
			return err
		}
		path := filepath.Join(dir, n)
		if err := atomicfile.WriteFile(path, b); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s\n", path)
	}
	return nil
}

// gateFlags are the flags of the entropy-gated decoding.
type gateFlags struct{ threshold, tHigh, tLow float64 }

func (g *gateFlags) register(fs *flag.FlagSet) {
	fs.Float64Var(&g.threshold, "entropy-gate", -1, "sample at --t-high where a token's entropy at T = 1 is above this many nats, else at --t-low (off when negative)")
	fs.Float64Var(&g.tHigh, "t-high", 0, "the gate's temperature above the threshold (default --temperature)")
	fs.Float64Var(&g.tLow, "t-low", 0, "the gate's temperature below the threshold (default --temperature)")
}

// gate returns the gate the flags ask for, or nil.
func (g gateFlags) gate(temperature float64) (*recipe.EntropyGate, error) {
	if g.threshold < 0 {
		if g.tHigh != 0 || g.tLow != 0 {
			return nil, fmt.Errorf("--t-high and --t-low are the temperatures of the entropy gate; set --entropy-gate to turn it on")
		}
		return nil, nil
	}
	out := &recipe.EntropyGate{Threshold: g.threshold, THigh: cmp.Or(g.tHigh, temperature), TLow: cmp.Or(g.tLow, temperature)}
	if out.THigh < 0 || out.TLow < 0 {
		return nil, fmt.Errorf("the gate's temperatures must be positive")
	}
	return out, nil
}

// sampling is the backend's sampling of an analysis.
func sampling(temperature float64, gate *recipe.EntropyGate, maxTokens int) backend.Sampling {
	s := backend.Sampling{Temperature: float32(temperature), TopP: 1, MaxTokens: maxTokens}
	if gate != nil {
		s.EntropyGate = &backend.EntropyGate{Threshold: float32(gate.Threshold), THigh: float32(gate.THigh), TLow: float32(gate.TLow)}
	}
	return s
}

// analyze loads the report's checkpoint (if any) into the session's
// policy, samples it on the session's problems and fills the report.
func analyze(ctx context.Context, sess *session, minCount int, report *analyzeReport) error {
	if err := sess.load(ctx, report.Checkpoint); err != nil {
		return err
	}
	report.Dataset, report.Problems = sess.ds.Name, len(sess.problems)
	sam, err := sess.sample(ctx, report.K, report.Seed, sampling(report.Temperature, report.Gate, sess.r.Eval.MaxResponseTokens))
	if err != nil {
		return err
	}
	pieces := make([][]string, len(sam))
	entropies := make([][]float32, len(sam))
	for i, smp := range sam {
		pieces[i] = make([]string, len(smp.Response.Pieces))
		for j, piece := range smp.Response.Pieces {
			pieces[i][j] = tokenKey(piece)
		}
		entropies[i] = smp.Response.Entropies
	}
	results, err := sess.verify(ctx, sam)
	if err != nil {
		return err
	}
	report.Verdicts = map[string]int{}
	labelled := false
	for _, r := range results {
		report.Accuracy += r.Reward / float64(len(results))
		report.Verdicts[r.Verdict]++
		labelled = labelled || len(r.Roles) > 0
	}
	if report.Entropy, err = analysis.Entropy(pieces, entropies, analysis.EntropyOptions{MinCount: minCount, Listed: 10}); err != nil {
		return err
	}
	top := histogramTop(entropies)
	if report.Histogram, err = analysis.NewHistogram(entropies, int(math.Round(top/histogramWidth)), 0, top); err != nil {
		return err
	}
	if labelled {
		roles := make([][]string, len(sam))
		for i, smp := range sam {
			roles[i] = tokenRoles(smp, results[i].Roles)
		}
		if report.Roles, err = analysis.GroupMeans(roles, entropies, 1); err != nil {
			return err
		}
	}
	return nil
}

// histogramWidth is the width of the entropy histogram's bins, in nats.
const histogramWidth = 0.05

// histogramTop is the upper edge of the entropy histogram: the largest
// entropy rounded up to a whole bin.
func histogramTop(entropies [][]float32) float64 {
	return math.Max(1, math.Ceil(analysis.MaxEntropy(entropies)/histogramWidth)) * histogramWidth
}

// session is what the analyses that sample or score a policy share: the
// run's plugins, its evaluated dataset and its verifier.
type session struct {
	r        *recipe.Config
	policy   backend.Backend
	verifier verifier.Verifier
	ds       trainer.Dataset
	problems []trainer.Problem
	close    func()
}

// openSession opens the run's plugins and the first nProblems held-out
// problems of the dataset it evaluates. close must be called even on error.
func openSession(ctx context.Context, r *recipe.Config, dir string, nProblems int) (*session, error) {
	plugins, closePlugins, err := openPlugins(ctx, r, dir, os.Stderr)
	s := &session{r: r, close: closePlugins}
	if err != nil {
		return s, err
	}
	s.policy = plugins.Backends[r.Algorithm.Policy]
	datasets, err := trainer.LoadDatasets(r, plugin.Generators())
	if err != nil {
		return s, err
	}
	if s.ds, err = evaluatedDataset(r, datasets); err != nil {
		return s, err
	}
	s.problems = s.ds.Eval[:min(nProblems, len(s.ds.Eval))]
	var ok bool
	if s.verifier, ok = plugins.Verifiers[s.ds.Verifier]; !ok {
		return s, fmt.Errorf("dataset %q has no verifier", s.ds.Name)
	}
	return s, nil
}

// load loads a policy checkpoint ("" keeps the recipe's model).
func (s *session) load(ctx context.Context, checkpoint string) error {
	if checkpoint == "" {
		return nil
	}
	resp, err := s.policy.Load(ctx, backend.LoadRequest{Dir: checkpoint})
	if err != nil {
		return err
	}
	if err := resp.Diagnostics.Err(); err != nil {
		return fmt.Errorf("loading %s: %w", checkpoint, err)
	}
	return nil
}

// sample draws k responses to each problem, problem-major, as training
// does (rollout.Generate).
func (s *session) sample(ctx context.Context, k int, seed uint64, sm backend.Sampling) ([]rollout.Sample, error) {
	problems := make([]*trainer.Problem, len(s.problems))
	for i := range s.problems {
		problems[i] = &s.problems[i]
	}
	return rollout.Generate(ctx, s.policy, fmt.Sprintf("backend %q", s.r.Algorithm.Policy), problems, k, sm, seed)
}

// verify asks the dataset's verifier about sampled responses, as training
// does (rollout.Verify).
func (s *session) verify(ctx context.Context, sam []rollout.Sample) ([]verifier.Result, error) {
	items := make([]verifier.Item, len(sam))
	for i, smp := range sam {
		items[i] = rollout.Item(smp.Problem, smp.Text)
	}
	return rollout.Verify(ctx, s.verifier, fmt.Sprintf("verifier %q", s.ds.Verifier), items)
}

// entropies scores sampled responses under the loaded policy and returns
// the entropy of each response token at temperature 1.
func (s *session) entropies(ctx context.Context, sam []rollout.Sample) ([][]float32, error) {
	seqs := make([]backend.Sequence, len(sam))
	for i, smp := range sam {
		seqs[i] = backend.Sequence{Prompt: smp.Prompt, Response: smp.Response.Tokens}
	}
	var out [][]float32
	for lo := 0; lo < len(seqs); lo += scoreChunk {
		resp, err := s.policy.Score(ctx, backend.ScoreRequest{Sequences: seqs[lo:min(lo+scoreChunk, len(seqs))], Temperature: 1})
		if err != nil {
			return nil, err
		}
		if err := resp.Diagnostics.Err(); err != nil {
			return nil, err
		}
		out = append(out, resp.Entropies...)
	}
	if len(out) != len(seqs) {
		return nil, fmt.Errorf("Score returned entropies for %d of %d responses", len(out), len(seqs))
	}
	return out, nil
}

// scoreChunk is how many responses one Score call carries.
const scoreChunk = 256

// evaluatedDataset is the first dataset the run evaluates, else the one it
// trains on.
func evaluatedDataset(r *recipe.Config, datasets []trainer.Dataset) (trainer.Dataset, error) {
	name := r.Train.Dataset
	if len(r.Eval.Datasets) > 0 {
		name = r.Eval.Datasets[0]
	}
	for _, ds := range datasets {
		if ds.Name == name {
			if len(ds.Eval) == 0 {
				return ds, fmt.Errorf("dataset %q holds no problems out for evaluation", name)
			}
			return ds, nil
		}
	}
	return trainer.Dataset{}, fmt.Errorf("no dataset %q", name)
}

// tokenKey names a token by its text; special tokens, which have none, are
// "<special>".
func tokenKey(piece string) string {
	if piece == "" {
		return "<special>"
	}
	return piece
}

// tokenRoles gives each token of a sample the role of its first byte in
// the verified text; special tokens get "<special>", tokens the roles leave
// out "<none>".
func tokenRoles(smp rollout.Sample, roles verifier.Roles) []string {
	offsets := smp.TokenOffsets()
	out := make([]string, len(offsets))
	for i, p := range smp.Response.Pieces {
		role := roles.At(offsets[i])
		if p == "" {
			role = "<special>"
		} else if role == "" {
			role = "<none>"
		}
		out[i] = role
	}
	return out
}

func writeAnalysis(w io.Writer, rep analyzeReport) {
	fmt.Fprintf(w, "%s, run %s", rep.Recipe, rep.Run)
	if rep.Checkpoint != "" {
		fmt.Fprintf(w, ", checkpoint %s", rep.Checkpoint)
	}
	fmt.Fprintf(w, "\n%d held-out problems of %s × %d samples at %s (seed %d): accuracy %.1f%%\n",
		rep.Problems, rep.Dataset, rep.K, samplingText(rep.Temperature, rep.Gate), rep.Seed, 100*rep.Accuracy)
	_ = rep.Entropy.WriteText(w)
	if len(rep.Verdicts) > 0 {
		kinds := make([]string, 0, len(rep.Verdicts))
		for kind := range rep.Verdicts {
			kinds = append(kinds, kind)
		}
		sort.Strings(kinds)
		counts := make([]string, len(kinds))
		for i, kind := range kinds {
			counts[i] = fmt.Sprintf("%s %d", kind, rep.Verdicts[kind])
		}
		fmt.Fprintf(w, "samples by verdict: %s\n", strings.Join(counts, ", "))
	}
	if len(rep.Roles) > 0 {
		fmt.Fprintln(w, "average entropy by role:")
		for _, g := range rep.Roles {
			fmt.Fprintf(w, "  %-14s %.4f over %d tokens\n", g.Key, g.Mean, g.Count)
		}
	}
}

// samplingText describes the sampling temperature, or the entropy gate.
func samplingText(temperature float64, g *recipe.EntropyGate) string {
	if g == nil {
		return fmt.Sprintf("T=%g", temperature)
	}
	return fmt.Sprintf("T=%g where the entropy at T=1 is above %g, else T=%g", g.THigh, g.Threshold, g.TLow)
}
