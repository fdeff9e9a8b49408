package sweep

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The outputs below are what Slurm 22.05 printed on the single-node cluster
// of the sweep tests; the fake Commander only feeds them to the parsers.
// The executor itself is tested against real Slurm (cmd/forkrl).

func TestParseSbatch(t *testing.T) {
	for out, want := range map[string]string{
		"17\n":         "17",
		"17;cluster\n": "17",
		"sbatch: warning: can't honor --ntasks-per-node\n42\n": "42",
	} {
		if got, err := ParseSbatch([]byte(out)); got != want || err != nil {
			t.Errorf("ParseSbatch(%q) = %q, %v; want %q", out, got, err, want)
		}
	}
	if _, err := ParseSbatch([]byte("Submitted batch job\n")); err == nil || !strings.Contains(err.Error(), "where a job id was expected") {
		t.Errorf("ParseSbatch of no id: %v", err)
	}
}

func TestParseSqueue(t *testing.T) {
	out := "1_2|PENDING|JobArrayTaskLimit\n1_3|PENDING|JobArrayTaskLimit\n1_0|RUNNING|None\n1_1|RUNNING|None\n"
	tasks, err := ParseSqueue([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	want := []Task{{"1", 2, "PENDING", "JobArrayTaskLimit"}, {"1", 3, "PENDING", "JobArrayTaskLimit"}, {"1", 0, "RUNNING", "None"}, {"1", 1, "RUNNING", "None"}}
	if !slices.Equal(tasks, want) {
		t.Errorf("tasks %v, want %v", tasks, want)
	}
	// A pending range squeue did not expand, with its throttle.
	tasks, err = ParseSqueue([]byte("8_[4-6,9%2]|PENDING|JobArrayTaskLimit\n"))
	var idx []int
	for _, t := range tasks {
		idx = append(idx, t.Index)
	}
	if err != nil || !slices.Equal(idx, []int{4, 5, 6, 9}) || tasks[0].ID() != "8_4" {
		t.Errorf("range: %v %v", tasks, err)
	}
	if tasks, err := ParseSqueue(nil); err != nil || len(tasks) != 0 {
		t.Errorf("empty queue: %v %v", tasks, err)
	}
	for _, bad := range []string{"1_2|PENDING", "12|RUNNING|None", "1_x|RUNNING|None", "1_[5-2]|PENDING|None"} {
		if _, err := ParseSqueue([]byte(bad)); err == nil {
			t.Errorf("ParseSqueue(%q) accepted", bad)
		}
	}
}

func TestParseScontrol(t *testing.T) {
	out := "JobId=5 ArrayJobId=4 ArrayTaskId=1 ArrayTaskThrottle=0 JobName=forkrl-arms UserId=root(0) JobState=CANCELLED Reason=None Dependency=(null) ExitCode=0:15\n" +
		"JobId=4 ArrayJobId=4 ArrayTaskId=0 ArrayTaskThrottle=0 JobName=forkrl-arms UserId=root(0) JobState=COMPLETED Reason=None ExitCode=0:0\n" +
		"JobId=7 ArrayJobId=4 ArrayTaskId=2-3%2 JobName=x JobState=PENDING Reason=JobArrayTaskLimit\n"
	tasks, err := ParseScontrol([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	want := []Task{{"4", 1, "CANCELLED", "None"}, {"4", 0, "COMPLETED", "None"}, {"4", 2, "PENDING", "JobArrayTaskLimit"}, {"4", 3, "PENDING", "JobArrayTaskLimit"}}
	if !slices.Equal(tasks, want) {
		t.Errorf("tasks %v, want %v", tasks, want)
	}
	if _, err := ParseScontrol([]byte("JobId=3 JobState=RUNNING\n")); err == nil {
		t.Error("a job that is not an array accepted")
	}
}

// fake records the command lines it is given and answers with canned
// output or an error.
type fake struct {
	calls [][]string
	out   string
	err   error
}

func (f *fake) run(_ context.Context, name string, args ...string) ([]byte, error) {
	f.calls = append(f.calls, append([]string{name}, args...))
	return []byte(f.out), f.err
}

func TestSubmitArguments(t *testing.T) {
	f := &fake{out: "31\n"}
	s := &Slurm{Run: f.run, Partition: "gpu", MaxParallel: 2, SbatchArgs: []string{"--time=1:00:00"}}
	id, err := s.Submit(context.Background(), "/s/task.sh", "forkrl-arms", "/s/logs/slurm-%A_%a.out", 4)
	if err != nil || id != "31" {
		t.Fatalf("Submit: %q %v", id, err)
	}
	want := []string{"sbatch", "--parsable", "--array=0-3%2", "--job-name=forkrl-arms", "--output=/s/logs/slurm-%A_%a.out", "--partition=gpu", "--time=1:00:00", "/s/task.sh"}
	if !slices.Equal(f.calls[0], want) {
		t.Errorf("sbatch %q, want %q", f.calls[0], want)
	}
	// A job purged from the controller has left the queue.
	f = &fake{err: errors.New("squeue --jobs=9: exit status 1: slurm_load_jobs error: Invalid job id specified")}
	s.Run = f.run
	if tasks, err := s.Queue(context.Background(), "9"); err != nil || len(tasks) != 0 {
		t.Errorf("Queue of a purged job: %v %v", tasks, err)
	}
}

func TestExecNamesAMissingTool(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Exec(context.Background(), "sbatch", "--parsable", "x.sh")
	if err == nil || !strings.Contains(err.Error(), "sbatch --parsable x.sh: sbatch is not installed here") {
		t.Errorf("error %v", err)
	}
}

// TestTaskScript runs the task script with sh, as a Slurm task would, with
// a stand-in forkrl that records its arguments and exits with status 3.
func TestTaskScript(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	root := t.TempDir()
	d, err := OpenDir(filepath.Join(root, "sweep-x"))
	if err != nil {
		t.Fatal(err)
	}
	forkrl := filepath.Join(root, "fake forkrl")
	if err := os.WriteFile(forkrl, []byte("#!/bin/sh\necho \"$@\"\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	script := d.Script(TaskCommand{Forkrl: forkrl, WorkDir: root, Recipe: "my recipe.hcl", Flags: []string{"--var", "note=it's"}})
	if err := d.Prepare([]string{"a-seed1", "b-seed1"}, script); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", filepath.Join(d.Path, ScriptFile))
	cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_JOB_ID=12")
	if err := cmd.Run(); err == nil || cmd.ProcessState.ExitCode() != 3 {
		t.Fatalf("the task script exited %v, want status 3", err)
	}
	res, ok, err := d.Result("b-seed1")
	if err != nil || !ok || res != (Result{Code: 3, Task: "12_1"}) {
		t.Errorf("result %+v %v %v, want {3 12_1}", res, ok, err)
	}
	if got, want := LastLine(d.LogPath("b-seed1"), ""), "run --run b-seed1 --resume --var note=it's my recipe.hcl"; got != want {
		t.Errorf("forkrl got %q, want %q", got, want)
	}
	if _, ok, _ := d.Result("a-seed1"); ok {
		t.Error("a result for a run that did not run")
	}
	// Prepare removes the earlier result of a run it submits again.
	if err := d.Prepare([]string{"b-seed1"}, script); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := d.Result("b-seed1"); ok {
		t.Error("Prepare left the earlier result")
	}
	// An index past the end of the tasks file.
	cmd = exec.Command("sh", filepath.Join(d.Path, ScriptFile))
	cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID=5", "SLURM_ARRAY_JOB_ID=12")
	if out, _ := cmd.CombinedOutput(); !strings.Contains(string(out), "no run at index 5") {
		t.Errorf("index 5: %s", out)
	}
}

// TestWaitRidesOutFailures: Wait reports each task's new state, asks again
// after a failing squeue, and returns when the job has left the queue.
func TestWaitRidesOutFailures(t *testing.T) {
	answers := []struct {
		out string
		err error
	}{
		{"3_0|PENDING|Priority\n3_1|PENDING|Priority\n", nil},
		{"", errors.New("squeue: error: Socket timed out on send/recv operation")},
		{"3_0|RUNNING|None\n3_1|PENDING|Priority\n", nil},
		{"3_1|RUNNING|None\n", nil},
		{"", nil},
	}
	calls := 0
	s := &Slurm{Run: func(context.Context, string, ...string) ([]byte, error) {
		a := answers[calls]
		calls++
		return []byte(a.out), a.err
	}}
	var seen []string
	err := s.Wait(context.Background(), "3", time.Millisecond, func(t Task) { seen = append(seen, t.ID()+" "+t.State) })
	want := []string{"3_0 PENDING", "3_1 PENDING", "3_0 RUNNING", "3_1 RUNNING"}
	if err != nil || calls != len(answers) || !slices.Equal(seen, want) {
		t.Errorf("Wait: %v after %d calls, saw %v; want %v", err, calls, seen, want)
	}
	fail := &Slurm{Run: func(context.Context, string, ...string) ([]byte, error) { return nil, errors.New("down") }}
	if err := fail.Wait(context.Background(), "3", time.Millisecond, func(Task) {}); err == nil || err.Error() != "down" {
		t.Errorf("Wait on a squeue that keeps failing: %v", err)
	}
}

func TestLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	text := "resuming x\nforkrl run: x: step 3: boom\nTraceback\r  at y\ncontinue it with: forkrl run x --resume\n\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	for prefix, want := range map[string]string{"": "continue it with: forkrl run x --resume", "forkrl run: ": "forkrl run: x: step 3: boom", "nothing": ""} {
		if got := LastLine(path, prefix); got != want {
			t.Errorf("LastLine(%q) = %q, want %q", prefix, got, want)
		}
	}
	if got := LastLine(filepath.Join(t.TempDir(), "none"), ""); got != "" {
		t.Errorf("a missing file: %q", got)
	}
}
