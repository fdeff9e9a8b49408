package report

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forkrl/forkrl/framework/rundir"
)

// writeRun writes a synthetic run directory of steps steps: metrics named
// by names, an evaluation every 10 steps, and perStep saved rollouts of 60
// tokens per step, every fifth token selected.
func writeRun(t testing.TB, path string, steps, perStep int, names ...string) {
	t.Helper()
	d, err := rundir.Create(path, rundir.Inputs{Settings: map[string]any{"name": filepath.Base(path), "train": map[string]any{"steps": steps}}})
	if err != nil {
		t.Fatal(err)
	}
	for s := 0; s <= steps; s++ {
		if s > 0 {
			m := rundir.Metrics{}
			for i, n := range names {
				m[n] = math.Sin(float64(s+i)) + 1
			}
			if err := d.AppendMetrics(s, m); err != nil {
				t.Fatal(err)
			}
		}
		if s%10 == 0 {
			ev := rundir.Evaluation{"countdown": {N: 2, AvgAtN: float64(s) / 200, PassAtK: map[int]float64{2: float64(s) / 150}, MeanLength: 60}}
			if err := d.AppendEval(s, ev); err != nil {
				t.Fatal(err)
			}
		}
		if s == 0 || perStep == 0 {
			continue
		}
		var samples []rundir.Sample
		for i := range perStep {
			smp := rundir.Sample{Group: i / 4, Prompt: "3 4 5>12:", Response: strings.Repeat("a", 60)}
			for j := range 60 {
				smp.Pieces = append(smp.Pieces, string("0123456789+-*/"[(i+j)%14]))
				smp.Entropies = append(smp.Entropies, float32(math.Pow(float64((i*7+j*13)%100)/100, 4)*2))
				w := float32(0)
				if j%5 == 0 {
					w = 1
				}
				smp.Weights = append(smp.Weights, w)
			}
			samples = append(samples, smp)
		}
		if err := d.WriteSamples(s, samples); err != nil {
			t.Fatal(err)
		}
	}
}

var someMetrics = []string{"critic/score/mean", "rollout/accuracy", "actor/entropy", "response_length/mean", "actor/pg_clipfrac", "select/threshold", "select/fraction", "select/entropy_selected"}

// TestReportSpeedAndSize renders the report of a 100-step run with 8
// rollouts saved per step: under 5 s, under 5 MB.
func TestReportSpeedAndSize(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hundred")
	writeRun(t, dir, 100, 8, someMetrics...)
	start := time.Now()
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(&b, []*Run{r}, Options{}); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("100 steps: loaded and rendered in %v, %d bytes", took, b.Len())
	if took > 5*time.Second || b.Len() > 5<<20 {
		t.Errorf("report of 100 steps: %v, %d bytes; want under 5 s and 5 MB", took, b.Len())
	}
	if len(r.Warnings) != 0 {
		t.Errorf("warnings %q", r.Warnings)
	}
	html := b.String()
	// 8 figures of metrics, 1 of evaluation, entropy over steps, histogram.
	if n := strings.Count(html, `<figure class="chart"`); n != len(someMetrics)+3 {
		t.Errorf("%d figures, want %d", n, len(someMetrics)+3)
	}
	// The token view: 8 rollouts of 60 tokens, 12 selected in each.
	if n, sel := strings.Count(html, `<span class="tok`), strings.Count(html, `<span class="tok sel"`); n != 480 || sel != 96 {
		t.Errorf("%d token spans, %d selected; want 480 and 96", n, sel)
	}
	for _, want := range []string{"<svg", "held-out accuracy on countdown", "entropy percentiles over steps: hundred", "share of all entropy in the top 20% of tokens"} {
		if !strings.Contains(html, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	// SVG's namespaces are names, not addresses that are loaded.
	bare := strings.NewReplacer(`xmlns="http://www.w3.org/2000/svg"`, "", `xmlns:xlink="http://www.w3.org/1999/xlink"`, "").Replace(html)
	for _, banned := range []string{"<script", "http://", "https://", "<link", "@import", "url(", "src="} {
		if strings.Contains(bare, banned) {
			t.Errorf("the report holds %q: it must load nothing", banned)
		}
	}
}

// TestReportBadInput: a truncated metrics line, a run without samples, a
// broken samples file and runs with different metric sets give warnings
// that name the file and line, and a report of the rest.
func TestReportBadInput(t *testing.T) {
	root := t.TempDir()
	a := filepath.Join(root, "a")
	writeRun(t, a, 5, 2, "actor/entropy", "select/threshold")
	metrics := filepath.Join(a, rundir.MetricsFile)
	data, _ := os.ReadFile(metrics)
	lines := strings.SplitAfter(string(data), "\n")
	lines[2] = lines[2][:len(lines[2])/2] + "\n" // a line cut short, as by a full disk
	if err := os.WriteFile(metrics, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a, rundir.SamplesDir, "step-000002.jsonl"), []byte(`{"pieces":["a"],"entropies":[1,2]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(a, AnalysisDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a, AnalysisDir, OverlapFile), []byte(`{"checkpoints": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	b := filepath.Join(root, "b")
	writeRun(t, b, 5, 0, "actor/entropy", "rollout/accuracy")

	ra, err := Load(a)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := Load(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ra.Metrics) != 4 || len(ra.Samples) != 5 || len(ra.Samples[1].Samples) != 0 || ra.Overlap != nil {
		t.Errorf("run a: %d metric lines, %d sample files; want the 4 whole lines and 5 files (one empty)", len(ra.Metrics), len(ra.Samples))
	}
	wantA := []string{metrics + ":3: left out", filepath.Join(a, rundir.SamplesDir, "step-000002.jsonl") + ":1: left out: 1 pieces, 2 entropies", filepath.Join(a, AnalysisDir, OverlapFile) + ": left out"}
	for i, w := range wantA {
		if len(ra.Warnings) <= i || !strings.Contains(ra.Warnings[i], w) {
			t.Errorf("warnings %q; want one containing %q", ra.Warnings, w)
		}
	}
	if len(rb.Warnings) != 1 || !strings.Contains(rb.Warnings[0], "no saved rollouts") {
		t.Errorf("run b warnings %q", rb.Warnings)
	}
	var out bytes.Buffer
	if err := Write(&out, []*Run{ra, rb}, Options{}); err != nil {
		t.Fatal(err)
	}
	html := out.String()
	for _, want := range []string{"could not be read", ":3: left out", "rollout/accuracy", "select/threshold", "Comparison", "a step 5"} {
		if !strings.Contains(html, want) {
			t.Errorf("the report lacks %q", want)
		}
	}

	for _, tc := range []struct{ path, msg string }{
		{filepath.Join(root, "missing"), "no such file"},
		{metrics, "is not a run directory"},
		{t.TempDir(), fmt.Sprintf("has no %s, %s", rundir.SettingsFile, rundir.MetricsFile)},
	} {
		if _, err := Load(tc.path); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Load(%s): %v; want an error containing %q", tc.path, err, tc.msg)
		}
	}
}
