package main

import (
	"bytes"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/framework/rundir"
	"github.com/forkrl/forkrl/internal/tfevents"
)

// exportRun writes a run directory of 3 steps whose metric sets differ
// (select/threshold from step 2 on) and whose third metrics line is cut
// short, with evaluations at steps 0 and 3.
func exportRun(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "r")
	d, err := rundir.Create(dir, rundir.Inputs{Settings: map[string]any{"name": "r"}})
	if err != nil {
		t.Fatal(err)
	}
	for s := 1; s <= 3; s++ {
		m := rundir.Metrics{"actor/entropy": 0.5 / float64(s), "timing_s/elapsed": float64(10 * s)}
		if s >= 2 {
			m["select/threshold"] = 0.125 * float64(s)
		}
		if err := d.AppendMetrics(s, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []int{0, 3} {
		if err := d.AppendEval(s, rundir.Evaluation{"countdown": {N: 4, AvgAtN: 0.25 + float64(s)/10, PassAtK: map[int]float64{1: 0.25, 4: 0.5}, MeanLength: 40, MeanEntropy: 0.2}}); err != nil {
			t.Fatal(err)
		}
	}
	metrics := filepath.Join(dir, rundir.MetricsFile)
	data, _ := os.ReadFile(metrics)
	if err := os.WriteFile(metrics, data[:len(data)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestExportTensorBoard exports a run and reads the event file back with
// tfevents' reader: every metric and evaluation figure at its step, and a
// warning naming the line that was cut short.
func TestExportTensorBoard(t *testing.T) {
	dir := exportRun(t)
	out := filepath.Join(t.TempDir(), "tb")
	var stdout, stderr bytes.Buffer
	if code := exportCommand([]string{"--format", "tensorboard", "-o", out, dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), filepath.Join(dir, rundir.MetricsFile)+":3: left out") {
		t.Errorf("stderr %q: want a warning naming metrics.jsonl:3", stderr.String())
	}
	files, _ := filepath.Glob(filepath.Join(out, "events.out.tfevents.*"))
	if len(files) != 1 {
		t.Fatalf("event files %v", files)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	events, err := tfevents.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float32{}
	for _, ev := range events[1:] {
		for _, s := range ev.Scalars {
			got[s.Tag+"@"+strconv.FormatInt(ev.Step, 10)] = s.Value
		}
	}
	want := map[string]float32{
		"actor/entropy@1": 0.5, "actor/entropy@2": 0.25, "select/threshold@2": 0.25,
		"timing_s/elapsed@1": 10, "timing_s/elapsed@2": 20,
		"eval/countdown/avg_at_n@0": 0.25, "eval/countdown/avg_at_n@3": 0.55, "eval/countdown/pass_at_4@3": 0.5,
		"eval/countdown/pass_at_1@0": 0.25, "eval/countdown/mean_length@3": 40, "eval/countdown/mean_entropy@0": 0.2,
		"eval/countdown/pass_at_1@3": 0.25, "eval/countdown/pass_at_4@0": 0.5, "eval/countdown/mean_length@0": 40, "eval/countdown/mean_entropy@3": 0.2,
	}
	if len(got) != len(want) {
		t.Errorf("%d scalars, want %d: %v", len(got), len(want), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if events[0].FileVersion != tfevents.FileVersion || events[2].WallTime-events[1].WallTime != 10 {
		t.Errorf("first events %+v", events[:3])
	}
}

func TestExportCSV(t *testing.T) {
	dir := exportRun(t)
	out := filepath.Join(t.TempDir(), "csv")
	var stdout, stderr bytes.Buffer
	if code := exportCommand([]string{dir, "--format", "csv", "-o", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	read := func(name string) [][]string {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	m := read("metrics.csv")
	wantM := [][]string{{"step", "actor/entropy", "select/threshold", "timing_s/elapsed"}, {"1", "0.5", "", "10"}, {"2", "0.25", "0.25", "20"}}
	if strings.Join(flatten(m), "|") != strings.Join(flatten(wantM), "|") {
		t.Errorf("metrics.csv %q\nwant %q", m, wantM)
	}
	e := read("eval.csv")
	if len(e) != 3 || strings.Join(e[0], ",") != "step,dataset,n,avg_at_n,pass_at_1,pass_at_4,mean_length,mean_entropy" || strings.Join(e[2], ",") != "3,countdown,4,0.55,0.25,0.5,40,0.2" {
		t.Errorf("eval.csv %q", e)
	}
	if v, _ := strconv.ParseFloat(e[1][3], 64); math.Abs(v-0.25) > 0 {
		t.Errorf("avg@n at step 0: %v", e[1][3])
	}
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, strings.Join(r, ","))
	}
	return out
}

func TestExportBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--format", "parquet", t.TempDir()}, 2, `--format "parquet": want tensorboard or csv`},
		{[]string{t.TempDir()}, 1, "is not a run directory"},
		{[]string{filepath.Join(t.TempDir(), "none")}, 1, "no such file"},
	} {
		var stdout, stderr bytes.Buffer
		if code := exportCommand(tc.args, &stdout, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), tc.code, tc.msg)
		}
	}
}
