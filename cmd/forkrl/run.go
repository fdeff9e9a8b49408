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
	"sort"
	"strings"
	"syscall"

	"github.com/forkrl/forkrl/internal/digest"

	"github.com/forkrl/forkrl/framework/hooks"
	"github.com/forkrl/forkrl/framework/plugin"
	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/provenance"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/rundir"
	"github.com/forkrl/forkrl/framework/trainer"
)

func init() {
	register(&command{
		name:    "run",
		summary: "train one run of a recipe into runs/NAME (resumable)",
		run:     func(args []string) int { return runCommand(args, os.Stdout, os.Stderr) },
	})
}

// runFlags are the flags shared by run and sweep.
type runFlags struct {
	out  string
	vars varFlags
}

func (f *runFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.out, "out", "", "the folder that holds run directories (default: the recipe's output.dir)")
	fs.Var(&f.vars, "var", "set a variable: --var NAME=VALUE (repeatable)")
}

func runCommand(args []string, stdout, stderr io.Writer) int {
	fs := usage{
		name:  "run",
		flags: "[--run NAME] [--out DIR] [--var NAME=VALUE ...] [--resume [--allow-changes]]",
		args:  "RECIPE",
		about: []string{
			"Trains one run of a recipe into DIR/NAME: the recipe, hooks and resolved settings,",
			"metrics.jsonl (one line per step), eval.jsonl, rollout samples, checkpoints and",
			"summary.json. A progress line is printed after each step. --resume continues a",
			"stopped or killed run from its last checkpoint with the same random streams; it",
			"refuses a recipe, hooks file, data file or setting that changed since, unless",
			"--allow-changes is given.",
		},
	}.flagSet(stderr)
	var f runFlags
	f.register(fs.FlagSet)
	name := fs.String("run", "", "the run of the recipe to train, when it has several (see forkrl validate)")
	resume := fs.Bool("resume", false, "continue the run from its last checkpoint")
	allowChanges := fs.Bool("allow-changes", false, "with --resume: continue although the recipe, hooks, data or settings changed, recording the changes in the run's settings.json and log.txt")
	path, code := fs.parseOne(args)
	if code >= 0 {
		return code
	}
	if *allowChanges && !*resume {
		fmt.Fprintln(stderr, "forkrl run: --allow-changes goes with --resume")
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
	ctx, stop := interruptible()
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
	sum, err := trainRun(ctx, r, dir, *resume, *allowChanges, stderr, nil)
	if err != nil && ctx.Err() != nil {
		fmt.Fprintf(stderr, "forkrl run: %s: interrupted %s\n", r.Name, resumePoint(dir, sum.Step))
		fmt.Fprintf(stderr, "continue it with: forkrl run %s --resume\n", resumeArgs(path, r.Name, rec, f))
		return exitInterrupted
	}
	if err != nil {
		fmt.Fprintf(stderr, "forkrl run: %s: %v\n", r.Name, err)
		if sum.Step > 0 {
			fmt.Fprintf(stderr, "continue it with: forkrl run %s --resume\n", resumeArgs(path, r.Name, rec, f))
		}
		return 1
	}
	printSummary(stdout, dir, sum)
	return 0
}

// exitInterrupted is the exit status after Ctrl-C or SIGTERM: 128 + SIGINT,
// as shells report a command ended by Ctrl-C.
const exitInterrupted = 130

// interruptible returns a context cancelled by the first Ctrl-C or SIGTERM,
// which lets the run stop cleanly; a second one ends the process at once.
func interruptible() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // restore the default action for the next signal
	}()
	return ctx, stop
}

// resumePoint says where an interrupted run stands: its last completed step
// and the step its newest checkpoint will resume from.
func resumePoint(dir string, step int) string {
	if cp, ok := rundir.NewestCheckpointStep(dir); ok {
		return fmt.Sprintf("after step %d; its checkpoint of step %d is in %s", step, cp, filepath.Join(dir, rundir.CheckpointsDir))
	}
	return fmt.Sprintf("after step %d, before its first checkpoint: resuming starts it over", step)
}

// loadRecipe loads a recipe with the plugins' schemas and prints its
// diagnostics; nil and the exit status when it has errors.
func loadRecipe(path string, vars []string, stderr io.Writer) (*recipe.Recipe, int) {
	rec, diags := recipe.Load(path, recipe.Options{Vars: vars, Schemas: &plugin.RecipeSchemas{Log: stderr}})
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
func pickRun(rec *recipe.Recipe, name string) (*recipe.Config, error) {
	if name != "" {
		if r, ok := rec.Config(name); ok {
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
func runDir(r *recipe.Config, out string) string {
	if out == "" {
		out = r.Output.Dir
	}
	if out == "" {
		out = "runs"
	}
	return filepath.Join(out, r.Name)
}

// trainRun locks and opens the run directory, the plugins, the datasets and the hooks
// of a run, and trains it. The progress line goes to progress; afterStep,
// when not nil, is called after each step too.
func trainRun(ctx context.Context, r *recipe.Config, dirPath string, resume, allowChanges bool, progress io.Writer, afterStep func(rundir.Progress)) (rundir.Summary, error) {
	release, err := rundir.Lock(dirPath)
	if err != nil {
		return rundir.Summary{}, err
	}
	defer release()
	dir, err := openRunDir(r, dirPath, resume, allowChanges)
	if err != nil {
		return rundir.Summary{}, err
	}
	dir.Warn = func(msg string) { fmt.Fprintf(progress, "%s: %s\n", r.Name, msg) }
	plugins, closePlugins, err := openPlugins(ctx, r, dir.Path, progress)
	defer closePlugins()
	if err != nil {
		return rundir.Summary{}, err
	}
	datasets, err := trainer.LoadDatasets(r, plugin.Generators())
	if err != nil {
		return rundir.Summary{}, err
	}
	var script *hooks.Script
	if r.Hooks != nil {
		script, err = hooks.Load(r.Hooks.File, hooks.Options{
			Root: r.Dir, StepBudget: r.Hooks.StepBudget, Seed: r.Seed,
			Print: func(pos, msg string) { _ = dir.Logf("%s: %s", pos, msg) },
		})
		if err != nil {
			return rundir.Summary{}, err
		}
	}
	tr, err := trainer.New(ctx, r, trainer.Options{
		Plugins: plugins, Datasets: datasets, Hooks: script, Dir: dir, Resume: resume,
		Progress: func(p rundir.Progress) {
			fmt.Fprintf(progress, "%s  %s\n", r.Name, p)
			if afterStep != nil {
				afterStep(p)
			}
		},
	})
	if err != nil {
		return rundir.Summary{}, err
	}
	return tr.Run(ctx)
}

// openRunDir creates the run directory with the run's inputs (recipe, hooks,
// data fingerprints and resolved settings), or, to resume, opens it and
// refuses inputs that changed since, naming each change, unless
// allowChanges, which records them in the run directory.
func openRunDir(r *recipe.Config, path string, resume, allowChanges bool) (*rundir.Dir, error) {
	in, err := runInputs(r)
	if err != nil {
		return nil, err
	}
	if !resume || !rundir.Exists(path) {
		// A new run records the environment it runs on beside its settings.
		if err := withEnvironment(&in, provenance.Current()); err != nil {
			return nil, err
		}
		return rundir.Create(path, in)
	}
	dir, err := rundir.Open(path)
	if err != nil {
		return nil, err
	}
	// The environment records the process that started the run, not an
	// input of it: a resumed run keeps the one it has.
	old, err := dir.Settings()
	if err != nil {
		return nil, err
	}
	if env, ok, err := provenance.FromSettings(old); err != nil {
		return nil, err
	} else if ok {
		if err := withEnvironment(&in, env); err != nil {
			return nil, err
		}
	}
	changes, err := dir.Changes(in)
	if err != nil || len(changes) == 0 {
		return dir, err
	}
	if !allowChanges {
		return nil, fmt.Errorf("the run's inputs changed since %s was started:\n  %s\nstart a new run, or resume with these changes with --resume --allow-changes (they are then recorded in its %s and %s)",
			path, strings.Join(changes, "\n  "), rundir.SettingsFile, rundir.LogFile)
	}
	return dir, dir.AcceptChanges(in, changes)
}

// withEnvironment adds env to the settings of in, as their environment entry.
func withEnvironment(in *rundir.Inputs, env provenance.Environment) error {
	raw, err := json.Marshal(in.Settings)
	if err != nil {
		return err
	}
	if raw, err = provenance.AddToSettings(raw, env); err != nil {
		return err
	}
	in.Settings = json.RawMessage(raw)
	return nil
}

// Names of a run's input files inside its run directory.
const (
	recipeCopy = "recipe.hcl"
	hooksCopy  = "hooks.star"
)

// runInputs are the inputs that make a run what it is: the recipe and hooks
// files as they are now, the sha256 of its data files, and its resolved
// settings.
func runInputs(r *recipe.Config) (rundir.Inputs, error) {
	settings, err := r.JSON()
	if err != nil {
		return rundir.Inputs{}, err
	}
	files := map[string][]byte{}
	if files[recipeCopy], err = os.ReadFile(r.Recipe); err != nil {
		return rundir.Inputs{}, err
	}
	if r.Hooks != nil {
		if files[hooksCopy], err = os.ReadFile(r.Hooks.File); err != nil {
			return rundir.Inputs{}, err
		}
	}
	var data map[string]string
	for _, ds := range r.Datasets {
		for _, f := range ds.Files {
			sum, err := digest.File(f)
			if err != nil {
				return rundir.Inputs{}, fmt.Errorf("dataset %q: %w", ds.Name, err)
			}
			if data == nil {
				data = map[string]string{}
			}
			data[f] = sum
		}
	}
	return rundir.Inputs{Files: files, Data: data, Settings: json.RawMessage(settings), Upgrade: recipe.UpgradeSettings}, nil
}

// openPlugins opens and configures every plugin block of a run, plus a
// second instance of the policy as the frozen KL reference when the run has
// a KL term and names no reference backend. The returned function closes
// every plugin opened, also when an error stopped the opening half-way.
func openPlugins(ctx context.Context, r *recipe.Config, dir string, log io.Writer) (trainer.Plugins, func(), error) {
	var ps trainer.Plugins
	var opened []*plugin.Instance
	closeAll := func() {
		for _, in := range opened {
			_ = in.Close()
		}
	}
	open := func(b *recipe.PluginBlock, label string) error {
		in, err := plugin.Open(ctx, plugin.Spec{
			Kind: b.Kind, Name: b.Type, Label: label, Source: b.Source, SHA256: b.SHA256,
			Isolation: plugin.Isolation(b.Isolation), CallTimeout: b.CallTimeout(), Log: log,
		})
		if err != nil {
			return err
		}
		opened = append(opened, in)
		work := filepath.Join(dir, "plugins", string(b.Kind)+"-"+label)
		if err := os.MkdirAll(work, 0o755); err != nil {
			return err
		}
		abs, err := filepath.Abs(work)
		if err != nil {
			return err
		}
		resp, err := in.Plugin().Configure(ctx, pluginapi.ConfigureRequest{
			Settings: b.Settings, Seed: trainer.PluginSeed(r, b.Kind, label), Dir: abs,
		})
		if err != nil {
			return err
		}
		if err := resp.Diagnostics.Err(); err != nil {
			return fmt.Errorf("%s: %w", in.Spec, err)
		}
		return ps.Add(b.Kind, label, in.Plugin())
	}
	for _, b := range r.Plugins() {
		if err := open(b, b.Label); err != nil {
			return ps, closeAll, err
		}
	}
	if label, copyOfPolicy, ok := trainer.ReferenceLabel(r); ok && copyOfPolicy {
		b, found := r.Backend(r.Algorithm.Policy)
		if !found {
			return ps, closeAll, fmt.Errorf("the algorithm's policy %q is not a backend block", r.Algorithm.Policy)
		}
		if err := open(b, label); err != nil {
			return ps, closeAll, err
		}
	}
	return ps, closeAll, nil
}

// printSummary prints where the run is and how its evaluations moved.
func printSummary(w io.Writer, dir string, sum rundir.Summary) {
	fmt.Fprintf(w, "%s: %s after %d steps in %.0fs (%d tokens trained)\n", dir, sum.Status, sum.Step, sum.WallTimeS, sum.TokensTrained)
	names := make([]string, 0, len(sum.FinalEval))
	for n := range sum.FinalEval {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a, b := sum.InitialEval[n], sum.FinalEval[n]
		pass := ""
		for _, k := range b.Ks() {
			pass += fmt.Sprintf(", pass@%d %.1f%% -> %.1f%%", k, 100*a.PassAtK[k], 100*b.PassAtK[k])
		}
		fmt.Fprintf(w, "  %s: avg@%d %.1f%% -> %.1f%% (%+.1f points)%s, mean length %.1f -> %.1f, best avg@%d %.1f%% at step %d\n",
			n, b.N, 100*a.AvgAtN, 100*b.AvgAtN, 100*(b.AvgAtN-a.AvgAtN), pass,
			a.MeanLength, b.MeanLength, b.N, 100*sum.BestEval[n].AvgAtN, sum.BestEvalStep)
	}
}
