package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"

	"github.com/forkrl/forkrl/framework/hooks"
	"github.com/forkrl/forkrl/framework/plugin"
	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/framework/pluginapi/selector"
	"github.com/forkrl/forkrl/framework/pluginapi/verifier"
	"github.com/forkrl/forkrl/framework/provenance"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/run"
	"github.com/forkrl/forkrl/framework/trainer"
	"github.com/forkrl/forkrl/plugins/verifier/countdown"
)

func init() {
	register(&command{
		name:    "run",
		summary: "train one run of a recipe into runs/NAME (resumable)",
		run:     func(args []string) int { return runCommand(args, os.Stdout, os.Stderr) },
	})
}

// generators are the built-in dataset generators a recipe's dataset may name.
var generators = map[string]trainer.Generator{
	countdown.Name: func(settings pluginapi.Settings) (train, eval []trainer.Problem, diags pluginapi.Diagnostics) {
		ds, diags := countdown.Generate(settings)
		conv := func(recs []countdown.Record) []trainer.Problem {
			out := make([]trainer.Problem, len(recs))
			for i, r := range recs {
				out[i] = trainer.Problem{ID: r.ID, Prompt: r.Prompt, Problem: r.Problem, Answer: r.Answer}
			}
			return out
		}
		return conv(ds.Train), conv(ds.Eval), diags
	},
}

// generatorSchemas are the settings schemas of the built-in generators.
var generatorSchemas = map[string]pluginapi.Schema{countdown.Name: countdown.GeneratorSchema()}

// runFlags are the flags shared by run and sweep.
type runFlags struct {
	out  string
	vars varFlags
}

func (f *runFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.out, "out", "", "the folder that holds run directories (default: the recipe's output.dir)")
	fs.Var(&f.vars, "var", "set a variable: --var NAME=VALUE (repeatable)")
}

// parseInterleaved parses flags that may come before or after the one
// positional argument (the recipe) and returns it.
func parseInterleaved(fs *flag.FlagSet, args []string) (string, bool) {
	if err := fs.Parse(args); err != nil {
		return "", false
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return "", false
	}
	path := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return "", false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "forkrl %s: one recipe at a time; unexpected %q\n", fs.Name(), fs.Arg(0))
		return "", false
	}
	return path, true
}

func runCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f runFlags
	f.register(fs)
	name := fs.String("run", "", "the run of the recipe to train, when it has several (see forkrl validate)")
	resume := fs.Bool("resume", false, "continue the run from its last checkpoint")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: forkrl run [--run NAME] [--out DIR] [--var NAME=VALUE ...] [--resume] RECIPE")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Trains one run of a recipe into DIR/NAME: the recipe, hooks and resolved settings,")
		fmt.Fprintln(stderr, "metrics.jsonl (one line per step), eval.jsonl, rollout samples, checkpoints and")
		fmt.Fprintln(stderr, "summary.json. A progress line is printed after each step. --resume continues a")
		fmt.Fprintln(stderr, "stopped or killed run from its last checkpoint with the same random streams.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	path, ok := parseInterleaved(fs, args)
	if !ok {
		return 2
	}
	rec, code := loadRecipe(path, f.vars, stderr)
	if rec == nil {
		return code
	}
	r, err := pickRun(rec, *name)
	if err != nil {
		fmt.Fprintf(stderr, "forkrl run: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer plugin.CloseAll()
	dir := runDir(r, f.out)
	verb := "training"
	if *resume {
		verb = "resuming"
	}
	evals := "at the start and the end"
	if r.Eval.Interval > 0 {
		evals = fmt.Sprintf("at the start, every %d steps and at the end", r.Eval.Interval)
	}
	fmt.Fprintf(stderr, "%s %s into %s: %d steps, evaluations %s\n", verb, r.Name, dir, r.Train.Steps, evals)
	sum, err := trainRun(ctx, r, dir, *resume, stderr, nil)
	if err != nil {
		fmt.Fprintf(stderr, "forkrl run: %s: %v\n", r.Name, err)
		if ctx.Err() != nil || sum.Step > 0 {
			fmt.Fprintf(stderr, "continue it with: forkrl run %s --resume\n", resumeArgs(path, r.Name, rec, f))
		}
		return 1
	}
	printSummary(stdout, dir, sum)
	return 0
}

// loadRecipe loads a recipe with the plugins' schemas and prints its
// diagnostics; nil and the exit status when it has errors.
func loadRecipe(path string, vars []string, stderr io.Writer) (*recipe.Recipe, int) {
	rec, diags := recipe.Load(path, recipe.Options{Vars: vars, Schemas: &recipe.PluginSchemas{Log: stderr, Generators: generatorSchemas}})
	if len(diags) > 0 {
		width, color := terminal(stderr)
		if err := recipe.WriteDiagnostics(stderr, rec.Files, diags, width, color); err != nil {
			fmt.Fprintf(stderr, "forkrl: %v\n", err)
		}
	}
	if diags.HasErrors() {
		return nil, 1
	}
	return rec, 0
}

// pickRun returns the named run, or the recipe's only run.
func pickRun(rec *recipe.Recipe, name string) (*recipe.Run, error) {
	if name != "" {
		if r, ok := rec.Run(name); ok {
			return r, nil
		}
		return nil, fmt.Errorf("the recipe has no run %q; its runs: %s", name, runNames(rec))
	}
	if len(rec.Runs) != 1 {
		return nil, fmt.Errorf("the recipe has %d runs (%s): choose one with --run NAME, or train them all with forkrl sweep", len(rec.Runs), runNames(rec))
	}
	return &rec.Runs[0], nil
}

func runNames(rec *recipe.Recipe) string {
	names := make([]string, len(rec.Runs))
	for i := range rec.Runs {
		names[i] = rec.Runs[i].Name
	}
	return strings.Join(names, ", ")
}

// resumeArgs is the command line that resumes a run.
func resumeArgs(path, name string, rec *recipe.Recipe, f runFlags) string {
	args := []string{path}
	if len(rec.Runs) > 1 {
		args = append(args, "--run", name)
	}
	if f.out != "" {
		args = append(args, "--out", f.out)
	}
	for _, v := range f.vars {
		args = append(args, "--var", v)
	}
	return strings.Join(args, " ")
}

// runDir is where a run's directory lives: --out, else the recipe's output.dir, else runs.
func runDir(r *recipe.Run, out string) string {
	if out == "" {
		out = r.Output.Dir
	}
	if out == "" {
		out = "runs"
	}
	return filepath.Join(out, r.Name)
}

// trainRun opens the run directory, the plugins, the datasets and the hooks
// of a run, and trains it. The progress line goes to progress; afterStep,
// when not nil, is called after each step too.
func trainRun(ctx context.Context, r *recipe.Run, dirPath string, resume bool, progress io.Writer, afterStep func(run.Progress)) (run.Summary, error) {
	dir, err := openRunDir(r, dirPath, resume)
	if err != nil {
		return run.Summary{}, err
	}
	plugins, closePlugins, err := openPlugins(ctx, r, dir.Path, progress)
	defer closePlugins()
	if err != nil {
		return run.Summary{}, err
	}
	datasets, err := trainer.LoadDatasets(r, generators)
	if err != nil {
		return run.Summary{}, err
	}
	var script *hooks.Script
	if r.Hooks != nil {
		script, err = hooks.Load(r.Hooks.File, hooks.Options{
			Root: r.Dir, StepBudget: r.Hooks.StepBudget, Seed: r.Seed,
			Print: func(pos, msg string) { _ = dir.Logf("%s: %s", pos, msg) },
		})
		if err != nil {
			return run.Summary{}, err
		}
	}
	tr, err := trainer.New(ctx, r, trainer.Options{
		Plugins: plugins, Datasets: datasets, Hooks: script, Dir: dir, Resume: resume,
		Progress: func(p run.Progress) {
			fmt.Fprintf(progress, "%s  %s\n", r.Name, p)
			if afterStep != nil {
				afterStep(p)
			}
		},
	})
	if err != nil {
		return run.Summary{}, err
	}
	return tr.Run(ctx)
}

// openRunDir creates the run directory with the recipe, hooks and resolved
// settings, or, to resume, opens it and checks that the settings are unchanged.
func openRunDir(r *recipe.Run, path string, resume bool) (*run.Dir, error) {
	settings, err := r.JSON()
	if err != nil {
		return nil, err
	}
	if resume && run.Exists(path) {
		dir, err := run.Open(path)
		if err != nil {
			return nil, err
		}
		old, err := dir.Settings()
		if err == nil {
			old, err = provenance.WithoutEnvironment(old)
		}
		if err != nil {
			return nil, err
		}
		if !sameJSON(old, settings) {
			return nil, fmt.Errorf("the recipe's settings changed since %s was started (compare its %s with forkrl validate -resolved); start a new run instead of resuming", path, run.SettingsFile)
		}
		return dir, nil
	}
	files := map[string][]byte{}
	src, err := os.ReadFile(r.Recipe)
	if err != nil {
		return nil, err
	}
	files["recipe.hcl"] = src
	if r.Hooks != nil {
		if files["hooks.star"], err = os.ReadFile(r.Hooks.File); err != nil {
			return nil, err
		}
	}
	if settings, err = provenance.AddToSettings(settings, provenance.Current()); err != nil {
		return nil, err
	}
	return run.Create(path, run.Inputs{Files: files, Settings: json.RawMessage(settings)})
}

// sameJSON reports whether two JSON documents hold the same values.
func sameJSON(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

// openPlugins opens and configures every plugin block of a run, plus a
// second instance of the policy as the frozen KL reference when the run has
// a KL term and names no reference backend. The returned function closes
// every plugin opened, also when an error stopped the opening half-way.
func openPlugins(ctx context.Context, r *recipe.Run, dir string, log io.Writer) (trainer.Plugins, func(), error) {
	ps := trainer.Plugins{
		Backends:  map[string]backend.Backend{},
		Verifiers: map[string]verifier.Verifier{},
		Selectors: map[string]selector.Selector{},
	}
	var opened []*plugin.Instance
	closeAll := func() {
		for _, in := range opened {
			_ = in.Close()
		}
	}
	ps, err := openEach(r, ps, func(b *recipe.PluginBlock, label string) (*plugin.Instance, error) {
		in, err := plugin.Open(ctx, plugin.Spec{
			Kind: b.Kind, Name: b.Type, Label: label, Source: b.Source, SHA256: b.SHA256,
			Isolation: plugin.Isolation(b.Isolation), Log: log,
		})
		if err != nil {
			return nil, err
		}
		opened = append(opened, in)
		work := filepath.Join(dir, "plugins", string(b.Kind)+"-"+label)
		if err := os.MkdirAll(work, 0o755); err != nil {
			return nil, err
		}
		abs, err := filepath.Abs(work)
		if err != nil {
			return nil, err
		}
		var configurable pluginapi.Plugin
		switch b.Kind {
		case pluginapi.KindBackend:
			configurable = in.Backend()
		case pluginapi.KindVerifier:
			configurable = in.Verifier()
		default:
			configurable = in.Selector()
		}
		resp, err := configurable.Configure(ctx, pluginapi.ConfigureRequest{
			Settings: b.Settings, Seed: trainer.PluginSeed(r, b.Kind, label), Dir: abs,
		})
		if err != nil {
			return nil, err
		}
		if err := resp.Diagnostics.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", in.Spec, err)
		}
		return in, nil
	})
	return ps, closeAll, err
}

// openEach opens every plugin of a run with open.
func openEach(r *recipe.Run, ps trainer.Plugins, open func(b *recipe.PluginBlock, label string) (*plugin.Instance, error)) (trainer.Plugins, error) {
	for i := range r.Backends {
		b := &r.Backends[i]
		in, err := open(b, b.Label)
		if err != nil {
			return ps, err
		}
		ps.Backends[b.Label] = in.Backend()
	}
	if label, copyOfPolicy, ok := trainer.ReferenceLabel(r); ok && copyOfPolicy {
		b, found := r.Backend(r.Algorithm.Policy)
		if !found {
			return ps, fmt.Errorf("the algorithm's policy %q is not a backend block", r.Algorithm.Policy)
		}
		in, err := open(b, label)
		if err != nil {
			return ps, err
		}
		ps.Backends[label] = in.Backend()
	}
	for i := range r.Verifiers {
		b := &r.Verifiers[i]
		in, err := open(b, b.Label)
		if err != nil {
			return ps, err
		}
		ps.Verifiers[b.Label] = in.Verifier()
	}
	for i := range r.Selectors {
		b := &r.Selectors[i]
		in, err := open(b, b.Label)
		if err != nil {
			return ps, err
		}
		ps.Selectors[b.Label] = in.Selector()
	}
	return ps, nil
}

// printSummary prints where the run is and how its evaluations moved.
func printSummary(w io.Writer, dir string, sum run.Summary) {
	fmt.Fprintf(w, "%s: %s after %d steps in %.0fs (%d tokens trained)\n", dir, sum.Status, sum.Step, sum.WallTimeS, sum.TokensTrained)
	names := make([]string, 0, len(sum.FinalEval))
	for n := range sum.FinalEval {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a, b := sum.InitialEval[n], sum.FinalEval[n]
		fmt.Fprintf(w, "  %s: avg@%d %.1f%% -> %.1f%% (%+.1f points), pass@%d %.1f%% -> %.1f%%, mean length %.1f -> %.1f, best avg@%d %.1f%% at step %d\n",
			n, b.K, 100*a.AvgAtK, 100*b.AvgAtK, 100*(b.AvgAtK-a.AvgAtK), b.K, 100*a.PassAtK, 100*b.PassAtK,
			a.MeanLength, b.MeanLength, b.K, 100*sum.BestEval[n].AvgAtK, sum.BestEvalStep)
	}
}
