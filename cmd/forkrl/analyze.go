package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/forkrl/forkrl/framework/analysis"
	"github.com/forkrl/forkrl/framework/plugin"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/trainer"
	"github.com/forkrl/forkrl/plugins/verifier/countdown"
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
	Seed        uint64                  `json:"seed"`
	Accuracy    float64                 `json:"accuracy"`           // mean reward over all samples (avg@k)
	Verdicts    map[string]int          `json:"verdicts,omitempty"` // countdown: samples by countdown.CheckWork's verdict on the answer and the work
	Entropy     analysis.EntropyFigures `json:"entropy"`
	Roles       []analysis.GroupStat    `json:"roles,omitempty"` // countdown: average entropy by role of the character
}

func analyzeCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f runFlags
	f.register(fs)
	name := fs.String("run", "", "the run of the recipe whose plugins and data are used, when it has several")
	checkpoint := fs.String("checkpoint", "", "a policy checkpoint directory to load instead of the recipe's")
	k := fs.Int("k", 2, "samples per problem")
	problems := fs.Int("problems", 512, "held-out problems sampled (at most the dataset's)")
	temperature := fs.Float64("temperature", 1, "sampling temperature")
	seed := fs.Uint64("seed", 1, "the sampling seed")
	minCount := fs.Int("min-count", 100, "rank only tokens seen at least this often")
	jsonOut := fs.String("json", "", "also write the report as JSON to this file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: forkrl analyze [--run NAME] [--checkpoint DIR] [--k N] [--problems N] [--temperature T] [--json FILE] RECIPE")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Samples the policy of a recipe's run (or a checkpoint of it) on the held-out problems of the")
		fmt.Fprintln(stderr, "dataset it evaluates, and reports the accuracy and how the entropy of the response tokens")
		fmt.Fprintln(stderr, "is distributed: the fraction below 0.01 and 0.1, the share of all entropy held by the top")
		fmt.Fprintln(stderr, "20% of tokens, and the tokens with the highest and lowest average entropy. For countdown")
		fmt.Fprintln(stderr, "it also averages by the role of each character (a choice of number or operator, a result) and counts")
		fmt.Fprintln(stderr, "the samples by verdict on the answer and on the work before it (countdown.CheckWork).")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	path, ok := parseInterleaved(fs, args)
	if !ok {
		return 2
	}
	if *k < 1 || *problems < 1 {
		fmt.Fprintln(stderr, "forkrl analyze: --k and --problems must be at least 1")
		return 2
	}
	rec, code := loadRecipe(path, f.vars, stderr)
	if rec == nil {
		return code
	}
	r, err := pickRun(rec, *name)
	if err != nil {
		fmt.Fprintf(stderr, "forkrl analyze: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer plugin.CloseAll()
	dir, err := os.MkdirTemp("", "forkrl-analyze-")
	if err != nil {
		fmt.Fprintf(stderr, "forkrl analyze: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	report := analyzeReport{Recipe: path, Run: r.Name, Checkpoint: *checkpoint, K: *k, Temperature: *temperature, Seed: *seed}
	if err := analyze(ctx, r, dir, *problems, *minCount, &report); err != nil {
		fmt.Fprintf(stderr, "forkrl analyze: %s: %v\n", r.Name, err)
		return 1
	}
	writeAnalysis(stdout, report)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(report, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintf(stderr, "forkrl analyze: %v\n", err)
			return 1
		}
	}
	return 0
}

// analyze opens the run's plugins and data, samples the policy and fills
// the report.
func analyze(ctx context.Context, r *recipe.Run, dir string, nProblems, minCount int, report *analyzeReport) error {
	plugins, closePlugins, err := openPlugins(ctx, r, dir, os.Stderr)
	defer closePlugins()
	if err != nil {
		return err
	}
	policy := plugins.Backends[r.Algorithm.Policy]
	if report.Checkpoint != "" {
		resp, err := policy.Load(ctx, backend.LoadRequest{Dir: report.Checkpoint})
		if err != nil {
			return err
		}
		if err := resp.Diagnostics.Err(); err != nil {
			return fmt.Errorf("loading %s: %w", report.Checkpoint, err)
		}
	}
	datasets, err := trainer.LoadDatasets(r, generators)
	if err != nil {
		return err
	}
	ds, err := evaluatedDataset(r, datasets)
	if err != nil {
		return err
	}
	problems := ds.Eval[:min(nProblems, len(ds.Eval))]
	report.Dataset, report.Problems = ds.Name, len(problems)
	verify, ok := plugins.Verifiers[ds.Verifier]
	if !ok {
		return fmt.Errorf("dataset %q has no verifier", ds.Name)
	}

	texts := make([]string, len(problems))
	for i, p := range problems {
		texts[i] = p.Prompt
	}
	enc, err := policy.Encode(ctx, backend.EncodeRequest{Texts: texts})
	if err != nil {
		return err
	}
	if err := enc.Diagnostics.Err(); err != nil {
		return err
	}
	gen, err := policy.Generate(ctx, backend.GenerateRequest{
		Prompts: enc.IDs, N: report.K, Seed: report.Seed,
		Sampling: backend.Sampling{Temperature: float32(report.Temperature), TopP: 1, MaxTokens: r.Eval.MaxResponseTokens},
	})
	if err != nil {
		return err
	}
	if err := gen.Diagnostics.Err(); err != nil {
		return err
	}
	if len(gen.Responses) != len(problems)*report.K {
		return fmt.Errorf("Generate returned %d responses for %d prompts × %d", len(gen.Responses), len(problems), report.K)
	}

	items := make([]verifier.Item, len(gen.Responses))
	pieces := make([][]string, len(gen.Responses))
	entropies := make([][]float32, len(gen.Responses))
	for i, resp := range gen.Responses {
		p := problems[resp.Prompt]
		items[i] = verifier.Item{Problem: p.Problem, Response: strings.Join(resp.Pieces, ""), Reference: p.Answer}
		pieces[i] = make([]string, len(resp.Pieces))
		for j, piece := range resp.Pieces {
			pieces[i][j] = tokenKey(piece)
		}
		entropies[i] = resp.Entropies
	}
	verdicts, err := verify.Verify(ctx, verifier.VerifyRequest{Items: items})
	if err != nil {
		return err
	}
	if err := verdicts.Diagnostics.Err(); err != nil {
		return err
	}
	for _, v := range verdicts.Results {
		report.Accuracy += v.Reward / float64(len(verdicts.Results))
	}
	if report.Entropy, err = analysis.Entropy(pieces, entropies, analysis.EntropyOptions{MinCount: minCount, Listed: 8}); err != nil {
		return err
	}
	if b, ok := r.Verifier(ds.Verifier); ok && b.Type == countdown.Name {
		report.Verdicts = map[string]int{}
		roles := make([][]string, len(gen.Responses))
		for i, resp := range gen.Responses {
			roles[i] = tokenRoles(resp.Pieces)
			if numbers, target, err := countdown.ParsePrompt(items[i].Problem); err == nil {
				report.Verdicts[countdown.CheckWork(numbers, target, items[i].Response).Failure.String()]++
			}
		}
		if report.Roles, err = analysis.GroupMeans(roles, entropies, 1); err != nil {
			return err
		}
	}
	return nil
}

// evaluatedDataset is the first dataset the run evaluates, else the one it
// trains on.
func evaluatedDataset(r *recipe.Run, datasets []trainer.Dataset) (trainer.Dataset, error) {
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

// tokenRoles gives each token the countdown role of its first character;
// special tokens get "<special>".
func tokenRoles(pieces []string) []string {
	charRoles := countdown.Roles(strings.Join(pieces, ""))
	out := make([]string, len(pieces))
	at := 0
	for i, p := range pieces {
		if p == "" {
			out[i] = "<special>"
			continue
		}
		out[i] = string(charRoles[at])
		at += len(p)
	}
	return out
}

func writeAnalysis(w io.Writer, rep analyzeReport) {
	fmt.Fprintf(w, "%s, run %s", rep.Recipe, rep.Run)
	if rep.Checkpoint != "" {
		fmt.Fprintf(w, ", checkpoint %s", rep.Checkpoint)
	}
	fmt.Fprintf(w, "\n%d held-out problems of %s × %d samples at T=%g (seed %d): accuracy %.1f%%\n",
		rep.Problems, rep.Dataset, rep.K, rep.Temperature, rep.Seed, 100*rep.Accuracy)
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
		fmt.Fprintf(w, "samples by verdict on the answer and the work before it: %s\n", strings.Join(counts, ", "))
	}
	if len(rep.Roles) > 0 {
		fmt.Fprintln(w, "average entropy by role:")
		for _, g := range rep.Roles {
			fmt.Fprintf(w, "  %-14s %.4f over %d tokens\n", g.Key, g.Mean, g.Count)
		}
	}
}
