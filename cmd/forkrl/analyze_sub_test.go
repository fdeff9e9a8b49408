package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/analysis"
	"github.com/forkrl/forkrl/framework/report"
	"github.com/forkrl/forkrl/framework/rundir"
)

// tinyRun trains the tiny recipe's first run (2 steps, a checkpoint after
// each) and returns its run directory.
func tinyRun(t *testing.T) string {
	t.Helper()
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := runCommand([]string{"--out", out, "--run", "tiny-seed1", filepath.Join("testdata", "run", "tiny.hcl")}, &stdout, &stderr); code != 0 {
		t.Fatalf("forkrl run: exit %d\n%s", code, stderr.String())
	}
	return filepath.Join(out, "tiny-seed1")
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func hasFigure(t *testing.T, path, title string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("<svg")) || !bytes.Contains(b, []byte(title)) {
		t.Errorf("%s is not an SVG titled %q", path, title)
	}
}

func TestAnalyzeOverlapAndGrid(t *testing.T) {
	recipePath := filepath.Join("testdata", "run", "tiny.hcl")
	dir := tinyRun(t)
	tmp := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"overlap", "--run", "tiny-seed1", "--problems", "4", "--run-dir", dir, "--json", filepath.Join(tmp, "overlap.json"), "--figures", tmp, recipePath}
	if code := analyzeCommand(args, &stdout, &stderr); code != 0 {
		t.Fatalf("analyze overlap: exit %d\n%s", code, stderr.String())
	}
	var ov analysis.OverlapResult
	readJSON(t, filepath.Join(tmp, "overlap.json"), &ov)
	if len(ov.Checkpoints) != 2 || ov.Checkpoints[0].Step != 1 || ov.Checkpoints[1].Step != 2 || ov.Responses != 8 || ov.Tokens == 0 {
		t.Fatalf("overlap report %+v", ov)
	}
	for _, pt := range ov.Checkpoints {
		tokens := 0
		for _, b := range pt.Bins {
			tokens += b.Tokens
		}
		if pt.Overlap < 0 || pt.Overlap > 1 || len(pt.Bins) != 10 || tokens != ov.Tokens {
			t.Errorf("checkpoint %+v", pt)
		}
	}
	if !strings.Contains(stdout.String(), "top-20% position overlap") {
		t.Errorf("output %s", stdout.String())
	}
	hasFigure(t, filepath.Join(tmp, "overlap.svg"), "top-20% entropy positions shared with the base model")
	hasFigure(t, filepath.Join(tmp, "entropy-change-by-bin.svg"), "entropy change by base-entropy percentile")

	stdout.Reset()
	args = []string{"grid", "--run", "tiny-seed1", "--problems", "4", "--t-high", "1,2", "--t-low", "0.5,1", "--json", filepath.Join(tmp, "grid.json"), "--figures", tmp, recipePath}
	if code := analyzeCommand(args, &stdout, &stderr); code != 0 {
		t.Fatalf("analyze grid: exit %d\n%s", code, stderr.String())
	}
	var g analysis.GridResult
	readJSON(t, filepath.Join(tmp, "grid.json"), &g)
	if len(g.Cells) != 4 || g.Percentile != 0.8 || g.Threshold <= 0 || g.Cells[3].THigh != 2 || g.Cells[3].TLow != 1 {
		t.Errorf("grid report %+v", g)
	}
	// The gate at t_high = t_low = 1 samples as T = 1 does, with the same seed.
	if c := g.Cells[2]; c.THigh != 1 || c.TLow != 1 || c.Accuracy != g.Plain {
		t.Errorf("cell %+v; want the accuracy at T = 1 without the gate, %v", c, g.Plain)
	}
	if !strings.Contains(stdout.String(), "t_low \\ t_high") {
		t.Errorf("output %s", stdout.String())
	}
	hasFigure(t, filepath.Join(tmp, "grid.svg"), "entropy-gated decoding")

	// Saved in the run directory with --run-dir, the analyses show in its
	// report.
	args = []string{"grid", "--run", "tiny-seed1", "--problems", "2", "--t-high", "2", "--t-low", "1", "--run-dir", dir, recipePath}
	if code := analyzeCommand(args, &stdout, &stderr); code != 0 {
		t.Fatalf("analyze grid --run-dir: exit %d\n%s", code, stderr.String())
	}
	var saved analysis.GridResult
	readJSON(t, filepath.Join(dir, report.AnalysisDir, report.GridFile), &saved)
	if !strings.HasSuffix(saved.Checkpoint, filepath.Join("step-000002", "policy")) || len(saved.Cells) != 1 {
		t.Errorf("saved grid %+v; want the last checkpoint's", saved)
	}
	html := filepath.Join(tmp, "report.html")
	if code := reportCommand([]string{"-o", html, dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("report: exit %d\n%s", code, stderr.String())
	}
	b, _ := os.ReadFile(html)
	for _, want := range []string{"top-20% entropy positions shared with the base model: tiny-seed1", "entropy change by base-entropy percentile: tiny-seed1", "entropy-gated decoding (gate at"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}

func TestAnalyzeBadInput(t *testing.T) {
	recipePath := filepath.Join("testdata", "run", "tiny.hcl")
	base := filepath.Join("..", "..", "checkpoints", "base-countdown")
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"a checkpoint of another shape", []string{"--run", "tiny-seed1", "--problems", "2", "--checkpoint", base, recipePath}, 1, "loading " + base},
		{"overlap with a checkpoint of another shape", []string{"overlap", "--run", "tiny-seed1", "--problems", "2", "--checkpoint", base, recipePath}, 1, "loading " + base},
		{"overlap with nothing to compare", []string{"overlap", "--run", "tiny-seed1", recipePath}, 2, "nothing to compare"},
		{"overlap of a run without checkpoints", []string{"overlap", "--run-dir", t.TempDir(), recipePath}, 2, "has no policy checkpoints"},
		{"grid with a bad temperature", []string{"grid", "--t-high", "1,x", recipePath}, 2, `"x" is not a positive number`},
		{"t_high without the gate", []string{"--t-high", "1.5", "--run", "tiny-seed1", recipePath}, 2, "set --entropy-gate"},
		{"steps of a run without samples", []string{"steps", t.TempDir()}, 1, "is not a run directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := analyzeCommand(tc.args, &stdout, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.msg) {
				t.Errorf("exit %d, want %d; stderr %q, want %q", code, tc.code, stderr.String(), tc.msg)
			}
		})
	}
}

// TestAnalyzeSteps reads the entropy percentiles of a run's saved rollouts.
func TestAnalyzeSteps(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	d, err := rundir.Create(dir, rundir.Inputs{Settings: map[string]any{"name": "r"}})
	if err != nil {
		t.Fatal(err)
	}
	// Step 1: entropies 1..10; step 2: 0.5 and 1.5 (p50 0.5).
	var ten []float32
	for i := 1; i <= 10; i++ {
		ten = append(ten, float32(i))
	}
	if err := d.WriteSamples(1, []rundir.Sample{{Pieces: make([]string, 10), Entropies: ten}}); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteSamples(2, []rundir.Sample{{Pieces: []string{"a"}, Entropies: []float32{0.5}}, {Pieces: []string{"b"}, Entropies: []float32{1.5}}}); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := analyzeCommand([]string{"steps", "--json", filepath.Join(tmp, "s.json"), "--figures", tmp, dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var rep stepsReport
	readJSON(t, filepath.Join(tmp, "s.json"), &rep)
	if len(rep.Steps) != 2 || rep.Steps[0].Quantiles[1].Value != 8 || rep.Steps[1].Mean != 1 || rep.Steps[1].Quantiles[0].Value != 0.5 {
		t.Errorf("steps %+v", rep.Steps)
	}
	hasFigure(t, filepath.Join(tmp, "entropy-steps.svg"), "entropy percentiles over steps: r")
}

// TestAnalyzeSweep groups runs into arms by name and ρ, with the spread of
// their final accuracy across seeds.
func TestAnalyzeSweep(t *testing.T) {
	root := t.TempDir()
	mk := func(name, typ string, rho float64, accs ...float64) {
		set := map[string]any{"rho": rho}
		settings := map[string]any{"name": name, "algorithm": map[string]any{"selector": "s"},
			"selectors": []any{map[string]any{"label": "s", "type": typ, "settings": set}}}
		d, err := rundir.Create(filepath.Join(root, name), rundir.Inputs{Settings: settings})
		if err != nil {
			t.Fatal(err)
		}
		for i, a := range accs {
			if err := d.AppendEval(10*i, rundir.Evaluation{"countdown": {N: 2, AvgAtN: a}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	mk("top20-seed1", "top", 0.2, 0.1, 0.2)
	mk("top20-seed2", "top", 0.2, 0.1, 0.4)
	mk("all-seed1", "all", 0, 0.1, 0.3)
	mk("bottom80-seed1", "bottom", 0.8, 0.1, 0.05)
	tmp := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := analyzeCommand([]string{"sweep", "--json", filepath.Join(tmp, "sweep.json"), "--figures", tmp, root}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var rep sweepReport
	readJSON(t, filepath.Join(tmp, "sweep.json"), &rep)
	if len(rep.Arms) != 3 || rep.Dataset != "countdown" {
		t.Fatalf("arms %+v", rep.Arms)
	}
	top20, all, bottom := rep.Arms[0], rep.Arms[1], rep.Arms[2]
	if top20.Arm != "top20" || top20.Rho != 0.2 || top20.Final.N != 2 || math.Abs(top20.Final.Mean-0.3) > 1e-12 || math.Abs(top20.Final.SD-math.Sqrt(0.02)) > 1e-12 {
		t.Errorf("top20 %+v", top20)
	}
	if all.Arm != "all" || all.Selector != "top" || all.Rho != 1 || all.Final.Mean != 0.3 {
		t.Errorf("all %+v", all)
	}
	if bottom.Selector != "bottom" || bottom.Rho != 0.8 || len(bottom.Steps) != 2 || bottom.Steps[1].Mean != 0.05 {
		t.Errorf("bottom %+v", bottom)
	}
	hasFigure(t, filepath.Join(tmp, "sweep-final.svg"), "final accuracy against ρ")
	hasFigure(t, filepath.Join(tmp, "sweep-steps.svg"), "accuracy over steps per arm")
}
