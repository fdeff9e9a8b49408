package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forkrl/forkrl/framework/rundir"
	"github.com/forkrl/forkrl/framework/sweep"
	"github.com/forkrl/forkrl/internal/slurmtest"
)

// actAsForkrl makes the test binary run as forkrl (see TestMain): the tasks
// of a sweep on Slurm run the binary that submitted them.
const actAsForkrl = "FORKRL_TEST_BINARY_AS_FORKRL"

// sweepOutput runs forkrl sweep and returns its exit status and output.
func sweepOutput(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := sweepCommand(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestSweepOnSlurm runs sweeps through a real single-node Slurm cluster: a
// 2 arms × 2 seeds matrix as one job array, one of whose tasks is cancelled
// (scancel JOB_INDEX) after its run's second checkpoint; the sweep reports
// that run as failed and the others' results, and run again finishes only
// that run, from its checkpoint. Then the failures: a run that fails, a
// partition that does not exist, a controller that does not answer.
func TestSweepOnSlurm(t *testing.T) {
	cluster := slurmtest.Start(t, 4)
	t.Setenv(actAsForkrl, "1")
	out := t.TempDir()
	recipePath := filepath.Join("testdata", "sweep", "arms.hcl")
	args := func(more ...string) []string {
		return append(append([]string{"--executor", "slurm", "--out", out, "--poll", "200ms"}, more...), recipePath)
	}
	dir := &sweep.Dir{Path: filepath.Join(out, "sweep-arms")}

	t.Run("matrix, one task cancelled and finished from its checkpoint", func(t *testing.T) {
		code, _, stderr := sweepOutput(args("--detach", "--max-parallel", "4", "--sbatch-arg", "--time=10")...)
		if code != 0 || !strings.Contains(stderr, "detached") {
			t.Fatalf("detached sweep: exit %d\n%s", code, stderr)
		}
		job, err := dir.ReadJob()
		if err != nil || job == nil {
			t.Fatalf("job.json: %v %v", job, err)
		}
		if want := []string{"top20-seed1", "top20-seed2", "all-seed1", "all-seed2"}; !slices.Equal(job.Runs, want) {
			t.Fatalf("job %s runs %v, want %v", job.ID, job.Runs, want)
		}
		victim := "all-seed2"
		task := job.Task(victim)
		checkpoint := filepath.Join(out, victim, rundir.CheckpointsDir, "step-000002")
		deadline := time.Now().Add(90 * time.Second)
		for {
			if _, err := os.Stat(checkpoint); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s has no checkpoint of step 2 after 90s; its log:\n%s", victim, readFile(dir.LogPath(victim)))
			}
			time.Sleep(50 * time.Millisecond)
		}
		var status bytes.Buffer
		if code := sweepStatusCommand([]string{"--out", out, recipePath}, &status, &status); code != 0 || !strings.Contains(status.String(), victim+"    running") || !strings.Contains(status.String(), task) {
			t.Errorf("sweep status while %s trains: exit %d, want it running as task %s:\n%s", victim, code, task, status.String())
		}
		cluster.Run(t, "scancel", task)

		// The same command, not detached, follows the job to its end.
		code, stdout, stderr := sweepOutput(args()...)
		if code != 1 || !strings.Contains(stderr, "still in the queue") {
			t.Fatalf("following the job: exit %d, want 1\n%s\n%s", code, stdout, stderr)
		}
		if !strings.Contains(stderr, ": running (task "+job.ID+"_") {
			t.Errorf("the sweep did not report the states of the tasks it follows:\n%s", stderr)
		}
		for _, want := range []string{"all-seed2    failed", "top20-seed1  finished", "top20-seed2  finished", "all-seed1  finished",
			"all-seed2 failed: task " + task + " ended as CANCELLED without a result"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("the table lacks %q:\n%s", want, stdout)
			}
		}
		status.Reset()
		if code := sweepStatusCommand([]string{"--out", out, recipePath}, &status, &status); code != 0 || !strings.Contains(status.String(), task) ||
			!strings.Contains(status.String(), "Slurm job "+job.ID+", submitted ") || !strings.Contains(status.String(), ": 4 tasks, 0 of them in the queue") {
			t.Errorf("sweep status: exit %d, lacks job %s or task %s:\n%s", code, job.ID, task, status.String())
		}
		stopped, err := rundir.ReadSummary(filepath.Join(out, victim))
		if err != nil || stopped.Status == rundir.StatusFinished || stopped.Step < 2 {
			t.Fatalf("%s after scancel: %+v %v", victim, stopped, err)
		}

		// Run again: only the cancelled run is submitted, and it resumes.
		code, stdout, stderr = sweepOutput(args("--json")...)
		if code != 0 {
			t.Fatalf("re-run: exit %d\n%s\n%s", code, stdout, stderr)
		}
		if n := strings.Count(stderr, "finished already, skipped"); n != 3 {
			t.Errorf("the re-run skipped %d runs, want 3:\n%s", n, stderr)
		}
		again, err := dir.ReadJob()
		if err != nil || again.ID == job.ID || !slices.Equal(again.Runs, []string{victim}) {
			t.Fatalf("the re-run's job %+v (%v), want a new job of %s alone", again, err, victim)
		}
		log := readFile(dir.LogPath(victim))
		if n := strings.Count(log, victim+"  step  1/40 "); n != 1 {
			t.Errorf("step 1 of %s ran %d times, want once (a resume from its checkpoint):\n%s", victim, n, log)
		}
		if !strings.Contains(log, victim+"  step 40/40 ") {
			t.Errorf("%s's log lacks step 40:\n%s", victim, log)
		}
		var rep sweep.Report
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("--json: %v\n%s", err, stdout)
		}
		for _, r := range rep.Runs {
			if r.Status != rundir.StatusFinished || r.Step != 40 {
				t.Errorf("run %s: %s at step %d", r.Name, r.Status, r.Step)
			}
		}
		if len(rep.Comparisons) != 1 || rep.Comparisons[0].A != "top20" || rep.Comparisons[0].B != "all" || rep.Comparisons[0].Diff.N != 2 {
			t.Errorf("comparisons %+v, want top20 − all over 2 seeds", rep.Comparisons)
		}
	})

	t.Run("a failing run", func(t *testing.T) {
		out := t.TempDir()
		code, stdout, stderr := sweepOutput("--executor", "slurm", "--out", out, "--poll", "200ms", filepath.Join("testdata", "sweep", "fail.hcl"))
		if code != 1 {
			t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
		}
		for _, want := range []string{"ok  finished", "broken    failed", "broken failed: forkrl run exited with status 1 in task", `saying "forkrl run: broken: step 1: testdata/sweep/fail.star:2:9: hook on_step: fail: this run fails on purpose"`,
			"broken    failed     1    0.0      -     -     -       -"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("the table lacks %q:\n%s", want, stdout)
			}
		}
		if log := readFile(filepath.Join(out, "sweep-fail", "logs", "broken.log")); !strings.Contains(log, "this run fails on purpose") {
			t.Errorf("broken's log lacks the hook's error:\n%s", log)
		}
	})

	t.Run("a partition that does not exist", func(t *testing.T) {
		code, _, stderr := sweepOutput("--executor", "slurm", "--partition", "nope", "--out", t.TempDir(), recipePath)
		if code != 1 || !strings.Contains(stderr, "sbatch") || !strings.Contains(stderr, "--partition=nope") || !strings.Contains(stderr, "Invalid partition name specified") {
			t.Errorf("exit %d, want 1 and sbatch's complaint:\n%s", code, stderr)
		}
	})

	t.Run("a controller that does not answer", func(t *testing.T) {
		conf := readFile(cluster.Conf)
		dead := strings.Replace(conf, "SlurmctldHost=", "SlurmctldHost=", 1)
		lines := strings.Split(dead, "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, "SlurmctldPort=") {
				lines[i] = "SlurmctldPort=9" // discard: nothing answers
			}
		}
		path := filepath.Join(t.TempDir(), "slurm.conf")
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv("SLURM_CONF", path)
		code, _, stderr := sweepOutput("--executor", "slurm", "--out", t.TempDir(), recipePath)
		if code != 1 || !strings.Contains(stderr, "forkrl sweep: submitting 4 runs to Slurm: sbatch") || !strings.Contains(stderr, "Unable to contact slurm controller") {
			t.Errorf("exit %d, want 1 and sbatch's complaint:\n%s", code, stderr)
		}
	})
}

func readFile(path string) string {
	data, _ := os.ReadFile(path)
	return string(data)
}

// TestSweepLocalFailingRun: on this machine too, a failed run shows as
// failed and the other's results still print; sweep status says so.
func TestSweepLocalFailingRun(t *testing.T) {
	out := t.TempDir()
	recipePath := filepath.Join("testdata", "sweep", "fail.hcl")
	code, stdout, stderr := sweepOutput("--out", out, recipePath)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"ok  finished     2", "broken    failed     1    0.0      -     -     -       -", "broken failed: step 1: testdata/sweep/fail.star:2:9: hook on_step: fail: this run fails on purpose"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the table lacks %q:\n%s", want, stdout)
		}
	}
	var status bytes.Buffer
	if code := sweepStatusCommand([]string{"--out", out, recipePath}, &status, &status); code != 0 {
		t.Fatalf("sweep status: exit %d\n%s", code, status.String())
	}
	for _, want := range []string{"ok      finished  2/2", "broken  failed    1/2", "ok: ok  step 2/2"} {
		if !strings.Contains(status.String(), want) {
			t.Errorf("sweep status lacks %q:\n%s", want, status.String())
		}
	}
}

// TestSweepWithoutSlurm: where Slurm's tools are not installed, the sweep
// says which command it could not run.
func TestSweepWithoutSlurm(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	code, _, stderr := sweepOutput("--executor", "slurm", "--out", t.TempDir(), filepath.Join("testdata", "sweep", "arms.hcl"))
	if code != 1 || !strings.Contains(stderr, "submitting 4 runs to Slurm: sbatch --parsable --array=0-3") || !strings.Contains(stderr, "sbatch is not installed here (not found in PATH)") {
		t.Errorf("exit %d, want 1 and a message naming sbatch:\n%s", code, stderr)
	}
}

func TestSweepRefusesTheOtherExecutorsFlags(t *testing.T) {
	recipePath := filepath.Join("testdata", "sweep", "arms.hcl")
	code, _, stderr := sweepOutput("--partition", "gpu", recipePath)
	if code != 2 || !strings.Contains(stderr, "--partition is a flag of --executor slurm, and this sweep's executor is local") {
		t.Errorf("--partition on this machine: exit %d\n%s", code, stderr)
	}
	code, _, stderr = sweepOutput("--executor", "slurm", "--parallel", "2", recipePath)
	if code != 2 || !strings.Contains(stderr, "--parallel is a flag of --executor local, and this sweep's executor is slurm") {
		t.Errorf("--parallel on Slurm: exit %d\n%s", code, stderr)
	}
}

// TestSweepComparesNamedArms: arms the recipe's sweep block or --against
// names must exist; an unknown one is reported at its place in the recipe.
func TestSweepComparesNamedArms(t *testing.T) {
	dir := t.TempDir()
	src := readFile(filepath.Join("testdata", "sweep", "arms.hcl"))
	bad := strings.Replace(src, `compare = [["top20", "all"]]`, `compare = [["top20", "al"]]`, 1)
	path := filepath.Join(dir, "bad.hcl")
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := sweepOutput("--out", dir, path)
	if code != 2 || !strings.Contains(stderr, path+`:77:13: the recipe has no arm "al"; its arms: top20, all`) {
		t.Errorf("exit %d, want 2 and the place of the unknown arm:\n%s", code, stderr)
	}
	code, _, stderr = sweepOutput("--out", dir, "--against", "top10", filepath.Join("testdata", "sweep", "arms.hcl"))
	if code != 2 || !strings.Contains(stderr, `forkrl sweep: the recipe has no arm "top10"`) {
		t.Errorf("--against top10: exit %d\n%s", code, stderr)
	}
}
