package torch

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/forkrl/forkrl/framework/rundir"
)

// The end-to-end tests run the forkrl binary, built once, on a tiny DAPO
// recipe from the committed countdown base model.

var forkrlBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "forkrl-torch-test-")
	if err != nil {
		return "", err
	}
	exe := filepath.Join(dir, "forkrl")
	out, err := exec.Command("go", "build", "-o", exe, "github.com/forkrl/forkrl/cmd/forkrl").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return exe, nil
})

func forkrl(t testing.TB) string {
	t.Helper()
	exe, err := forkrlBinary()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// baseInRecipe stands for the base model's folder in a recipe's text;
// tinyRecipe writes it relative to the recipe's folder, and the runs start
// in the repository root: the plugin's path setting must be resolved
// against the recipe, not the working directory.
const baseInRecipe = "{{base}}"

func baseCheckpoint(t testing.TB) string {
	dir, err := filepath.Abs("../../../checkpoints/base-countdown")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// tinyRecipe writes a DAPO recipe on the countdown base model with the given
// backend block and number of steps, and returns its path.
func tinyRecipe(t testing.TB, name, backendBlock string, steps int) string {
	t.Helper()
	src := fmt.Sprintf(`%s

verifier "countdown" "reward" {
  check_work = true
  isolation  = "inproc"
}

selector "top" "forks" {
  rho       = 0.2
  isolation = "inproc"
}

dataset "countdown" {
  generator "countdown" {
    train = 64
    eval  = 4
    sizes = [3]
  }
  eval_count = 4
}

algorithm "dapo" {
  selector = "forks"
}

train {
  steps                = %d
  prompts_per_step     = 4
  responses_per_prompt = 4
  mini_batch_size      = 8
  micro_batch_size     = 4
  learning_rate        = 2e-4
  max_response_tokens  = 60
  seed                 = 1
  checkpoint_interval  = 1
}

eval {
  k        = 1
  problems = 2
}
`, backendBlock, steps)
	dir := t.TempDir()
	rel, err := filepath.Rel(dir, baseCheckpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	src = strings.ReplaceAll(src, baseInRecipe, rel)
	path := filepath.Join(dir, name+".hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func torchBlock(t testing.TB, worldSize int) string {
	return fmt.Sprintf("backend \"torch\" \"policy\" {\n  checkpoint = %q\n  world_size = %d\n}", baseInRecipe, worldSize)
}

func tinylmBlock(t testing.TB) string {
	return fmt.Sprintf(`backend "tinylm" "policy" {
  layers     = 4
  width      = 128
  heads      = 4
  kv_heads   = 2
  mlp_width  = 384
  context    = 128
  alphabet   = "\n ()*+-/0123456789:=>anos"
  checkpoint = %q
  isolation  = "inproc"
}`, baseCheckpoint(t))
}

// runRecipe trains a recipe into out and returns its metrics, one map per step.
func runRecipe(t testing.TB, recipe, out string, args ...string) []rundir.Metrics {
	t.Helper()
	cmd := exec.Command(forkrl(t), append([]string{"run", "--out", out, recipe}, args...)...)
	cmd.Dir = "../../.."
	raw, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("forkrl run %s: %v\n%s", filepath.Base(recipe), err, raw)
	}
	name := strings.TrimSuffix(filepath.Base(recipe), ".hcl")
	return readMetrics(t, filepath.Join(out, name))
}

// readMetrics reads the metrics lines of the run directory dir.
func readMetrics(t testing.TB, dir string) []rundir.Metrics {
	t.Helper()
	m, err := rundir.ReadMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// stepOneMetrics are the figures compared across backends and world sizes.
var stepOneMetrics = []string{"actor/pg_loss", "actor/entropy", "select/threshold", "actor/grad_norm"}

func compareStepOne(t *testing.T, what string, a, b []rundir.Metrics, rel float64) {
	t.Helper()
	if len(a) == 0 || len(b) == 0 {
		t.Fatalf("%s: no metrics", what)
	}
	for _, k := range stepOneMetrics {
		x, okA := a[0][k]
		y, okB := b[0][k]
		if !okA || !okB {
			t.Errorf("%s: step-1 metric %s missing (in the first run: %v, in the second: %v)", what, k, okA, okB)
			continue
		}
		t.Logf("%s: step-1 %s %.9g against %.9g", what, k, x, y)
		if d := math.Abs(x - y); d > rel*math.Max(math.Abs(x), math.Abs(y)) || math.IsNaN(d) {
			t.Errorf("%s: step-1 %s %.9g against %.9g (relative difference %.2g, bound %g)", what, k, x, y, d/math.Max(math.Abs(x), math.Abs(y)), rel)
		}
	}
}

// TestRecipeTinylmAgainstTorch: the same recipe from the same weights and
// seed gives the same step-1 metrics with tinylm and with torch, and with
// torch on one and on two gloo workers.
func TestRecipeTinylmAgainstTorch(t *testing.T) {
	needTorch(t)
	out := t.TempDir()
	ref := runRecipe(t, tinyRecipe(t, "tiny-tinylm", tinylmBlock(t), 1), out)
	one := runRecipe(t, tinyRecipe(t, "tiny-torch1", torchBlock(t, 1), 1), out)
	two := runRecipe(t, tinyRecipe(t, "tiny-torch2", torchBlock(t, 2), 1), out)
	compareStepOne(t, "tinylm against torch", ref, one, 1e-3)
	compareStepOne(t, "torch world_size 1 against 2", one, two, 1e-4)
}

// TestKillAndResume: a torch run killed with SIGKILL leaves no plugin or
// worker process behind, and --resume continues it from its last checkpoint
// to the end.
func TestKillAndResume(t *testing.T) {
	needTorch(t)
	out := t.TempDir()
	recipe := tinyRecipe(t, "tiny-kill", torchBlock(t, 2), 3)
	cmd := exec.Command(forkrl(t), "run", "--out", out, recipe)
	cmd.Dir = "../../.."
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(out, "tiny-kill", "checkpoints", "step-000001")
	var procs []int
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no checkpoint after 3 minutes:\n%s", log.String())
		}
		if ps := descendants(cmd.Process.Pid); len(ps) > len(procs) {
			procs = ps
		}
		if _, err := os.Stat(ckpt); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	procs = append(procs, descendants(cmd.Process.Pid)...)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if len(procs) < 3 {
		t.Errorf("saw %d processes below the host (%v), want the plugin and its 2 workers", len(procs), procs)
	}
	for end := time.Now().Add(10 * time.Second); len(alive(procs)) > 0 && time.Now().Before(end); {
		time.Sleep(50 * time.Millisecond)
	}
	if left := alive(procs); len(left) > 0 {
		t.Errorf("processes %v outlived the killed host", left)
	}
	before := readMetrics(t, filepath.Join(out, "tiny-kill"))
	resume := exec.Command(forkrl(t), "run", "--out", out, recipe, "--resume")
	resume.Dir = "../../.."
	raw, err := resume.CombinedOutput()
	if err != nil {
		t.Fatalf("forkrl run --resume: %v\n%s", err, raw)
	}
	if strings.Contains(string(raw), "step 1/3") || !strings.Contains(string(raw), "step 3/3") {
		t.Errorf("the resumed run did not continue after step 1:\n%s", raw)
	}
	metrics := readMetrics(t, filepath.Join(out, "tiny-kill"))
	if len(before) == 0 || fmt.Sprint(metrics[0]) != fmt.Sprint(before[0]) {
		t.Errorf("step 1's metrics changed on resuming:\n%v\n%v", before, metrics)
	}
	if len(metrics) != 3 {
		t.Fatalf("the resumed run has %d metric lines, want 3", len(metrics))
	}
	for i, m := range metrics {
		if int(m["step"]) != i+1 {
			t.Errorf("metrics line %d is step %v", i+1, m["step"])
		}
	}
}
