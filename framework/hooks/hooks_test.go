package hooks

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/forkrl/forkrl/framework/recipe"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarktest"
)

// writeScript writes src as name in a fresh folder and returns its path.
func writeScript(t testing.TB, name, src string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustLoad(t *testing.T, src string) *Script {
	t.Helper()
	s, err := Load(writeScript(t, "hooks.star", src), Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBuiltins(t *testing.T) {
	thread := &starlark.Thread{Name: "builtins", Load: func(_ *starlark.Thread, module string) (starlark.StringDict, error) {
		if module == "assert.star" {
			return starlarktest.LoadAssertModule()
		}
		return nil, errors.New("unknown module " + module)
	}}
	thread.SetLocal(randLocal, newRand(1, "test", 0, 0))
	starlarktest.SetReporter(thread, t)
	if _, err := starlark.ExecFileOptions(fileOptions, thread, "testdata/builtins.star", nil, predeclared()); err != nil {
		var evalErr *starlark.EvalError
		if errors.As(err, &evalErr) {
			t.Fatal(evalErr.Backtrace())
		}
		t.Fatal(err)
	}
}

// TestLoadErrors: every load-time error names the file, line and column.
func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      string // "line:col: message fragment"
	}{
		{"syntax", "def reward(sample):\n    return sample.reward +\n", "2:27: got newline"},
		{"undefined name", "def reward(sample):\n    return sampel.reward\n", "2:12: undefined: sampel"},
		{"arity", "x = 1\n\ndef reward(sample, extra):\n    return 1\n", "3:1: hook reward: must take exactly 1 parameter"},
		{"no parameter", "def schedule():\n    return {}\n", "1:1: hook schedule: must take exactly 1 parameter, as in def schedule(step); this one takes 0"},
		{"varargs", "def on_step(*metrics):\n    return None\n", "1:1: hook on_step: must take exactly 1 parameter"},
		{"not a function", "reward = 3\n", "1:1: hook reward: is a int; a hook must be a function"},
		{"near miss", "def on_steps(metrics):\n    return None\n", "1:1: on_steps is not a hook name; did you mean on_step?"},
		{"top-level failure", "x = [1, 2][5]\n", "1:11: list index 5 out of range"},
		{"top-level budget", "def f():\n    for i in range(100000000):\n        pass\nf()\n", "exceeded its step budget"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeScript(t, "hooks.star", tt.src)
			_, err := Load(path, Options{StepBudget: 100000})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want an *Error", err)
			}
			if !strings.HasPrefix(err.Error(), path+":") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %q, want %s:%s", err.Error(), path, tt.want)
			}
		})
	}
}

func TestLoadRelativeOnly(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "recipes")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(path, src string) {
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(sub, "lib.star"), "BONUS = 0.5\n")
	write(filepath.Join(dir, "secret.star"), "X = 1\n")
	write(filepath.Join(sub, "ok.star"), "load(\"lib.star\", \"BONUS\")\ndef reward(sample):\n    return sample.reward + BONUS\n")
	s, err := Load(filepath.Join(sub, "ok.star"), Options{Root: sub})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := s.Reward(context.Background(), 0, Sample{Reward: 1}); err != nil || r != 1.5 {
		t.Fatalf("reward = %v, %v; want 1.5", r, err)
	}
	for _, bad := range []string{"../secret.star", "/etc/passwd.star", "lib.py"} {
		write(filepath.Join(sub, "bad.star"), "load(\""+bad+"\", \"X\")\n")
		_, err := Load(filepath.Join(sub, "bad.star"), Options{Root: sub})
		if err == nil || !strings.Contains(err.Error(), "bad.star:1:") {
			t.Errorf("load(%q): got %v, want an error at bad.star:1", bad, err)
		}
	}
	// An error inside a loaded module points into that module.
	write(filepath.Join(sub, "broken.star"), "Y = 1 // 0\n")
	write(filepath.Join(sub, "main.star"), "load(\"broken.star\", \"Y\")\n")
	_, err = Load(filepath.Join(sub, "main.star"), Options{Root: sub})
	if err == nil || !strings.Contains(err.Error(), "broken.star:1:7") {
		t.Errorf("got %v, want an error at broken.star:1:7", err)
	}
}

// TestCallErrors: runtime errors, wrong return types and budgets carry the
// script's position and a backtrace; the script stays usable afterwards.
func TestCallErrors(t *testing.T) {
	s, err := Load(writeScript(t, "hooks.star", `
def _helper(x):
    return x["missing"]

def reward(sample):
    if sample.tokens > 10:
        return _helper({})
    if sample.tokens > 5:
        return "high"
    return sample.reward

def schedule(step):
    if step == 1:
        return {"rhoo": 0.1}
    if step == 2:
        return [1]
    while True:
        pass
`), Options{StepBudget: 50000})
	if err == nil {
		t.Fatal("while loops are off by default: want a load error")
	}
	if !strings.Contains(err.Error(), "17:5") {
		t.Fatalf("got %v, want the while statement's position", err)
	}

	s = mustLoadOpts(t, `
def _helper(x):
    return x["missing"]

def reward(sample):
    if sample.tokens > 10:
        return _helper({})
    if sample.tokens > 5:
        return "high"
    return sample.reward

def schedule(step):
    if step == 1:
        return {"rhoo": 0.1}
    if step == 2:
        return [1]
    for i in range(1000000000):
        pass
`, Options{StepBudget: 50000})
	ctx := context.Background()
	_, err = s.Reward(ctx, 0, Sample{Tokens: 11})
	wantErr(t, err, "hooks.star:3:13: hook reward: key \"missing\" not in dict", "in _helper")
	_, err = s.Reward(ctx, 0, Sample{Tokens: 6})
	wantErr(t, err, "hooks.star:5:1: hook reward: reward() returned string \"high\"; it must return a finite number")
	if r, err := s.Reward(ctx, 0, Sample{Tokens: 1, Reward: 0.25}); err != nil || r != 0.25 {
		t.Fatalf("reward after errors = %v, %v", r, err)
	}
	_, err = s.Schedule(ctx, 1, topRho)
	wantErr(t, err, "hooks.star:12:1: hook schedule:", `did you mean "rho"`)
	_, err = s.Schedule(ctx, 2, topRho)
	wantErr(t, err, "returned list; it must return a dict")
	_, err = s.Schedule(ctx, 3, topRho)
	wantErr(t, err, "hooks.star:17:5: hook schedule: the hook exceeded its step budget")
}

func mustLoadOpts(t testing.TB, src string, opts Options) *Script {
	t.Helper()
	s, err := Load(writeScript(t, "hooks.star", src), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wantErr(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %q", fragments)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T %v, want an *Error", err, err)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Fatalf("error %q does not contain %q", err.Error(), f)
		}
	}
	if d := e.Diagnostic(); d.Subject == nil || d.Subject.Start.Line != e.Line {
		t.Fatalf("diagnostic %+v does not point at line %d", d, e.Line)
	}
}

func TestCancel(t *testing.T) {
	s := mustLoadOpts(t, "def on_step(metrics):\n    for i in range(1000000000):\n        pass\n", Options{StepBudget: 1 << 62})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.OnStep(ctx, 0, nil)
	wantErr(t, err, "hooks.star:2:", "cancelled")
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cancellation took %v", d)
	}
}

func TestPrintPosition(t *testing.T) {
	var got []string
	path := writeScript(t, "hooks.star", "def on_step(metrics):\n    print(\"loss\", metrics[\"loss\"])\n")
	s, err := Load(path, Options{Print: func(pos, msg string) { got = append(got, pos+" "+msg) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.OnStep(context.Background(), 3, map[string]float64{"loss": 0.5}); err != nil {
		t.Fatal(err)
	}
	if want := []string{path + ":2:10 loss 0.5"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("print gave %q, want %q", got, want)
	}
}

func TestGlobalsFrozen(t *testing.T) {
	s := mustLoad(t, "SEEN = []\ndef on_step(metrics):\n    SEEN.append(1)\n")
	_, err := s.OnStep(context.Background(), 0, nil)
	wantErr(t, err, "hooks.star:3:16", "frozen list")
}

// TestRandDeterministic: the same seed, hook, step and call index give the
// same numbers; another step gives others.
func TestRandDeterministic(t *testing.T) {
	src := "def reward(sample):\n    return rand.random()\n"
	draw := func(seed uint64, steps ...int) []float64 {
		s := mustLoadOpts(t, src, Options{Seed: seed})
		var out []float64
		for _, step := range steps {
			r, err := s.Reward(context.Background(), step, Sample{})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}
	a, b := draw(7, 0, 0, 1), draw(7, 0, 0, 1)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different draws: %v %v", a, b)
	}
	if a[0] == a[1] || a[0] == a[2] {
		t.Fatalf("calls should get distinct streams: %v", a)
	}
	// A resumed run that starts at step 1 sees what the full run saw at step 1.
	if c := draw(7, 1); c[0] != a[2] {
		t.Fatalf("resumed draw %v, want %v", c[0], a[2])
	}
	if d := draw(8, 0); d[0] == a[0] {
		t.Fatalf("another seed gave the same draw")
	}
}

func TestUndefinedHooksGiveDefaults(t *testing.T) {
	var none *Script
	ctx := context.Background()
	if r, err := none.Reward(ctx, 0, Sample{Reward: 0.7}); err != nil || r != 0.7 {
		t.Fatalf("Reward = %v, %v", r, err)
	}
	if keep, err := none.KeepGroup(ctx, 0, Group{Keep: true}); err != nil || !keep {
		t.Fatalf("KeepGroup = %v, %v", keep, err)
	}
	if w, err := none.Select(ctx, Batch{}); err != nil || w != nil {
		t.Fatalf("Select = %v, %v", w, err)
	}
	s := mustLoad(t, "X = 1\n")
	if m, err := s.Schedule(ctx, 0, Settable{}); err != nil || m != nil {
		t.Fatalf("Schedule = %v, %v", m, err)
	}
	if o, err := s.OnEval(ctx, 0, nil); err != nil || o.Stop {
		t.Fatalf("OnEval = %v, %v", o, err)
	}
}

func TestKeepGroupAndCallbacks(t *testing.T) {
	s := mustLoad(t, `
def keep_group(group):
    return group.keep and max(group.rewards) > 0.5

def on_step(metrics):
    if metrics["step"] >= 3:
        return {"stop": True, "seen": metrics["step"]}
    return "stop" if metrics["step"] < 0 else None
`)
	ctx := context.Background()
	for _, tt := range []struct {
		g    Group
		want bool
	}{
		{Group{Rewards: []float64{1, 0}, Keep: true}, true},
		{Group{Rewards: []float64{0.2, 0}, Keep: true}, false},
		{Group{Rewards: []float64{1, 1}, Keep: false}, false},
	} {
		if got, err := s.KeepGroup(ctx, 0, tt.g); err != nil || got != tt.want {
			t.Errorf("KeepGroup(%v) = %v, %v; want %v", tt.g.Rewards, got, err, tt.want)
		}
	}
	o, err := s.OnStep(ctx, 3, map[string]float64{"step": 3})
	if err != nil || !o.Stop || o.Metrics["hook/seen"] != 3 {
		t.Fatalf("OnStep = %+v, %v", o, err)
	}
	if o, err := s.OnStep(ctx, 1, map[string]float64{"step": 1}); err != nil || o.Stop || o.Metrics != nil {
		t.Fatalf("OnStep = %+v, %v", o, err)
	}
	if o, err := s.OnStep(ctx, 1, map[string]float64{"step": -1}); err != nil || !o.Stop {
		t.Fatalf("OnStep = %+v, %v", o, err)
	}
}

func TestSelectShapes(t *testing.T) {
	s := mustLoad(t, `
def select(batch):
    if batch.step == 1:
        return [1.0]
    if batch.step == 2:
        return ones(batch.n) * -1
    return batch.advantages + 1
`)
	b := Batch{
		Entropies:  [][]float32{{0.1, 0.2}, {0.3}},
		Advantages: [][]float32{{1, 1}, {-1}},
		Masks:      [][]bool{{true, false}, {true}},
	}
	w, err := s.Select(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]float32{{2, 0}, {0}}; !reflect.DeepEqual(w, want) {
		t.Fatalf("weights %v, want %v (invalid tokens get 0)", w, want)
	}
	b.Step = 1
	_, err = s.Select(context.Background(), b)
	wantErr(t, err, "returned 1 weights; it must return a vector or list of 3 weights")
	b.Step = 2
	_, err = s.Select(context.Background(), b)
	wantErr(t, err, "weights must be finite and non-negative")
}

// randomBatch makes a ragged batch with ties and masked tokens.
func randomBatch(r *rand.Rand) Batch {
	rows := 1 + r.IntN(6)
	b := Batch{Rho: []float64{0.1, 0.2, 0.3, 0.5, 1}[r.IntN(5)]}
	for range rows {
		n := r.IntN(40)
		e := make([]float32, n)
		m := make([]bool, n)
		for j := range e {
			e[j] = float32(r.IntN(20)) / 10 // coarse values: many ties
			m[j] = r.IntN(5) != 0
		}
		b.Entropies = append(b.Entropies, e)
		b.Masks = append(b.Masks, m)
	}
	return b
}

// topRho is what a schedule hook may set besides the trainer's settings
// with the built-in selector top.
var topRho = Settable{Owner: `selector "top"`, Settings: []string{"rho"}}

// TestScheduleSettable checks that a schedule hook sets exactly the trainer's
// settings and the selector's number settings, and that any other key is an
// error at the hook naming what it may set.
func TestScheduleSettable(t *testing.T) {
	s := mustLoad(t, "def schedule(step):\n    return {\"rho\": 0.5, \"lr\": 1e-3}\n")
	ctx := context.Background()
	m, err := s.Schedule(ctx, 1, topRho)
	if err != nil || len(m) != 2 || m["rho"] != 0.5 || m["lr"] != 1e-3 {
		t.Errorf("with top: %v, %v; want rho 0.5 and lr 1e-3", m, err)
	}
	_, err = s.Schedule(ctx, 1, Settable{Owner: `selector "all"`})
	wantErr(t, err, "hooks.star:1:1: hook schedule:", `setting "rho"`, `selector "all" takes no number setting`)
	_, err = s.Schedule(ctx, 1, Settable{})
	wantErr(t, err, "hooks.star:1:1: hook schedule:", `setting "rho"`, "the run has no selector")
}

// TestRecipeDefaultStepBudget checks that a recipe without a step budget
// gets the runtime's default.
func TestRecipeDefaultStepBudget(t *testing.T) {
	if recipe.DefaultHookStepBudget != DefaultStepBudget {
		t.Errorf("recipe.DefaultHookStepBudget = %d, hooks.DefaultStepBudget = %d; want them equal", recipe.DefaultHookStepBudget, DefaultStepBudget)
	}
}
