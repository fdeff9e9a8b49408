package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/forkrl/forkrl/framework/recipe"
	"github.com/forkrl/forkrl/framework/rundir"
)

func TestRunCommand(t *testing.T) {
	out := t.TempDir()
	recipePath := filepath.Join("testdata", "run", "tiny.hcl")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // a substring of the output
		stderr string
	}{
		{"several runs need --run", []string{"--out", out, recipePath}, 2, "", "choose one with --run NAME"},
		{"an unknown run", []string{"--out", out, "--run", "nope", recipePath}, 2, "", `no run "nope"; its runs: tiny-seed1, tiny-seed2`},
		{"trains one run", []string{recipePath, "--run", "tiny-seed1", "--out", out}, 0, "finished after 2 steps", "tiny-seed1  step 2/2  reward"},
		{"refuses to overwrite it", []string{"--out", out, "--run", "tiny-seed1", recipePath}, 1, "", "already holds a run: continue it with --resume"},
		{"resumes a finished run as finished", []string{"--out", out, "--run", "tiny-seed1", "--resume", recipePath}, 0, "finished after 2 steps", ""},
		{"refuses to resume with other settings", []string{"--out", out, "--run", "tiny-seed1", "--resume", "--var", "max_tokens=20", recipePath}, 1, "", "setting train.max_response_tokens: 24 -> 20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runCommand(tt.args, &stdout, &stderr)
			if code != tt.code || !strings.Contains(stdout.String(), tt.stdout) || !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
		})
	}
	sum, err := rundir.ReadSummary(filepath.Join(out, "tiny-seed1"))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Status != rundir.StatusFinished || sum.InitialEval["countdown"].N != 2 || sum.FinalEval["countdown"].MeanLength == 0 {
		t.Errorf("summary %+v", sum)
	}
}

func TestSweepCommand(t *testing.T) {
	out := t.TempDir()
	recipePath := filepath.Join("testdata", "run", "tiny.hcl")
	var stdout, stderr bytes.Buffer
	if code := sweepCommand([]string{"--out", out, "--parallel", "2", recipePath}, &stdout, &stderr); code != 0 {
		t.Fatalf("sweep: exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"tiny-seed1", "tiny-seed2", "across seeds", "±"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("sweep output lacks %q:\n%s", want, stdout.String())
		}
	}
	stdout.Reset()
	stderr.Reset()
	if code := sweepCommand([]string{"--out", out, recipePath}, &stdout, &stderr); code != 0 {
		t.Fatalf("second sweep: exit %d\n%s", code, stderr.String())
	}
	if n := strings.Count(stderr.String(), "finished already, skipped"); n != 2 {
		t.Errorf("second sweep skipped %d runs, want 2:\n%s", n, stderr.String())
	}
}

// interruptAt sends this process SIGINT, as Ctrl-C does, once the text
// written to it contains want.
type interruptAt struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	sent bool
}

func (w *interruptAt) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.sent && strings.Contains(w.buf.String(), w.want) {
		w.sent = true
		_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
	}
	return len(p), nil
}

// longTiny writes the tiny recipe with more steps into a folder of its own.
func longTiny(t *testing.T, steps int) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "run", "tiny.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	longer := strings.Replace(string(src), "steps                = 2", fmt.Sprintf("steps                = %d", steps), 1)
	path := filepath.Join(t.TempDir(), "tiny.hcl")
	if err := os.WriteFile(path, []byte(longer), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCtrlCStopsCleanly(t *testing.T) {
	// Keep the test process alive whatever the timing of the signal.
	c := make(chan os.Signal, 4)
	signal.Notify(c, os.Interrupt)
	defer signal.Stop(c)
	out := t.TempDir()
	stderr := &interruptAt{want: "step  2/20"}
	var stdout bytes.Buffer
	code := runCommand([]string{"--out", out, "--run", "tiny-seed1", longTiny(t, 20)}, &stdout, stderr)
	msg := stderr.buf.String()
	if code != 130 || !strings.Contains(msg, "tiny-seed1: interrupted after step ") || !strings.Contains(msg, "its checkpoint of step ") ||
		!strings.Contains(msg, "--resume") || strings.Contains(msg, "context canceled") {
		t.Fatalf("exit %d, want 130 with where to resume\n%s", code, msg)
	}
	sum, err := rundir.ReadSummary(filepath.Join(out, "tiny-seed1"))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Status != rundir.StatusInterrupted || sum.Step == 0 || sum.Step == 20 {
		t.Errorf("summary: %s after step %d, want interrupted mid-run", sum.Status, sum.Step)
	}
}

func TestSecondProcessOnARunIsRefused(t *testing.T) {
	out := t.TempDir()
	release, err := rundir.Lock(filepath.Join(out, "tiny-seed1")) // as a first forkrl run would
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	var stdout, stderr bytes.Buffer
	code := runCommand([]string{"--out", out, "--run", "tiny-seed1", "--resume", filepath.Join("testdata", "run", "tiny.hcl")}, &stdout, &stderr)
	if want := fmt.Sprintf("in use by another forkrl process (pid %d)", os.Getpid()); code != 1 || !strings.Contains(stderr.String(), want) {
		t.Errorf("exit %d, want 1 and %q\n%s", code, want, stderr.String())
	}
}

func TestResumeRefusesChangedInputs(t *testing.T) {
	recipePath := longTiny(t, 2)
	src, _ := os.ReadFile(recipePath)
	if err := os.WriteFile(recipePath, append(src, "\nhooks {\n  file = \"bonus.star\"\n}\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	hooksPath := filepath.Join(filepath.Dir(recipePath), "bonus.star")
	writeHooks := func(bonus string) {
		t.Helper()
		if err := os.WriteFile(hooksPath, []byte("def reward(sample):\n    return sample.reward + "+bonus+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeHooks("0.1")
	out := t.TempDir()
	runIt := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := runCommand(append([]string{"--out", out, "--run", "tiny-seed1", recipePath}, args...), &stdout, &stderr)
		return code, stderr.String()
	}
	if code, msg := runIt(); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, msg)
	}
	writeHooks("5")
	if code, msg := runIt("--resume"); code != 1 || !strings.Contains(msg, "hooks.star: its content changed") || !strings.Contains(msg, "--allow-changes") {
		t.Errorf("resume with changed hooks: exit %d, want 1 naming hooks.star\n%s", code, msg)
	}
	code, msg := runIt("--resume", "--var", "max_tokens=20")
	if code != 1 || !strings.Contains(msg, "setting train.max_response_tokens: 24 -> 20") {
		t.Errorf("resume with a changed setting: exit %d, want 1 naming it\n%s", code, msg)
	}
	if code, msg := runIt("--resume", "--allow-changes"); code != 0 {
		t.Fatalf("resume --allow-changes: exit %d\n%s", code, msg)
	}
	dir := filepath.Join(out, "tiny-seed1")
	logText, _ := os.ReadFile(filepath.Join(dir, rundir.LogFile))
	settings, _ := os.ReadFile(filepath.Join(dir, rundir.SettingsFile))
	if !strings.Contains(string(logText), "resumed with changes (--allow-changes):\n  hooks.star: its content changed") ||
		!strings.Contains(string(settings), `"resumed_with_changes"`) || !strings.Contains(string(settings), "hooks.star: its content changed") {
		t.Errorf("the accepted change is not recorded:\nlog.txt: %s\nsettings.json: %s", logText, settings)
	}
	if code, msg := runIt("--resume"); code != 0 {
		t.Errorf("resume after the accepted change: exit %d\n%s", code, msg)
	}
}

func TestRunInputsFingerprintData(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "train.jsonl")
	recipePath := filepath.Join(dir, "r.hcl")
	for path, text := range map[string]string{data: `{"problem": "1+1", "answer": "2"}` + "\n", recipePath: "# recipe\n"} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := &recipe.Config{Name: "r", Recipe: recipePath, Datasets: []recipe.Dataset{{Name: "d", Files: []string{data}}}}
	in, err := runInputs(r)
	if err != nil {
		t.Fatal(err)
	}
	d, err := rundir.Create(filepath.Join(dir, "run"), in)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(data, []byte(`{"problem": "1+1", "answer": "3"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if in, err = runInputs(r); err != nil {
		t.Fatal(err)
	}
	changes, err := d.Changes(in)
	if err != nil || len(changes) != 1 || !strings.HasPrefix(changes[0], "data file "+data+": sha256 ") {
		t.Errorf("changes after editing the data file: %q, %v", changes, err)
	}
}

func TestPluginTimeoutSetting(t *testing.T) {
	recipePath := longTiny(t, 2)
	src, _ := os.ReadFile(recipePath)
	slow := strings.Replace(string(src), "verifier \"countdown\" \"reward\" {\n", "verifier \"countdown\" \"reward\" {\n  timeout = \"1ns\"\n", 1)
	if err := os.WriteFile(recipePath, []byte(slow), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := runCommand([]string{"--out", t.TempDir(), "--run", "tiny-seed1", recipePath}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), `verifier plugin "reward"`) || !strings.Contains(stderr.String(), "did not answer within 1ns") {
		t.Errorf("exit %d, want 1 with the verifier's call timed out after 1ns\n%s", code, stderr.String())
	}
}

// TestScheduleHookSetsSelectorSettings trains one step of the tiny recipe
// with each built-in selector and a schedule hook that sets ρ to 0.6: the
// selectors that take rho select that share of the tokens, and the one that
// takes none ("all") fails with an error at the hook that names the setting
// and the selector.
func TestScheduleHookSetsSelectorSettings(t *testing.T) {
	src, err := os.ReadFile(longTiny(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"top", "bottom", "random", "all"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			rec := strings.Replace(string(src), "selector \"top\" \"forks\" {\n  rho       = 0.2\n", "selector \""+name+"\" \"forks\" {\n", 1)
			rec = strings.Replace(rec, "eval {\n  k        = 2\n  interval = 1\n}", "eval {\n  k        = 1\n  problems = 1\n}\n\nhooks {\n  file = \"hooks.star\"\n}", 1)
			if err := os.WriteFile(filepath.Join(dir, "r.hcl"), []byte(rec), 0o644); err != nil {
				t.Fatal(err)
			}
			hook := "def schedule(step):\n    return {\"rho\": 0.6}\n"
			if err := os.WriteFile(filepath.Join(dir, "hooks.star"), []byte(hook), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			var stdout, stderr bytes.Buffer
			code := runCommand([]string{"--out", out, "--run", "tiny-seed1", filepath.Join(dir, "r.hcl")}, &stdout, &stderr)
			if name == "all" {
				msg := stderr.String()
				if code != 1 || !strings.Contains(msg, "hooks.star:1:1: hook schedule:") || !strings.Contains(msg, `"rho"`) || !strings.Contains(msg, `selector "all"`) {
					t.Errorf("exit %d, want 1 with an error at the schedule hook naming rho and the selector all\n%s", code, msg)
				}
				return
			}
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr.String())
			}
			ms, err := rundir.ReadMetrics(filepath.Join(out, "tiny-seed1"))
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != 1 || math.Abs(ms[0]["select/fraction"]-0.6) > 0.05 {
				t.Errorf("metrics %v: want select/fraction about 0.6, the ρ the hook set", ms)
			}
		})
	}
}
