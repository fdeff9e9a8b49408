package gguf

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/formats/gguf/llamacpp"
)

// RandomQwen3 makes random weights of the given config, keyed by their
// Hugging Face names (norm weights near 1, matrices scaled by 1/sqrt(in)).
func randomQwen3(cfg Qwen3Config, seed uint64) map[string]Tensor {
	r := rand.New(rand.NewPCG(seed, 1))
	mat := func(out, in int) Tensor {
		t := Tensor{Shape: []int{out, in}, Data: make([]float32, out*in)}
		s := 1 / math.Sqrt(float64(in))
		for i := range t.Data {
			t.Data[i] = float32(r.NormFloat64() * s)
		}
		return t
	}
	norm := func(n int) Tensor {
		t := Tensor{Shape: []int{n}, Data: make([]float32, n)}
		for i := range t.Data {
			t.Data[i] = float32(1 + 0.1*r.NormFloat64())
		}
		return t
	}
	d, hd, ff := cfg.HiddenSize, cfg.HeadDim, cfg.IntermediateSize
	ts := map[string]Tensor{
		"model.embed_tokens.weight": mat(cfg.VocabSize, d),
		"model.norm.weight":         norm(d),
	}
	if !cfg.TieWordEmbeddings {
		ts["lm_head.weight"] = mat(cfg.VocabSize, d)
	}
	for l := range cfg.NumLayers {
		p := "model.layers." + strconv.Itoa(l) + "."
		ts[p+"input_layernorm.weight"] = norm(d)
		ts[p+"post_attention_layernorm.weight"] = norm(d)
		ts[p+"self_attn.q_proj.weight"] = mat(cfg.NumHeads*hd, d)
		ts[p+"self_attn.k_proj.weight"] = mat(cfg.NumKVHeads*hd, d)
		ts[p+"self_attn.v_proj.weight"] = mat(cfg.NumKVHeads*hd, d)
		ts[p+"self_attn.o_proj.weight"] = mat(d, cfg.NumHeads*hd)
		ts[p+"self_attn.q_norm.weight"] = norm(hd)
		ts[p+"self_attn.k_norm.weight"] = norm(hd)
		ts[p+"mlp.gate_proj.weight"] = mat(ff, d)
		ts[p+"mlp.up_proj.weight"] = mat(ff, d)
		ts[p+"mlp.down_proj.weight"] = mat(d, ff)
	}
	return ts
}

var smallConfig = Qwen3Config{
	VocabSize: 300, HiddenSize: 64, IntermediateSize: 96, NumLayers: 2, NumHeads: 4, NumKVHeads: 2,
	HeadDim: 24, MaxPositions: 512, RopeTheta: 10000, RMSNormEps: 1e-6,
}

func TestWriteLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := WriteQwen3(path, smallConfig, randomQwen3(smallConfig, 1)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data[:4]) != "GGUF" || binary.LittleEndian.Uint32(data[4:]) != 3 {
		t.Fatalf("header %q", data[:8])
	}
	nTensors := binary.LittleEndian.Uint64(data[8:])
	if want := uint64(2 + 1 + 11*smallConfig.NumLayers); nTensors != want {
		t.Fatalf("%d tensors, want %d", nTensors, want)
	}
	if !bytes.Contains(data, []byte("blk.1.attn_k_norm.weight")) || !bytes.Contains(data, []byte("qwen3.attention.key_length")) {
		t.Fatal("tensor or metadata names missing")
	}
	if len(data)%alignment != 0 {
		t.Fatalf("file size %d is not aligned", len(data))
	}
}

func TestWriteRefusesBadTensors(t *testing.T) {
	ts := randomQwen3(smallConfig, 1)
	bad := ts["model.layers.0.self_attn.k_proj.weight"]
	bad.Shape = []int{64, 48}
	ts["model.layers.0.self_attn.k_proj.weight"] = bad
	err := WriteQwen3(filepath.Join(t.TempDir(), "m.gguf"), smallConfig, ts)
	if err == nil || !strings.Contains(err.Error(), "model.layers.0.self_attn.k_proj.weight has shape [64 48], the config implies [48 64]") {
		t.Fatalf("got %v", err)
	}
	ts = randomQwen3(smallConfig, 1)
	delete(ts, "model.norm.weight")
	if err := WriteQwen3(filepath.Join(t.TempDir(), "m.gguf"), smallConfig, ts); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("got %v", err)
	}
}

// TestLlamaCppLoads: llama.cpp accepts the export and gives a normalised
// distribution over the whole vocabulary at every position.
func TestLlamaCppLoads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := WriteQwen3(path, smallConfig, randomQwen3(smallConfig, 2)); err != nil {
		t.Fatal(err)
	}
	ids := []int32{1, 50, 299, 7, 7, 120}
	lp := llamacpp.LogProbs(t, path, ids, 1)
	if len(lp) != len(ids) {
		t.Fatalf("%d positions, want %d", len(lp), len(ids))
	}
	for i, row := range lp {
		if len(row) != smallConfig.VocabSize {
			t.Fatalf("position %d: %d log-probs, want %d", i, len(row), smallConfig.VocabSize)
		}
		s := 0.0
		for _, x := range row {
			s += math.Exp(x)
		}
		if math.Abs(s-1) > 1e-4 {
			t.Fatalf("position %d: probabilities sum to %v", i, s)
		}
	}
}
