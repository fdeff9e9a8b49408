package torch

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forkrl/forkrl/formats/safetensors"
	"github.com/forkrl/forkrl/framework/plugin"
	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
	"github.com/forkrl/forkrl/plugins/backend/tinylm"
)

func init() {
	plugin.Register(plugin.Builtin{Kind: pluginapi.KindBackend, Name: Name, Command: Command})
}

var torchCheck = sync.OnceValue(func() error {
	out, err := exec.Command(Python(), "-c", "import torch, grpc, google.protobuf, numpy").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s cannot import torch, grpc, protobuf and numpy (%v: %s)", Python(), err, strings.TrimSpace(string(out)))
	}
	return nil
})

// needTorch skips a test where Python's torch stack is missing; .ci/run installs it.
func needTorch(t testing.TB) {
	t.Helper()
	if err := torchCheck(); err != nil {
		t.Skipf("skipped: the torch backend needs Python with torch, grpcio, protobuf and numpy (apt-get install python3-torch python3-grpcio python3-protobuf python3-numpy, as .ci/run does): %v", err)
	}
}

// shape is a Qwen3 attention shape of the parity tests.
type shape struct {
	name                                   string
	layers, width, heads, kv, headDim, mlp int
	tie                                    bool
	alphabet                               string
}

func (s shape) settings(dir string) pluginapi.Settings {
	st := pluginapi.Settings{
		"layers": float64(s.layers), "width": float64(s.width), "heads": float64(s.heads), "kv_heads": float64(s.kv),
		"head_dim": float64(s.headDim), "mlp_width": float64(s.mlp), "context": float64(64), "tie_embeddings": s.tie,
		"alphabet": s.alphabet, "init_std": 0.3,
	}
	if dir != "" {
		st["checkpoint"] = dir
	}
	return st
}

var shapes = []shape{
	{"grouped-query 4:2", 2, 32, 4, 2, 0, 48, true, "abcdefghij "},
	{"one kv head", 2, 48, 4, 1, 12, 64, false, "0123456789+-*/="},
	{"head width != width/heads", 1, 32, 4, 2, 12, 40, true, "xyz\n "},
}

// randomCheckpoint writes tinylm weights of a shape, drawn from seed, as a checkpoint folder.
func randomCheckpoint(t testing.TB, s shape, seed uint64) string {
	t.Helper()
	dir := t.TempDir()
	b := tinylm.New()
	resp, err := b.Configure(context.Background(), pluginapi.ConfigureRequest{Settings: s.settings(""), Seed: seed})
	if err != nil || resp.Diagnostics.HasErrors() {
		t.Fatalf("tinylm Configure: %v %v", err, resp.Diagnostics)
	}
	if r, err := b.Save(context.Background(), backend.SaveRequest{Dir: dir}); err != nil || r.Diagnostics.HasErrors() {
		t.Fatalf("tinylm Save: %v %v", err, r.Diagnostics)
	}
	return dir
}

// logWriter sends a plugin's stderr to the test log.
type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// openTorch starts the torch backend as the host does and configures it.
func openTorch(t testing.TB, settings pluginapi.Settings) (*plugin.Instance, pluginapi.Diagnostics) {
	t.Helper()
	in, err := plugin.Open(context.Background(), plugin.Spec{Kind: pluginapi.KindBackend, Name: Name, Label: "policy", Log: logWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	return in, configure(t, in, settings)
}

// configure sends settings to an open torch backend and returns its diagnostics.
func configure(t testing.TB, in *plugin.Instance, settings pluginapi.Settings) pluginapi.Diagnostics {
	t.Helper()
	resp, err := in.Backend().Configure(context.Background(), pluginapi.ConfigureRequest{Settings: settings, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Diagnostics
}

func openTinylm(t testing.TB, s shape, dir string) *tinylm.Backend {
	t.Helper()
	b := tinylm.New()
	resp, err := b.Configure(context.Background(), pluginapi.ConfigureRequest{Settings: s.settings(dir), Seed: 1})
	if err != nil || resp.Diagnostics.HasErrors() {
		t.Fatalf("tinylm Configure: %v %v", err, resp.Diagnostics)
	}
	return b
}

// sequences draws prompt/response pairs of several lengths over a vocabulary of v tokens.
func sequences(rng *rand.Rand, v int) []backend.Sequence {
	var seqs []backend.Sequence
	for _, n := range [][2]int{{3, 9}, {1, 20}, {7, 2}, {5, 0}, {12, 30}} {
		s := backend.Sequence{Prompt: make([]int32, n[0]), Response: make([]int32, n[1])}
		for i := range s.Prompt {
			s.Prompt[i] = int32(rng.IntN(v))
		}
		for i := range s.Response {
			s.Response[i] = int32(rng.IntN(v))
		}
		seqs = append(seqs, s)
	}
	return seqs
}

// coefficients draws one per-token coefficient per response token.
func coefficients(rng *rand.Rand, seqs []backend.Sequence) [][]float32 {
	out := make([][]float32, len(seqs))
	for i, s := range seqs {
		out[i] = make([]float32, len(s.Response))
		for j := range out[i] {
			out[i][j] = float32(rng.NormFloat64())
		}
	}
	return out
}

// maxDiff returns the largest |a-b| over rows, failing on a shape mismatch.
func maxDiff(t testing.TB, what string, a, b [][]float32) float64 {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d rows against %d", what, len(a), len(b))
	}
	var d float64
	for i := range a {
		if len(a[i]) != len(b[i]) {
			t.Fatalf("%s row %d: %d values against %d", what, i, len(a[i]), len(b[i]))
		}
		for j := range a[i] {
			d = math.Max(d, math.Abs(float64(a[i][j])-float64(b[i][j])))
		}
	}
	return d
}

// readTensors reads every tensor of a safetensors file.
func readTensors(t testing.TB, path string) map[string][]float32 {
	t.Helper()
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]float32{}
	for _, name := range f.Names() {
		info, _ := f.Info(name)
		n := 1
		for _, d := range info.Shape {
			n *= d
		}
		out[name] = make([]float32, n)
		if err := f.Read(name, info.Shape, out[name]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestParityWithTinylm: on random Qwen3-shaped weights of several attention
// shapes, the torch backend's per-token log-probs and entropies, its
// gradients from the same per-token coefficients (read back as the AdamW
// first moment after one step) and its weights after one AdamW step equal
// tinylm's; so do its sampled tokens.
func TestParityWithTinylm(t *testing.T) {
	needTorch(t)
	impls := []string{"plain", "transformers"}
	if err := exec.Command(Python(), "-c", "from transformers import Qwen3ForCausalLM").Run(); err != nil {
		t.Logf("implementation = \"transformers\" is not tested: %s cannot import transformers' Qwen3", Python())
		impls = impls[:1]
	}
	// One plugin serves every case: a new Configure loads another model into the same workers.
	in, diags := openTorch(t, pluginapi.Settings{"checkpoint": randomCheckpoint(t, shapes[0], 1)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for i, s := range shapes {
		for _, impl := range impls {
			t.Run(s.name+"/"+impl, func(t *testing.T) { testParity(t, in, s, uint64(10+i), impl) })
		}
	}
}

func testParity(t *testing.T, in *plugin.Instance, s shape, seed uint64, impl string) {
	ctx := context.Background()
	i := int(seed)
	dir := randomCheckpoint(t, s, seed)
	ref := openTinylm(t, s, dir)
	diags := configure(t, in, pluginapi.Settings{"checkpoint": dir, "context": float64(64), "implementation": impl})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	tb := in.Backend()
	info, err := tb.Model(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ref.Model(ctx)
	if info.VocabSize != want.VocabSize || info.Parameters != want.Parameters || fmt.Sprint(info.StopTokens) != fmt.Sprint(want.StopTokens) {
		t.Errorf("Model: torch %+v, tinylm %+v", info, want)
	}
	rng := rand.New(rand.NewPCG(uint64(i), 7))
	req := backend.ScoreRequest{Sequences: sequences(rng, info.VocabSize), Temperature: 0.7}

	got, err := tb.Forward(ctx, req)
	if err != nil || got.Diagnostics.HasErrors() {
		t.Fatalf("torch Forward: %v %v", err, got.Diagnostics)
	}
	exp, _ := ref.Forward(ctx, req)
	dl, de := maxDiff(t, "log-probs", got.LogProbs, exp.LogProbs), maxDiff(t, "entropies", got.Entropies, exp.Entropies)
	if dl > 1e-4 || de > 1e-4 {
		t.Errorf("log-probs differ by %g, entropies by %g (bound 1e-4)", dl, de)
	}

	gl, gh := coefficients(rng, req.Sequences), coefficients(rng, req.Sequences)
	for _, b := range []backend.Backend{tb, ref} {
		h := got.Handle
		if b == ref {
			h = exp.Handle
		}
		if r, err := b.Backward(ctx, backend.BackwardRequest{Handle: h, GradLogProbs: gl, GradEntropies: gh}); err != nil || r.Diagnostics.HasErrors() {
			t.Fatalf("Backward: %v %v", err, r.Diagnostics)
		}
	}
	step := backend.StepRequest{LearningRate: 1e-3, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8, WeightDecay: 0.1}
	sg, err := tb.Step(ctx, step)
	if err != nil || sg.Diagnostics.HasErrors() {
		t.Fatalf("torch Step: %v %v", err, sg.Diagnostics)
	}
	se, _ := ref.Step(ctx, step)
	if math.Abs(sg.GradNorm-se.GradNorm) > 1e-4*se.GradNorm {
		t.Errorf("grad norm: torch %g, tinylm %g", sg.GradNorm, se.GradNorm)
	}
	dt, dr := filepath.Join(t.TempDir(), "torch"), filepath.Join(t.TempDir(), "tinylm")
	if r, err := tb.Save(ctx, backend.SaveRequest{Dir: dt}); err != nil || r.Diagnostics.HasErrors() {
		t.Fatalf("torch Save: %v %v", err, r.Diagnostics)
	}
	ref.Save(ctx, backend.SaveRequest{Dir: dr})
	mt, mr := readTensors(t, filepath.Join(dt, "optimizer.safetensors")), readTensors(t, filepath.Join(dr, "optimizer.safetensors"))
	wt, wr := readTensors(t, filepath.Join(dt, "model.safetensors")), readTensors(t, filepath.Join(dr, "model.safetensors"))
	if len(mt) != len(mr) || len(wt) != len(wr) {
		t.Fatalf("torch saved %d moments and %d weights, tinylm %d and %d", len(mt), len(wt), len(mr), len(wr))
	}
	var worstGrad, worstWeight float64
	for name, g := range mr {
		if !strings.HasPrefix(name, "exp_avg.") {
			continue
		}
		var scale, d float64
		for j := range g {
			scale = math.Max(scale, math.Abs(float64(g[j])))
			d = math.Max(d, math.Abs(float64(mt[name][j])-float64(g[j])))
		}
		worstGrad = math.Max(worstGrad, d/scale)
		if d > 1e-4*scale {
			t.Errorf("gradient of %s differs by %g, %.2g relative to its largest entry (bound 1e-4)", name[len("exp_avg."):], d, d/scale)
		}
	}
	for name, w := range wr {
		d := maxDiff(t, name, [][]float32{wt[name]}, [][]float32{w})
		worstWeight = math.Max(worstWeight, d)
		if d > 1e-5 {
			t.Errorf("weight %s after one AdamW step differs by %g (bound 1e-5)", name, d)
		}
	}
	t.Logf("largest differences from tinylm: log-prob %.2g, entropy %.2g, gradient %.2g (relative to the tensor's largest entry), weight after AdamW %.2g", dl, de, worstGrad, worstWeight)

	prompts := [][]int32{{0, 1, 2}, {3}}
	for _, sampling := range []backend.Sampling{
		{Temperature: 1, TopP: 0.9, MaxTokens: 12},
		{Temperature: 0.8, MaxTokens: 10, StopTokens: []int32{4}, EntropyGate: &backend.EntropyGate{Threshold: 1, THigh: 1.5, TLow: 0.2}},
		{Temperature: 0, MaxTokens: 6}, // greedy
	} {
		gen := backend.GenerateRequest{Prompts: prompts, N: 3, Seed: 42, Sampling: sampling}
		g1, err := tb.Generate(ctx, gen)
		if err != nil || g1.Diagnostics.HasErrors() {
			t.Fatalf("torch Generate: %v %v", err, g1.Diagnostics)
		}
		g2, _ := ref.Generate(ctx, gen)
		if len(g1.Responses) != len(g2.Responses) {
			t.Fatalf("torch gave %d responses, tinylm %d", len(g1.Responses), len(g2.Responses))
		}
		for k := range g2.Responses {
			a, b := g1.Responses[k], g2.Responses[k]
			if fmt.Sprint(a.Tokens) != fmt.Sprint(b.Tokens) || a.Finish != b.Finish || a.Prompt != b.Prompt || strings.Join(a.Pieces, "") != strings.Join(b.Pieces, "") {
				t.Errorf("sampling %+v, response %d: torch %v %q (%s), tinylm %v %q (%s)", sampling, k, a.Tokens, a.Pieces, a.Finish, b.Tokens, b.Pieces, b.Finish)
			} else if d := maxDiff(t, "sampled log-probs", [][]float32{a.LogProbs, a.Entropies}, [][]float32{b.LogProbs, b.Entropies}); d > 1e-4 {
				t.Errorf("sampling %+v, response %d: log-probs or entropies differ by %g", sampling, k, d)
			}
		}
	}
}

// TestFaults: bad pythons, a torch that cannot import, broken checkpoints,
// a worker that hangs and one that dies give errors that name the plugin,
// the call and the cause.
func TestFaults(t *testing.T) {
	needTorch(t)
	ctx := context.Background()
	s := shapes[0]
	dir := randomCheckpoint(t, s, 1)

	t.Run("missing python", func(t *testing.T) {
		_, diags := openTorch(t, pluginapi.Settings{"checkpoint": dir, "python": "/nonexistent/python3"})
		wantDiag(t, diags, "python", "/nonexistent/python3", "does not exist")
	})
	t.Run("torch cannot import", func(t *testing.T) {
		fake := t.TempDir()
		os.MkdirAll(filepath.Join(fake, "torch"), 0o755)
		os.WriteFile(filepath.Join(fake, "torch", "__init__.py"), []byte("raise ImportError('libtorch_cpu.so: cannot open shared object file')\n"), 0o644)
		wrapper := filepath.Join(fake, "python")
		os.WriteFile(wrapper, []byte(fmt.Sprintf("#!/bin/sh\nPYTHONPATH=%s:$PYTHONPATH exec %s \"$@\"\n", fake, Python())), 0o755)
		_, diags := openTorch(t, pluginapi.Settings{"checkpoint": dir, "python": wrapper})
		wantDiag(t, diags, "python", "cannot import torch", "libtorch_cpu.so")
	})
	t.Run("plugin python without grpc", func(t *testing.T) {
		fake := t.TempDir()
		os.MkdirAll(filepath.Join(fake, "grpc"), 0o755)
		os.WriteFile(filepath.Join(fake, "grpc", "__init__.py"), []byte("raise ImportError('no grpc', name='grpc')\n"), 0o644)
		wrapper := filepath.Join(fake, "python")
		os.WriteFile(wrapper, []byte(fmt.Sprintf("#!/bin/sh\nPYTHONPATH=%s exec %s \"$@\"\n", fake, Python())), 0o755)
		t.Setenv("FORKRL_PYTHON", wrapper)
		_, err := plugin.Open(ctx, plugin.Spec{Kind: pluginapi.KindBackend, Name: Name, Label: "policy", Log: logWriter{t}})
		msg := fmt.Sprint(err)
		for _, want := range []string{`backend plugin "policy"`, "cannot import grpc", "FORKRL_PYTHON"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not say %q", msg, want)
			}
		}
	})
	t.Run("broken checkpoints", func(t *testing.T) {
		in, diags := openTorch(t, pluginapi.Settings{"checkpoint": dir})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		missing := copyCheckpoint(t, dir, func(name string, shape []int) ([]int, bool) { return shape, name != "model.norm.weight" })
		wantDiag(t, configure(t, in, pluginapi.Settings{"checkpoint": missing}), "checkpoint", "no tensor", "model.norm.weight")
		wrong := copyCheckpoint(t, dir, func(name string, shape []int) ([]int, bool) {
			if name == "model.layers.0.mlp.up_proj.weight" {
				return []int{shape[0] - 1, shape[1]}, true
			}
			return shape, true
		})
		wantDiag(t, configure(t, in, pluginapi.Settings{"checkpoint": wrong}), "checkpoint", "model.layers.0.mlp.up_proj.weight", "has shape [47, 32]")
		// Load refuses the same folder, and the model configured first stays in use.
		r, err := in.Backend().Load(ctx, backend.LoadRequest{Dir: wrong})
		if err != nil || !strings.Contains(fmt.Sprint(r.Diagnostics), "has shape [47, 32]") {
			t.Errorf("Load of a bad checkpoint: %v %v", err, r.Diagnostics)
		}
		if s, err := in.Backend().Score(ctx, backend.ScoreRequest{Sequences: []backend.Sequence{{Prompt: []int32{1}, Response: []int32{2, 3}}}}); err != nil || len(s.LogProbs) != 1 || s.LogProbs[0][0] == 0 {
			t.Errorf("Score after the refusals: %v %+v", err, s)
		}
	})
	// One plugin for the worker faults: after each, a new Configure starts new workers.
	workers := func(t *testing.T, in *plugin.Instance) []int {
		t.Helper()
		w := descendants(in.PID())
		if len(w) != 2 {
			t.Fatalf("the plugin (pid %d) has %d worker processes (%v), want 2", in.PID(), len(w), w)
		}
		return w
	}
	in, diags := openTorch(t, pluginapi.Settings{"checkpoint": dir, "world_size": float64(2), "worker_timeout": float64(3)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	t.Run("a worker hangs in a collective", func(t *testing.T) {
		// The other rank waits for it in the gradient all-reduce of Step; the
		// call fails after the worker_timeout setting instead of hanging.
		ws := workers(t, in)
		if err := exec.Command("kill", "-STOP", fmt.Sprint(ws[1])).Run(); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err := in.Backend().Step(ctx, backend.StepRequest{LearningRate: 1e-3, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8})
		msg := fmt.Sprint(err)
		for _, want := range []string{`backend plugin "policy"`, "Step", "within 3 s"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not say %q", msg, want)
			}
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("the call took %s with a 3 s timeout", d)
		}
		for end := time.Now().Add(5 * time.Second); len(alive(ws)) > 0 && time.Now().Before(end); {
			time.Sleep(50 * time.Millisecond)
		}
		if left := alive(ws); len(left) > 0 {
			t.Errorf("workers %v are still running", left)
		}
	})
	t.Run("a worker dies mid-step", func(t *testing.T) {
		if diags := configure(t, in, pluginapi.Settings{"checkpoint": dir, "world_size": float64(2), "worker_timeout": float64(3)}); diags.HasErrors() {
			t.Fatal(diags)
		}
		b := in.Backend()
		req := backend.ScoreRequest{Sequences: sequences(rand.New(rand.NewPCG(1, 2)), 14), Temperature: 1}
		f, err := b.Forward(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		ws := workers(t, in)
		if err := exec.Command("kill", "-9", fmt.Sprint(ws[1])).Run(); err != nil {
			t.Fatal(err)
		}
		_, err = b.Backward(ctx, backend.BackwardRequest{Handle: f.Handle, GradLogProbs: coefficients(rand.New(rand.NewPCG(3, 4)), req.Sequences)})
		msg := fmt.Sprint(err)
		for _, want := range []string{`backend plugin "policy"`, "Backward", "killed by signal 9"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not say %q", msg, want)
			}
		}
		_, err = b.Step(ctx, backend.StepRequest{LearningRate: 1e-3, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8})
		if !strings.Contains(fmt.Sprint(err), "stopped earlier") {
			t.Errorf("Step after the death: %v", err)
		}
		if left := alive(ws); len(left) > 0 {
			t.Errorf("workers %v are still running", left)
		}
	})
}

func wantDiag(t testing.TB, diags pluginapi.Diagnostics, attribute string, subs ...string) {
	t.Helper()
	for _, d := range diags {
		text := d.Summary + " " + d.Detail
		ok := d.Attribute == attribute
		for _, s := range subs {
			ok = ok && strings.Contains(text, s)
		}
		if ok {
			return
		}
	}
	t.Errorf("no diagnostic on %q saying %q; got %v", attribute, subs, diags)
}

// copyCheckpoint copies a checkpoint folder, keeping the tensors that keep
// accepts, with the shapes it returns (data cut or padded with zeros).
func copyCheckpoint(t testing.TB, dir string, keep func(name string, shape []int) ([]int, bool)) string {
	t.Helper()
	out := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(out, "config.json"), raw, 0o644)
	f, err := safetensors.Open(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ts []safetensors.Tensor
	for _, name := range f.Names() {
		info, _ := f.Info(name)
		shape, ok := keep(name, info.Shape)
		if !ok {
			continue
		}
		n := 1
		for _, d := range shape {
			n *= d
		}
		ts = append(ts, safetensors.Tensor{Name: name, Shape: shape, Data: make([]float32, n)})
	}
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, ts, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(out, "model.safetensors"), buf.Bytes(), 0o644)
	return out
}

// descendants lists the processes below pid, children first.
func descendants(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	for _, e := range entries {
		var p int
		if _, err := fmt.Sscan(e.Name(), &p); err != nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		fields := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
		var pp int
		fmt.Sscan(fields[1], &pp)
		parent[p] = pp
	}
	var out []int
	frontier := []int{pid}
	for len(frontier) > 0 {
		var next []int
		for p, pp := range parent {
			for _, f := range frontier {
				if pp == f {
					next = append(next, p)
				}
			}
		}
		sortInts(next)
		out = append(out, next...)
		frontier = next
	}
	return out
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// alive returns the processes of pids that still run (zombies count as gone).
func alive(pids []int) []int {
	var out []int
	for _, p := range pids {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err == nil && !strings.Contains(string(raw[bytes.LastIndexByte(raw, ')'):]), ") Z") {
			out = append(out, p)
		}
	}
	return out
}

// writeHFFolder writes a Hugging Face Qwen3 folder with the real Qwen3
// vocabulary and tokenizer, random bf16 weights in two shards with an index,
// and a generation_config.json that adds <|im_end|> as a stop token.
func writeHFFolder(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	config := map[string]any{
		"architectures": []string{"Qwen3ForCausalLM"}, "model_type": "qwen3", "vocab_size": 151936,
		"hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4,
		"num_key_value_heads": 2, "head_dim": 16, "max_position_embeddings": 256, "rms_norm_eps": 1e-6,
		"rope_theta": 1000000.0, "tie_word_embeddings": true, "hidden_act": "silu",
		"bos_token_id": 151643, "eos_token_id": 151643, "torch_dtype": "bfloat16",
	}
	raw, _ := json.Marshal(config)
	writeFile(t, filepath.Join(dir, "config.json"), raw)
	writeFile(t, filepath.Join(dir, "generation_config.json"), []byte(`{"eos_token_id": [151645, 151643]}`))
	gz, err := os.ReadFile("../../../data/tokenizers/qwen3/tokenizer.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "tokenizer.json"), tok)
	names := []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}
	var shards [2][]safetensors.Tensor
	index := map[string]string{}
	rng := rand.New(rand.NewPCG(5, 6))
	D, F, hd, V := 32, 48, 16, 151936
	var tensors []safetensors.Tensor
	add := func(name string, shape ...int) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		data := make([]float32, n)
		for j := range data {
			v := float32(0.5 * rng.NormFloat64())
			if len(shape) == 1 {
				v += 1
			}
			data[j] = math.Float32frombits(uint32(safetensors.F32ToBF16(v)) << 16)
		}
		tensors = append(tensors, safetensors.Tensor{Name: name, Shape: shape, DType: "BF16", Data: data})
	}
	add("model.embed_tokens.weight", V, D)
	for l := range 2 {
		p := fmt.Sprintf("model.layers.%d.", l)
		add(p+"input_layernorm.weight", D)
		add(p+"self_attn.q_proj.weight", 4*hd, D)
		add(p+"self_attn.k_proj.weight", 2*hd, D)
		add(p+"self_attn.v_proj.weight", 2*hd, D)
		add(p+"self_attn.q_norm.weight", hd)
		add(p+"self_attn.k_norm.weight", hd)
		add(p+"self_attn.o_proj.weight", D, 4*hd)
		add(p+"post_attention_layernorm.weight", D)
		add(p+"mlp.gate_proj.weight", F, D)
		add(p+"mlp.up_proj.weight", F, D)
		add(p+"mlp.down_proj.weight", D, F)
	}
	add("model.norm.weight", D)
	for i, ts := range tensors {
		shards[i%2] = append(shards[i%2], ts)
		index[ts.Name] = names[i%2]
	}
	for i, shard := range shards {
		var buf bytes.Buffer
		if err := safetensors.Write(&buf, shard, map[string]string{"format": "pt"}); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, names[i]), buf.Bytes())
	}
	idx, _ := json.Marshal(map[string]any{"weight_map": index})
	writeFile(t, filepath.Join(dir, "model.safetensors.index.json"), idx)
	return dir
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHuggingFaceFolder: a Hugging Face Qwen3 folder (sharded bf16 weights,
// the real Qwen3 tokenizer) gives the same token ids, texts, stop tokens,
// log-probs and samples in the torch backend as in tinylm.
func TestHuggingFaceFolder(t *testing.T) {
	needTorch(t)
	t.Setenv("FORKRL_EXE", forkrl(t))
	ctx := context.Background()
	dir := writeHFFolder(t)
	settings := pluginapi.Settings{"checkpoint": dir, "context": float64(64)}
	ref := tinylm.New()
	if r, err := ref.Configure(ctx, pluginapi.ConfigureRequest{Settings: settings}); err != nil || r.Diagnostics.HasErrors() {
		t.Fatalf("tinylm: %v %v", err, r.Diagnostics)
	}
	in, diags := openTorch(t, settings)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	tb := in.Backend()
	mi, _ := tb.Model(ctx)
	mr, _ := ref.Model(ctx)
	if fmt.Sprint(mi.StopTokens, mi.Special, mi.VocabSize) != fmt.Sprint(mr.StopTokens, mr.Special, mr.VocabSize) {
		t.Errorf("Model: torch %+v, tinylm %+v", mi, mr)
	}
	texts := []string{"What is 12 + 30? Answer: \\boxed{42}", "Ünïcode ∑ 数学 🙂", ""}
	ei, err := tb.Encode(ctx, backend.EncodeRequest{Texts: texts})
	if err != nil || ei.Diagnostics.HasErrors() {
		t.Fatalf("Encode: %v %v", err, ei.Diagnostics)
	}
	er, _ := ref.Encode(ctx, backend.EncodeRequest{Texts: texts})
	if fmt.Sprint(ei.IDs) != fmt.Sprint(er.IDs) {
		t.Errorf("Encode: torch %v, tinylm %v", ei.IDs, er.IDs)
	}
	di, err := tb.Decode(ctx, backend.DecodeRequest{IDs: er.IDs})
	if err != nil || fmt.Sprint(di.Texts) != fmt.Sprint(texts) {
		t.Errorf("Decode: %v %q, want %q", err, di.Texts, texts)
	}
	req := backend.ScoreRequest{Sequences: []backend.Sequence{{Prompt: er.IDs[0][:5], Response: er.IDs[0][5:]}, {Prompt: er.IDs[1][:2], Response: er.IDs[1][2:]}}, Temperature: 1}
	si, err := tb.Score(ctx, req)
	if err != nil || si.Diagnostics.HasErrors() {
		t.Fatalf("Score: %v %v", err, si.Diagnostics)
	}
	sr, _ := ref.Score(ctx, req)
	if d := maxDiff(t, "log-probs", si.LogProbs, sr.LogProbs); d > 1e-4 {
		t.Errorf("log-probs differ by %g", d)
	}
	gen := backend.GenerateRequest{Prompts: [][]int32{er.IDs[0]}, N: 2, Seed: 3, Sampling: backend.Sampling{Temperature: 1, MaxTokens: 8}}
	gi, err := tb.Generate(ctx, gen)
	if err != nil || gi.Diagnostics.HasErrors() {
		t.Fatalf("Generate: %v %v", err, gi.Diagnostics)
	}
	gr, _ := ref.Generate(ctx, gen)
	for k := range gr.Responses {
		a, b := gi.Responses[k], gr.Responses[k]
		if fmt.Sprint(a.Tokens) != fmt.Sprint(b.Tokens) || strings.Join(a.Pieces, "") != strings.Join(b.Pieces, "") {
			t.Errorf("response %d: torch %v %q, tinylm %v %q", k, a.Tokens, a.Pieces, b.Tokens, b.Pieces)
		}
	}
}
