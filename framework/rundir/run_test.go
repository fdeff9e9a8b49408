package rundir

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCreateRefusesExistingRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	in := Inputs{Files: map[string][]byte{"recipe.hcl": []byte("x = 1\n")}, Settings: map[string]int{"steps": 3}}
	if _, err := Create(dir, in); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "recipe.hcl")); string(got) != "x = 1\n" {
		t.Errorf("recipe.hcl = %q", got)
	}
	_, err := Create(dir, in)
	if err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("second Create: %v, want an error that suggests --resume", err)
	}
}

func TestLogsRewindAndReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	d, err := Create(dir, Inputs{Settings: struct{}{}})
	if err != nil {
		t.Fatal(err)
	}
	for step := 1; step <= 4; step++ {
		if err := d.AppendMetrics(step, Metrics{"b": float64(step), "a": 0.5, "nan": math.NaN()}); err != nil {
			t.Fatal(err)
		}
		if err := d.WriteSamples(step, []Sample{{Response: "r"}}); err != nil {
			t.Fatal(err)
		}
		if step%2 == 0 {
			if err := d.AppendEval(step, Evaluation{"z": {N: 2}, "a": {N: 2, AvgAtN: 0.5}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, MetricsFile))
	if first := strings.SplitN(string(data), "\n", 2)[0]; first != `{"step":1,"a":0.5,"b":1,"nan":null}` {
		t.Errorf("first metrics line = %s", first)
	}
	d2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := d2.Rewind(2); err != nil {
		t.Fatal(err)
	}
	m, err := ReadMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 2 || m[1]["step"] != 2 || !math.IsNaN(m[1]["nan"]) {
		t.Errorf("after Rewind(2): %v", m)
	}
	evals, _ := os.ReadFile(filepath.Join(dir, EvalFile))
	if n := strings.Count(string(evals), "\n"); n != 2 {
		t.Errorf("eval.jsonl has %d lines after Rewind(2), want 2:\n%s", n, evals)
	}
	samples, _ := os.ReadDir(filepath.Join(dir, SamplesDir))
	if len(samples) != 2 {
		t.Errorf("%d sample files after Rewind(2), want 2", len(samples))
	}
}

func TestCheckpoints(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	d, err := Create(dir, Inputs{Settings: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := d.LatestCheckpoint(); ok {
		t.Fatal("a new run has a checkpoint")
	}
	for _, step := range []int{2, 4, 6} {
		tmp, err := d.BeginCheckpoint(step)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, "state"), []byte{byte(step)}, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := d.CommitCheckpoint(step, tmp, 2); err != nil {
			t.Fatal(err)
		}
	}
	// A checkpoint that a killed run left half-written does not count.
	if _, err := d.BeginCheckpoint(8); err != nil {
		t.Fatal(err)
	}
	step, path, ok, err := d.LatestCheckpoint()
	if err != nil || !ok || step != 6 {
		t.Fatalf("LatestCheckpoint = %d, %v, %v; want step 6", step, ok, err)
	}
	if b, _ := os.ReadFile(filepath.Join(path, "state")); len(b) != 1 || b[0] != 6 {
		t.Errorf("checkpoint content %v", b)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, CheckpointsDir))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "step-000004,step-000006" {
		t.Errorf("checkpoints kept: %v", names)
	}
}

func TestSummaryRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	d, err := Create(dir, Inputs{Settings: 1})
	if err != nil {
		t.Fatal(err)
	}
	s := Summary{Name: "r", Status: StatusFinished, InitialEval: Evaluation{"countdown": {N: 8, AvgAtN: 0.25, PassAtK: map[int]float64{1: 0.25, 8: 0.4}}}}
	if err := d.WriteSummary(s); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, SummaryFile))
	for _, name := range []string{`"initial_eval"`, `"final_eval"`, `"best_eval"`, `"avg_at_n": 0.25`, `"pass_at_k": {`, `"8": 0.4`, `"mean_length"`, `"mean_entropy"`, `"n": 8`} {
		if !strings.Contains(string(data), name) {
			t.Errorf("summary.json lacks %s:\n%s", name, data)
		}
	}
	got, err := ReadSummary(dir)
	if err != nil || got.InitialEval["countdown"].PassAtK[8] != 0.4 {
		t.Errorf("ReadSummary = %+v, %v", got, err)
	}
}

func TestProgressLine(t *testing.T) {
	p := Progress{Step: 12, Steps: 100, Reward: 0.4125, Accuracy: 0.41, Entropy: 0.2131, TokensPerSec: 1234, Left: 192*time.Second + 300*time.Millisecond}
	want := "step  12/100  reward 0.412  acc  41.0%  entropy 0.213  1.2k tok/s  3m12s left"
	if got := p.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	p.Supervised, p.Loss = true, 1.23456
	want = "step  12/100  loss 1.2346  entropy 0.213  1.2k tok/s  3m12s left"
	if got := p.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestLockRefusesASecondHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r")
	release, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Lock(path)
	if want := "in use by another forkrl process (pid " + strconv.Itoa(os.Getpid()) + ")"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("second lock: %v, want %q", err, want)
	}
	release()
	release, err = Lock(path)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	release()
}

// flipByte flips the bits of one byte in the middle of a file, as a bad
// disk or copy would.
func flipByte(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDamagedCheckpointFallsBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	d, err := Create(dir, Inputs{Settings: 1})
	if err != nil {
		t.Fatal(err)
	}
	var warnings []string
	d.Warn = func(msg string) { warnings = append(warnings, msg) }
	for _, step := range []int{2, 4} {
		tmp, err := d.BeginCheckpoint(step)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(tmp, "policy"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, "policy", "weights"), []byte("weights of step "+strconv.Itoa(step)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := d.CommitCheckpoint(step, tmp, 2); err != nil {
			t.Fatal(err)
		}
	}
	newest := filepath.Join(dir, CheckpointsDir, "step-000004")
	if err := VerifyCheckpoint(newest); err != nil {
		t.Fatalf("an intact checkpoint: %v", err)
	}
	damagedFile := filepath.Join(newest, "policy", "weights")
	flipByte(t, damagedFile)
	step, path, ok, err := d.LatestCheckpoint()
	if err != nil || !ok || step != 2 {
		t.Fatalf("LatestCheckpoint = step %d, %v, %v; want step 2", step, ok, err)
	}
	if b, _ := os.ReadFile(filepath.Join(path, "policy", "weights")); string(b) != "weights of step 2" {
		t.Errorf("checkpoint content %q", b)
	}
	aside := filepath.Join(dir, CheckpointsDir, "damaged-step-000004")
	if len(warnings) != 1 || !strings.Contains(warnings[0], damagedFile+" has sha256 ") || !strings.Contains(warnings[0], "set aside as "+aside) ||
		!strings.Contains(warnings[0], "resumes from the checkpoint of step 2") {
		t.Errorf("warnings %q", warnings)
	}
	if logText, _ := os.ReadFile(filepath.Join(dir, LogFile)); !strings.Contains(string(logText), "set aside as") {
		t.Errorf("log.txt: %q", logText)
	}
	// With every checkpoint damaged there is nothing to resume from.
	flipByte(t, filepath.Join(path, "policy", "weights"))
	if _, _, _, err := d.LatestCheckpoint(); err == nil || !strings.Contains(err.Error(), "no intact checkpoint") || !strings.Contains(err.Error(), filepath.Join(path, "policy", "weights")) {
		t.Errorf("all damaged: %v", err)
	}
}

func TestTornLastLogLineDoesNotBlockResume(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	d, err := Create(dir, Inputs{Settings: 1})
	if err != nil {
		t.Fatal(err)
	}
	for step := 1; step <= 3; step++ {
		if err := d.AppendMetrics(step, Metrics{"x": float64(step)}); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.OpenFile(filepath.Join(dir, MetricsFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"step":4,"x":`)
	f.Close()
	d, err = Open(dir)
	if err != nil {
		t.Fatalf("Open with a torn last line: %v", err)
	}
	if err := d.Rewind(2); err != nil {
		t.Fatal(err)
	}
	lines, err := ReadMetrics(dir)
	if err != nil || len(lines) != 2 || lines[1]["step"] != 2 {
		t.Errorf("metrics after rewinding to step 2: %v, %v", lines, err)
	}
	// A bad line elsewhere is still an error.
	if err := os.WriteFile(filepath.Join(dir, MetricsFile), []byte("{\"step\":1}\nnot json\n{\"step\":2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "metrics.jsonl:2:") {
		t.Errorf("a bad middle line: %v", err)
	}
}
