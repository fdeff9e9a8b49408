package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/forkrl/forkrl/framework/plugin"
	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/rundir"
	"github.com/forkrl/forkrl/framework/sweep"
)

func init() {
	register(&command{
		name:    "sweep",
		summary: "train every run of a recipe's matrix (here or on Slurm) and compare its arms",
		run:     func(args []string) int { return sweepCommand(args, os.Stdout, os.Stderr) },
	})
}

// sweepFlags are the flags of forkrl sweep.
type sweepFlags struct {
	runFlags
	executor    string
	parallel    int
	partition   string
	maxParallel int
	sbatchArgs  varFlags
	detach      bool
	poll        time.Duration
	json        bool
	against     string
}

func sweepCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "status" {
		return sweepStatusCommand(args[1:], stdout, stderr)
	}
	fs := usage{
		name:  "sweep",
		flags: "[--executor local|slurm] [flags]",
		args:  "RECIPE",
		also:  []string{"sweep status [--out DIR] [--var NAME=VALUE ...] RECIPE"},
		about: []string{
			"Trains every run of a recipe that has not finished, resuming stopped runs from their",
			"last checkpoint: on this machine (N at a time with --parallel), or on a Slurm cluster",
			"as one sbatch job array (--executor slurm) whose tasks run forkrl run. Then prints",
			"one line per run, each arm (runs that differ only in their seed) across seeds with",
			"a 95% interval, and the arms the recipe names compared paired by seed, with paired t",
			"and bootstrap 95% intervals and a verdict. `forkrl sweep status` says where each",
			"run is.",
		},
	}.flagSet(stderr)
	var f sweepFlags
	f.register(fs.FlagSet)
	fs.StringVar(&f.executor, "executor", "local", "where the runs train: local (this machine) or slurm (one sbatch job array)")
	fs.IntVar(&f.parallel, "parallel", 1, "local: how many runs to train at a time")
	fs.StringVar(&f.partition, "partition", "", "slurm: the partition to submit to (default: the cluster's default)")
	fs.IntVar(&f.maxParallel, "max-parallel", 0, "slurm: at most this many tasks at a time (0: no limit)")
	fs.Var(&f.sbatchArgs, "sbatch-arg", "slurm: one more argument for sbatch, such as --time=2:00:00 (repeatable)")
	fs.BoolVar(&f.detach, "detach", false, "slurm: return once the job is submitted; run the sweep again to wait for it")
	fs.DurationVar(&f.poll, "poll", 10*time.Second, "slurm: how often to ask squeue how the job goes")
	fs.BoolVar(&f.json, "json", false, "print the results as JSON")
	fs.StringVar(&f.against, "against", "", "compare every arm with this one (default: the pairs of the recipe's sweep block)")
	path, code := fs.parseOne(args)
	if code >= 0 {
		return code
	}
	if f.parallel < 1 || f.maxParallel < 0 || f.poll <= 0 {
		fmt.Fprintln(stderr, "forkrl sweep: --parallel must be at least 1, --max-parallel at least 0 and --poll positive")
		return 2
	}
	if f.executor != "local" && f.executor != "slurm" {
		fmt.Fprintf(stderr, "forkrl sweep: --executor is local or slurm, not %q\n", f.executor)
		return 2
	}
	if name := otherExecutorFlag(fs.FlagSet, f.executor); name != "" {
		other := map[string]string{"local": "slurm", "slurm": "local"}[f.executor]
		fmt.Fprintf(stderr, "forkrl sweep: --%s is a flag of --executor %s, and this sweep's executor is %s\n", name, other, f.executor)
		return 2
	}
	rec, code := loadRecipe(path, f.vars, stderr)
	if rec == nil {
		return code
	}
	pairs, err := sweep.Pairs(sweep.Arms(rec.Runs), rec.Sweep.Compare, f.against)
	if err != nil {
		where := "forkrl sweep"
		if f.against == "" {
			at := rec.Sweep.CompareRange
			where = fmt.Sprintf("%s:%d:%d", at.Filename, at.Start.Line, at.Start.Column)
		}
		fmt.Fprintf(stderr, "%s: %v\n", where, err)
		return 2
	}
	dir, err := sweep.OpenDir(sweepDir(rec, f.out))
	if err != nil {
		return fs.fail(err)
	}
	ctx, stop := interruptible()
	defer stop()
	defer plugin.CloseAll()

	outcomes := make([]sweep.Outcome, len(rec.Runs))
	var todo []int
	for i := range rec.Runs {
		r := &rec.Runs[i]
		if sum, err := rundir.ReadSummary(runDir(r, f.out)); err == nil && sum.Status == rundir.StatusFinished {
			outcomes[i].Summary = sum
			fmt.Fprintf(stderr, "%s: finished already, skipped\n", r.Name)
			continue
		}
		todo = append(todo, i)
	}
	if f.executor == "local" {
		sweepLocal(ctx, rec, todo, outcomes, dir, f, stderr)
	} else if code, done := sweepSlurm(ctx, rec, path, todo, outcomes, dir, f, stderr); !done {
		return code
	}
	if code := printReport(stdout, stderr, sweep.NewReport(rec.Runs, outcomes, pairs), f.json); code != 0 {
		return code
	}
	if ctx.Err() != nil {
		fmt.Fprintf(stderr, "forkrl sweep: interrupted; continue it with: forkrl sweep %s\n", resumeArgs(path, "", &recipe.Recipe{}, f.runFlags))
		return exitInterrupted
	}
	for _, o := range outcomes {
		if o.Err != nil {
			return 1
		}
	}
	return 0
}

// otherExecutorFlag names a flag that was set but belongs to the executor
// not chosen, "" when there is none.
func otherExecutorFlag(fs *flag.FlagSet, executor string) string {
	slurmOnly := map[string]bool{"partition": true, "max-parallel": true, "sbatch-arg": true, "detach": true, "poll": true}
	var found string
	fs.Visit(func(fl *flag.Flag) {
		if found == "" && (slurmOnly[fl.Name] && executor == "local" || fl.Name == "parallel" && executor == "slurm") {
			found = fl.Name
		}
	})
	return found
}

// sweepDir is the sweep directory of a recipe: sweep-NAME beside the run
// directories, NAME the recipe's file name without .hcl.
func sweepDir(rec *recipe.Recipe, out string) string {
	root := "runs"
	if len(rec.Runs) > 0 {
		root = filepath.Dir(runDir(&rec.Runs[0], out))
	}
	return filepath.Join(root, "sweep-"+strings.TrimSuffix(filepath.Base(rec.Filename), ".hcl"))
}

func printReport(stdout, stderr io.Writer, rep sweep.Report, asJSON bool) int {
	var err error
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "forkrl sweep: %v\n", err)
		return 1
	}
	return 0
}

// sweepLocal trains the runs todo on this machine, f.parallel at a time,
// with their progress lines on stderr and in the sweep directory's logs.
func sweepLocal(ctx context.Context, rec *recipe.Recipe, todo []int, outcomes []sweep.Outcome, dir *sweep.Dir, f sweepFlags, stderr io.Writer) {
	var wg sync.WaitGroup
	var mu sync.Mutex // serialises messages
	slots := make(chan struct{}, f.parallel)
	for _, i := range todo {
		r := &rec.Runs[i]
		slots <- struct{}{}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			progress := io.Writer(lockedWriter{&mu, stderr})
			if log, err := os.OpenFile(dir.LogPath(r.Name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err == nil {
				defer log.Close()
				progress = io.MultiWriter(progress, log)
			}
			path := runDir(r, f.out)
			sum, err := trainRun(ctx, r, path, rundir.Exists(path), false, progress, nil)
			outcomes[i] = sweep.Outcome{Summary: sum, Err: err}
			if err != nil {
				mu.Lock()
				fmt.Fprintf(stderr, "%s: %v\n", r.Name, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// lockedWriter serialises the progress lines of parallel runs.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// sweepSlurm submits the runs todo as one job array, or, when the sweep's
// last job is still in the queue, joins it; then waits for it (unless
// detached) and fills in the outcomes. done is false when there is no table
// to print (detached, a failure to talk to Slurm, or stopped while
// waiting); code is then the exit status.
func sweepSlurm(ctx context.Context, rec *recipe.Recipe, path string, todo []int, outcomes []sweep.Outcome, dir *sweep.Dir, f sweepFlags, stderr io.Writer) (code int, done bool) {
	slurm := &sweep.Slurm{Run: sweep.Exec, Partition: f.partition, MaxParallel: f.maxParallel, SbatchArgs: f.sbatchArgs}
	job, err := dir.ReadJob()
	if err != nil {
		fmt.Fprintf(stderr, "forkrl sweep: %v\n", err)
		return 1, false
	}
	var queued []sweep.Task
	if job != nil {
		if queued, err = slurm.Queue(ctx, job.ID); err != nil {
			fmt.Fprintf(stderr, "forkrl sweep: asking Slurm about job %s of this sweep: %v\n", job.ID, err)
			return 1, false
		}
	}
	switch {
	case len(queued) > 0:
		fmt.Fprintf(stderr, "job %s of this sweep is still in the queue (%d of its %d tasks): following it\n", job.ID, len(queued), len(job.Runs))
	case len(todo) == 0:
		fillOutcomes(rec, outcomes, f.out)
		return 0, true
	default:
		names := make([]string, len(todo))
		for k, i := range todo {
			names[k] = rec.Runs[i].Name
		}
		if job, err = submit(ctx, slurm, dir, path, names, f, stderr); err != nil {
			fmt.Fprintf(stderr, "forkrl sweep: submitting %d runs to Slurm: %v\n", len(names), err)
			return 1, false
		}
		fmt.Fprintf(stderr, "submitted job %s: %d runs as array tasks 0-%d (their names by index in %s)\n",
			job.ID, len(names), len(names)-1, filepath.Join(dir.Path, sweep.TasksFile))
	}
	if f.detach {
		fmt.Fprintf(stderr, "detached: see where the runs are with forkrl sweep status %s; run this sweep again to wait for the job and print the results\n", path)
		return 0, false
	}
	err = slurm.Wait(ctx, job.ID, f.poll, func(t sweep.Task) {
		name := "?"
		if t.Index < len(job.Runs) {
			name = job.Runs[t.Index]
		}
		fmt.Fprintf(stderr, "%s: %s (task %s)\n", name, strings.ToLower(t.State), t.ID())
	})
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "forkrl sweep: stopped waiting; job %s goes on: forkrl sweep status %s\n", job.ID, path)
		} else {
			fmt.Fprintf(stderr, "forkrl sweep: following job %s: %v\n", job.ID, err)
		}
		return 1, false
	}
	fillOutcomes(rec, outcomes, f.out)
	ended, err := slurm.Ended(ctx, job.ID)
	if err != nil {
		fmt.Fprintf(stderr, "forkrl sweep: %v\n", err)
	}
	state := map[int]string{}
	for _, t := range ended {
		state[t.Index] = t.State
	}
	index := map[string]int{}
	for i := range rec.Runs {
		index[rec.Runs[i].Name] = i
	}
	for idx, name := range job.Runs {
		i, ok := index[name]
		if !ok {
			continue // the recipe changed since the job was submitted
		}
		task := fmt.Sprintf("%s_%d", job.ID, idx)
		res, found, err := dir.Result(name)
		switch {
		case err != nil:
			outcomes[i].Err = err
		case !found:
			how := "without a result"
			if s := state[idx]; s != "" {
				how = "as " + s + " without a result"
			}
			outcomes[i].Err = fmt.Errorf("task %s ended %s (killed before its run ended?); its output: %s", task, how, dir.LogPath(name))
		case res.Code != 0:
			said := sweep.LastLine(dir.LogPath(name), "forkrl run: ")
			if said == "" {
				said = sweep.LastLine(dir.LogPath(name), "")
			}
			outcomes[i].Err = fmt.Errorf("forkrl run exited with status %d in task %s, saying %q; its output: %s",
				res.Code, res.Task, said, dir.LogPath(name))
		}
		if outcomes[i].Err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, outcomes[i].Err)
		}
	}
	return 0, true
}

// submit writes the task script and the index → run file, and submits the
// runs as one job array.
func submit(ctx context.Context, slurm *sweep.Slurm, dir *sweep.Dir, path string, names []string, f sweepFlags, stderr io.Writer) (*sweep.Job, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	var flags []string
	if f.out != "" {
		flags = append(flags, "--out", f.out)
	}
	for _, v := range f.vars {
		flags = append(flags, "--var", v)
	}
	if f.detach && strings.Contains(exe, "go-build") {
		fmt.Fprintf(stderr, "warning: the tasks run this forkrl binary (%s); if go run built it, it is deleted when this command exits: build forkrl (go build ./cmd/forkrl) to submit a sweep with --detach\n", exe)
	}
	script := dir.Script(sweep.TaskCommand{Forkrl: exe, WorkDir: wd, Recipe: path, Flags: flags})
	if err := dir.Prepare(names, script); err != nil {
		return nil, err
	}
	name := "forkrl-" + strings.TrimSuffix(filepath.Base(path), ".hcl")
	output := filepath.Join(dir.Path, sweep.LogsDir, "slurm-%A_%a.out")
	id, err := slurm.Submit(ctx, filepath.Join(dir.Path, sweep.ScriptFile), name, output, len(names))
	if err != nil {
		return nil, err
	}
	job := &sweep.Job{ID: id, Runs: names, Partition: f.partition, Submitted: time.Now().UTC()}
	return job, dir.WriteJob(*job)
}

// fillOutcomes reads the summaries of the runs whose outcome is not known yet.
func fillOutcomes(rec *recipe.Recipe, outcomes []sweep.Outcome, out string) {
	for i := range rec.Runs {
		if outcomes[i].Summary.Status == "" && outcomes[i].Err == nil {
			if sum, err := rundir.ReadSummary(runDir(&rec.Runs[i], out)); err == nil {
				outcomes[i].Summary = sum
			}
		}
	}
}

// sweepStatusCommand prints where each run of a recipe's matrix is.
func sweepStatusCommand(args []string, stdout, stderr io.Writer) int {
	fs := usage{
		name:  "sweep status",
		flags: "[--out DIR] [--var NAME=VALUE ...]",
		args:  "RECIPE",
		about: []string{
			"Prints each run of the recipe's matrix: pending, running, finished or failed, the",
			"step it reached and the last line of its log; for a sweep on Slurm, the array task.",
		},
	}.flagSet(stderr)
	var f runFlags
	f.register(fs.FlagSet)
	path, code := fs.parseOne(args)
	if code >= 0 {
		return code
	}
	rec, code := loadRecipe(path, f.vars, stderr)
	if rec == nil {
		return code
	}
	dir := &sweep.Dir{Path: sweepDir(rec, f.out)} // read only: not created
	job, err := dir.ReadJob()
	if err != nil {
		return fs.fail(err)
	}
	queued := map[string]sweep.Task{}
	if job != nil {
		slurm := &sweep.Slurm{Run: sweep.Exec}
		tasks, err := slurm.Queue(context.Background(), job.ID)
		if err != nil {
			fmt.Fprintf(stderr, "forkrl sweep status: cannot ask Slurm about job %s: %v\n", job.ID, err)
		}
		for _, t := range tasks {
			if t.Index < len(job.Runs) {
				queued[job.Runs[t.Index]] = t
			}
		}
		fmt.Fprintf(stdout, "Slurm job %s, submitted %s: %d tasks, %d of them in the queue\n\n",
			job.ID, job.Submitted.Format("2006-01-02 15:04 MST"), len(job.Runs), len(tasks))
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "run\tstate\tstep\ttask")
	var logs []string
	for i := range rec.Runs {
		r := &rec.Runs[i]
		st := runState(r, runDir(r, f.out), dir, job, queued)
		fmt.Fprintf(w, "%s\t%s\t%d/%d\t%s\n", r.Name, st.state, st.step, r.Train.Steps, st.task)
		logs = append(logs, st.last)
	}
	if err := w.Flush(); err != nil {
		return 1
	}
	fmt.Fprintln(stdout, "\nlast line of each run's log:")
	for i, last := range logs {
		line := rec.Runs[i].Name + ": " + last
		if last == "" {
			line = rec.Runs[i].Name + ": (no log yet)"
		}
		if len([]rune(line)) > 78 {
			line = string([]rune(line)[:77]) + "…"
		}
		fmt.Fprintln(stdout, "  "+line)
	}
	return 0
}

// status is where one run of a sweep is.
type status struct {
	state string // pending, running, finished, failed, stopped, …
	step  int    // the last step done
	task  string // the Slurm array task, JOB_INDEX; "-" for none
	last  string // the last line of its log
}

// runState reads where a run is from its run directory, its result and log
// in the sweep directory, and the tasks of the sweep's job still queued.
func runState(r *recipe.Config, path string, dir *sweep.Dir, job *sweep.Job, queued map[string]sweep.Task) status {
	st := status{state: "pending", task: "-", last: sweep.LastLine(dir.LogPath(r.Name), "")}
	if st.last == "" {
		st.last = sweep.LastLine(filepath.Join(path, rundir.LogFile), "")
	}
	if job != nil && job.Task(r.Name) != "" {
		st.task = job.Task(r.Name)
	}
	sum, sumErr := rundir.ReadSummary(path)
	if sumErr == nil {
		st.step = sum.Step
		st.state = sum.Status
	}
	st.step = max(st.step, countLines(filepath.Join(path, rundir.MetricsFile)))
	res, hasResult, _ := dir.Result(r.Name)
	t, isQueued := queued[r.Name]
	switch {
	case isQueued:
		st.state = strings.ToLower(t.State)
	case hasResult && res.Code != 0:
		st.state = rundir.StatusFailed
	case sumErr != nil && rundir.Exists(path):
		st.state = "started" // no checkpoint yet
	case st.state == rundir.StatusRunning && st.task != "-" && !hasResult:
		st.state = "killed" // its task left the queue without a result
	}
	return st
}

// countLines counts the lines of a file; 0 when it cannot be read.
func countLines(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(data), "\n")
}
