package sweep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Commander runs a command-line tool and returns its standard output. The
// error of a command that fails names the command line and holds what the
// tool wrote to its standard error.
type Commander func(ctx context.Context, name string, args ...string) ([]byte, error)

// Exec runs commands with os/exec.
func Exec(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err == nil {
		return out, nil
	}
	line := strings.Join(append([]string{name}, args...), " ")
	if errors.Is(err, exec.ErrNotFound) {
		return out, fmt.Errorf("%s: %s is not installed here (not found in PATH)", line, name)
	}
	msg := strings.TrimSpace(stderr.String())
	if msg == "" {
		return out, fmt.Errorf("%s: %w", line, err)
	}
	return out, fmt.Errorf("%s: %w: %s", line, err, msg)
}

// Slurm submits and follows job arrays through Slurm's own command-line
// tools: sbatch, squeue, scontrol and scancel.
type Slurm struct {
	Run         Commander // Exec, or a fake in tests
	Partition   string    // "": the cluster's default partition
	MaxParallel int       // at most this many tasks at a time (sbatch --array=…%K); 0: no limit
	SbatchArgs  []string  // more arguments for sbatch, before the script
}

// Task is one task of a job array as Slurm reports it.
type Task struct {
	JobID  string // the array's job id
	Index  int    // the task's index in the array
	State  string // Slurm's state: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, …
	Reason string // why a pending task waits, or "None"
}

// ID is the task's id as Slurm writes it: JOB_INDEX.
func (t Task) ID() string { return fmt.Sprintf("%s_%d", t.JobID, t.Index) }

// Submit submits script as a job array of tasks 0 … n−1 named name, with
// each task's standard output and error going to output (sbatch's %A and %a
// stand for the job and task ids), and returns the job id.
func (s *Slurm) Submit(ctx context.Context, script, name, output string, n int) (string, error) {
	array := fmt.Sprintf("--array=0-%d", n-1)
	if s.MaxParallel > 0 {
		array += fmt.Sprintf("%%%d", s.MaxParallel)
	}
	args := []string{"--parsable", array, "--job-name=" + name, "--output=" + output}
	if s.Partition != "" {
		args = append(args, "--partition="+s.Partition)
	}
	args = append(append(args, s.SbatchArgs...), script)
	out, err := s.Run(ctx, "sbatch", args...)
	if err != nil {
		return "", err
	}
	return ParseSbatch(out)
}

// ParseSbatch reads the job id that `sbatch --parsable` prints: "ID" or
// "ID;CLUSTER".
func ParseSbatch(out []byte) (string, error) {
	line := strings.TrimSpace(string(out))
	if i := strings.LastIndexByte(line, '\n'); i >= 0 {
		line = strings.TrimSpace(line[i+1:]) // warnings come first
	}
	id, _, _ := strings.Cut(line, ";")
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return "", fmt.Errorf("sbatch printed %q where a job id was expected", strings.TrimSpace(string(out)))
	}
	return id, nil
}

// squeueFormat is what Queue asks squeue for: task id, state, reason.
const squeueFormat = "%i|%T|%r"

// Queue lists the tasks of job that are still in Slurm's queue (pending,
// running, completing). A job that has left the queue has none.
func (s *Slurm) Queue(ctx context.Context, job string) ([]Task, error) {
	out, err := s.Run(ctx, "squeue", "--noheader", "--array", "--jobs="+job, "--format="+squeueFormat)
	if err != nil {
		if strings.Contains(err.Error(), "Invalid job id") {
			return nil, nil // purged from the controller's memory: ended long ago
		}
		return nil, err
	}
	return ParseSqueue(out)
}

// ParseSqueue reads the lines of `squeue --array --format=%i|%T|%r`: one
// task per line, "JOB_INDEX|STATE|REASON". A pending range that squeue did
// not expand ("JOB_[2-5%2]") gives one Task per index.
func ParseSqueue(out []byte) ([]Task, error) {
	var tasks []Task
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		fields := strings.Split(line, "|")
		if len(fields) != 3 {
			return nil, fmt.Errorf("squeue printed %q where JOB_TASK|STATE|REASON was expected", line)
		}
		job, idx, ok := strings.Cut(fields[0], "_")
		if !ok {
			return nil, fmt.Errorf("squeue printed %q: the task id %q is not JOB_INDEX", line, fields[0])
		}
		indices, err := parseIndices(idx)
		if err != nil {
			return nil, fmt.Errorf("squeue printed %q: %v", line, err)
		}
		for _, i := range indices {
			tasks = append(tasks, Task{JobID: job, Index: i, State: fields[1], Reason: fields[2]})
		}
	}
	return tasks, nil
}

// parseIndices reads an array index, or a range list such as "[2-5,7%2]".
func parseIndices(s string) ([]int, error) {
	if !strings.HasPrefix(s, "[") {
		i, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("the task index %q is not a number", s)
		}
		return []int{i}, nil
	}
	body := strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	body, _, _ = strings.Cut(body, "%") // the throttle
	var out []int
	for _, part := range strings.Split(body, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || b < a {
			return nil, fmt.Errorf("the task range %q is not a list of indices", s)
		}
		for i := a; i <= b; i++ {
			out = append(out, i)
		}
	}
	return out, nil
}

// Ended asks scontrol how the tasks of job ended (COMPLETED, FAILED,
// CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, …). The controller keeps a
// job for a while after it ends (MinJobAge); after that Ended returns none.
func (s *Slurm) Ended(ctx context.Context, job string) ([]Task, error) {
	out, err := s.Run(ctx, "scontrol", "--oneliner", "show", "job", job)
	if err != nil {
		if strings.Contains(err.Error(), "Invalid job id") {
			return nil, nil
		}
		return nil, err
	}
	return ParseScontrol(out)
}

// ParseScontrol reads `scontrol --oneliner show job JOB`: one line per task
// of an array, with ArrayJobId=, ArrayTaskId=, JobState= and Reason=. A line
// whose ArrayTaskId is a range stands for the tasks that have not started.
func ParseScontrol(out []byte) ([]Task, error) {
	var tasks []Task
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := map[string]string{}
		for _, word := range strings.Fields(line) {
			if k, v, ok := strings.Cut(word, "="); ok {
				if _, dup := f[k]; !dup {
					f[k] = v
				}
			}
		}
		job, idx, state := f["ArrayJobId"], f["ArrayTaskId"], f["JobState"]
		if job == "" || idx == "" || state == "" {
			return nil, fmt.Errorf("scontrol printed a job without ArrayJobId, ArrayTaskId or JobState: %.120q", line)
		}
		if !strings.HasPrefix(idx, "[") && strings.ContainsAny(idx, "-,%") {
			idx = "[" + idx + "]"
		}
		indices, err := parseIndices(idx)
		if err != nil {
			return nil, fmt.Errorf("scontrol printed %.120q: %v", line, err)
		}
		for _, i := range indices {
			tasks = append(tasks, Task{JobID: job, Index: i, State: state, Reason: f["Reason"]})
		}
	}
	return tasks, nil
}

// Cancel cancels a job (every task of an array, or one task as JOB_INDEX).
func (s *Slurm) Cancel(ctx context.Context, id string) error {
	_, err := s.Run(ctx, "scancel", id)
	return err
}

// Wait asks squeue every interval for the tasks of job until none is left
// in the queue, calling changed with each task whose state is new. A
// failing squeue is asked again, up to waitRetries times in a row. It
// returns early with ctx's error.
func (s *Slurm) Wait(ctx context.Context, job string, every time.Duration, changed func(Task)) error {
	seen := map[int]string{}
	failures := 0
	for {
		tasks, err := s.Queue(ctx, job)
		switch {
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			if failures++; failures > waitRetries {
				return err
			}
		default:
			failures = 0
			for _, t := range tasks {
				if seen[t.Index] != t.State {
					seen[t.Index] = t.State
					changed(t)
				}
			}
			if len(tasks) == 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
	}
}

// waitRetries is how many failures of squeue in a row Wait rides out (a
// controller that restarts, a timeout under load).
const waitRetries = 5
