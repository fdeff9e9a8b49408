package sweep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/forkrl/forkrl/internal/atomicfile"
)

// Names inside a sweep directory.
const (
	TasksFile  = "tasks.txt" // the run name of each array index, one a line
	JobFile    = "job.json"  // the job last submitted (Job)
	ScriptFile = "task.sh"   // the script each array task runs
	ResultsDir = "results"   // results/NAME: the exit status of the run's task
	LogsDir    = "logs"      // logs/NAME.log: the output of the run's training
)

// Dir is a sweep directory: the files through which a sweep and the tasks
// of its job array meet, beside the run directories.
type Dir struct {
	Path string
}

// OpenDir opens the sweep directory at path, creating it when needed.
func OpenDir(path string) (*Dir, error) {
	for _, sub := range []string{ResultsDir, LogsDir} {
		if err := os.MkdirAll(filepath.Join(path, sub), 0o755); err != nil {
			return nil, err
		}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return &Dir{Path: abs}, nil
}

// Job is a job array submitted for a sweep.
type Job struct {
	ID        string    `json:"id"`
	Runs      []string  `json:"runs"` // the run of each array index
	Partition string    `json:"partition,omitempty"`
	Submitted time.Time `json:"submitted"`
}

// Task is the id of the array task that trains the named run, "" when the
// job does not hold it.
func (j *Job) Task(name string) string {
	for i, n := range j.Runs {
		if n == name {
			return fmt.Sprintf("%s_%d", j.ID, i)
		}
	}
	return ""
}

// Prepare readies the directory for a job array that trains runs: it
// writes the task script and the index → run file, and removes the earlier
// results of those runs.
func (d *Dir) Prepare(runs []string, script string) error {
	for _, name := range runs {
		if err := os.Remove(d.resultPath(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := atomicfile.WriteFile(filepath.Join(d.Path, TasksFile), []byte(strings.Join(runs, "\n")+"\n")); err != nil {
		return err
	}
	path := filepath.Join(d.Path, ScriptFile)
	if err := atomicfile.WriteFile(path, []byte(script)); err != nil {
		return err
	}
	return os.Chmod(path, 0o755)
}

// WriteJob records the job last submitted.
func (d *Dir) WriteJob(j Job) error {
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(d.Path, JobFile), append(data, '\n'))
}

// ReadJob reads the job last submitted; nil when there is none.
func (d *Dir) ReadJob() (*Job, error) {
	data, err := os.ReadFile(filepath.Join(d.Path, JobFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var j Job
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(d.Path, JobFile), err)
	}
	return &j, nil
}

// Result is what a task wrote when its run's training ended.
type Result struct {
	Code int    // forkrl run's exit status
	Task string // the array task, JOB_INDEX
}

// Result reads the result the task of the named run wrote; ok is false
// when there is none (not run yet, still running, or killed before it could
// write one).
func (d *Dir) Result(name string) (res Result, ok bool, err error) {
	data, err := os.ReadFile(d.resultPath(name))
	if errors.Is(err, fs.ErrNotExist) {
		return res, false, nil
	}
	if err != nil {
		return res, false, err
	}
	fields := strings.Fields(string(data))
	if len(fields) != 2 {
		return res, false, fmt.Errorf("%s: %q is not \"EXIT-STATUS JOB_TASK\"", d.resultPath(name), data)
	}
	if res.Code, err = strconv.Atoi(fields[0]); err != nil {
		return res, false, fmt.Errorf("%s: the exit status %q is not a number", d.resultPath(name), fields[0])
	}
	res.Task = fields[1]
	return res, true, nil
}

func (d *Dir) resultPath(name string) string { return filepath.Join(d.Path, ResultsDir, name) }

// LogPath is the file that holds the output of the named run's training.
func (d *Dir) LogPath(name string) string { return filepath.Join(d.Path, LogsDir, name+".log") }

// LastLine returns the last non-empty line of the file at path that starts
// with prefix (any line for ""), "" when there is none. It reads at most the
// file's last 64 KiB.
func LastLine(path, prefix string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	const tail = 64 << 10
	if st, err := f.Stat(); err == nil && st.Size() > tail {
		if _, err := f.Seek(st.Size()-tail, 0); err != nil {
			return ""
		}
	}
	buf := make([]byte, tail)
	n, _ := io.ReadFull(f, buf)
	lines := bytes.Split(buf[:n], []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		line := lines[i]
		if j := bytes.LastIndexByte(line, '\r'); j >= 0 {
			line = line[j+1:]
		}
		if s := strings.TrimSpace(string(line)); s != "" && strings.HasPrefix(s, prefix) {
			return s
		}
	}
	return ""
}

// TaskCommand is what each array task runs: forkrl run on one run of the
// recipe, with the flags the sweep was given.
type TaskCommand struct {
	Forkrl  string   // the forkrl binary, absolute
	WorkDir string   // the folder the sweep was started in, absolute
	Recipe  string   // the recipe, as given (relative to WorkDir)
	Flags   []string // --out, --var … as given to the sweep
}

// Script is the shell script of each array task. It trains the run that
// line SLURM_ARRAY_TASK_ID + 1 of the tasks file names with
// `forkrl run --run NAME --resume` (a fresh start when the run has no
// checkpoint), appends its output to logs/NAME.log, then writes forkrl's
// exit status and the task id to results/NAME, whole or not at all. A task
// killed before its run ends (scancel, a time limit) leaves no result.
func (d *Dir) Script(c TaskCommand) string {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	b.WriteString("# One task of a forkrl sweep (written by forkrl sweep --executor slurm).\n")
	fmt.Fprintf(&b, "dir=%s\n", shellQuote(d.Path))
	b.WriteString(`name=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" "$dir/` + TasksFile + `")` + "\n")
	b.WriteString(`if [ -z "$name" ]; then` + "\n")
	b.WriteString(`  echo "forkrl sweep: no run at index $SLURM_ARRAY_TASK_ID of $dir/` + TasksFile + `" >&2` + "\n")
	b.WriteString("  exit 2\nfi\n")
	fmt.Fprintf(&b, "cd %s || exit 2\n", shellQuote(c.WorkDir))
	b.WriteString(shellQuote(c.Forkrl) + ` run --run "$name" --resume`)
	for _, f := range c.Flags {
		b.WriteString(" " + shellQuote(f))
	}
	fmt.Fprintf(&b, " %s >>\"$dir/%s/$name.log\" 2>&1\n", shellQuote(c.Recipe), LogsDir)
	b.WriteString("code=$?\n")
	fmt.Fprintf(&b, `printf '%%s %%s_%%s\n' "$code" "$SLURM_ARRAY_JOB_ID" "$SLURM_ARRAY_TASK_ID" >"$dir/%[1]s/.$name.tmp" &&`+"\n", ResultsDir)
	fmt.Fprintf(&b, `  mv -f "$dir/%[1]s/.$name.tmp" "$dir/%[1]s/$name"`+"\n", ResultsDir)
	b.WriteString(`exit "$code"` + "\n")
	return b.String()
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
