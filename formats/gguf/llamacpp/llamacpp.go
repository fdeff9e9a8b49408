// Package llamacpp runs llama.cpp, through the pinned npm package
// node-llama-cpp in this folder, as the reference implementation that
// forkrl's Qwen3 code is checked against.
//
// Install it once with `npm ci --omit=optional` in this folder (.ci/run does);
// tests that need it skip with that instruction where Node.js or the packages
// are missing.
package llamacpp

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

// dir is this package's folder, where package.json and node_modules live.
func dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// Require skips the test unless Node.js and node-llama-cpp are installed.
func Require(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not found: install Node.js, then run `npm ci --omit=optional` in " + dir())
	}
	if _, err := os.Stat(filepath.Join(dir(), "node_modules", "node-llama-cpp")); err != nil {
		t.Skip("node-llama-cpp is not installed: run `npm ci --omit=optional` in " + dir())
	}
}

// LogProbs returns llama.cpp's log-softmax of the next-token distribution at
// every position of ids, for the GGUF model at path, on the given number of
// threads.
func LogProbs(t testing.TB, model string, ids []int32, threads int) [][]float64 {
	t.Helper()
	Require(t)
	req, _ := json.Marshal(map[string]any{"ids": ids, "threads": threads})
	cmd := exec.Command("node", filepath.Join(dir(), "logprobs.mjs"), model)
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("llama.cpp: %v\n%s", err, stderr.String())
	}
	var resp struct {
		Logprobs [][]float64 `json:"logprobs"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("llama.cpp output: %v", err)
	}
	return resp.Logprobs
}

// Speed is llama.cpp's throughput on a model: prompt tokens per second of a
// prefill, and tokens per second of greedy generation.
type Speed struct {
	PrefillTPS float64 `json:"prefill_tps"`
	GenTPS     float64 `json:"gen_tps"`
}

// MeasureSpeed times llama.cpp on the GGUF model at path: a prefill of
// prompt tokens, then gen tokens of greedy generation, on threads threads.
func MeasureSpeed(t testing.TB, model string, threads, prompt, gen int) Speed {
	t.Helper()
	Require(t)
	cmd := exec.Command("node", filepath.Join(dir(), "speed.mjs"), model, strconv.Itoa(threads), strconv.Itoa(prompt), strconv.Itoa(gen))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("llama.cpp: %v\n%s", err, stderr.String())
	}
	var s Speed
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("llama.cpp output %q: %v", out, err)
	}
	return s
}
