package tinylm

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/formats/safetensors"
	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/framework/pluginapi/backend"
)

// qwen3Config is a Hugging Face config.json of a Qwen3 model of the given
// shape with the real Qwen3 vocabulary, tied embeddings and bf16 weights.
func qwen3Config(hidden, intermediate, layers, heads, kvHeads, headDim, maxPositions int) map[string]any {
	return map[string]any{
		"architectures": []string{"Qwen3ForCausalLM"}, "model_type": "qwen3",
		"vocab_size": 151936, "hidden_size": hidden, "intermediate_size": intermediate, "num_hidden_layers": layers,
		"num_attention_heads": heads, "num_key_value_heads": kvHeads, "head_dim": headDim, "max_position_embeddings": maxPositions,
		"rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "tie_word_embeddings": true, "hidden_act": "silu",
		"bos_token_id": 151643, "eos_token_id": 151643, "torch_dtype": "bfloat16",
	}
}

// hfShape is a small Qwen3 with the real Qwen3 vocabulary.
var hfShape = qwen3Config(32, 48, 2, 4, 2, 16, 256)

// writeHFFolder writes a Hugging Face Qwen3 folder: config.json, random
// weights in bf16 split over two shards with an index, the real Qwen3
// tokenizer, and a generation_config.json that adds <|im_end|> as a stop
// token. It returns the folder and the weights as written (rounded to bf16).
func writeHFFolder(t testing.TB, config map[string]any) (string, map[string][]float32) {
	t.Helper()
	dir := t.TempDir()
	raw, _ := json.Marshal(config)
	must(t, os.WriteFile(filepath.Join(dir, "config.json"), raw, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "generation_config.json"), []byte(`{"eos_token_id": [151645, 151643]}`), 0o644))
	gz, err := os.Open(filepath.Join("..", "..", "..", "data", "tokenizers", "qwen3", "tokenizer.json.gz"))
	must(t, err)
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	must(t, err)
	tokJSON, err := io.ReadAll(zr)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "tokenizer.json"), tokJSON, 0o644))

	var cfg hfConfig
	json.Unmarshal(raw, &cfg)
	c := Config{Layers: cfg.NumHiddenLayers, Width: cfg.HiddenSize, Heads: cfg.NumAttentionHeads, KVHeads: cfg.NumKeyValueHeads,
		HeadDim: cfg.HeadDim, MLPWidth: cfg.IntermediateSize, Tie: cfg.TieWordEmbeddings}
	lay := newLayout(c, cfg.VocabSize)
	r := rand.New(rand.NewPCG(5, 6))
	weights := map[string][]float32{}
	var shards [2][]safetensors.Tensor
	index := map[string]string{}
	for i, ts := range lay.tensors {
		data := make([]float32, ts.size())
		for j := range data {
			v := float32(0.5 * r.NormFloat64())
			if len(ts.shape) == 1 {
				v += 1
			}
			data[j] = math.Float32frombits(uint32(safetensors.F32ToBF16(v)) << 16)
		}
		weights[ts.name] = data
		shards[i%2] = append(shards[i%2], safetensors.Tensor{Name: ts.name, Shape: ts.shape, DType: "BF16", Data: data})
		index[ts.name] = []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}[i%2]
	}
	for i, shard := range shards {
		f, err := os.Create(filepath.Join(dir, []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}[i]))
		must(t, err)
		w := bufio.NewWriterSize(f, 1<<20)
		must(t, safetensors.Write(w, shard, map[string]string{"format": "pt"}))
		must(t, w.Flush())
		must(t, f.Close())
	}
	idx, _ := json.Marshal(map[string]any{"weight_map": index})
	must(t, os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), idx, 0o644))
	return dir, weights
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func configureHF(t *testing.T, settings pluginapi.Settings) (*Backend, pluginapi.Diagnostics) {
	t.Helper()
	b := New()
	resp, err := b.Configure(context.Background(), pluginapi.ConfigureRequest{Settings: settings, Seed: 1})
	must(t, err)
	return b, resp.Diagnostics
}

// TestHFCheckpoint: a Hugging Face Qwen3 folder (sharded bf16 weights, the
// real tokenizer) loads with its shape from config.json, encodes with the
// Qwen3 tokenizer, stops at both end tokens, and round-trips through Save.
func TestHFCheckpoint(t *testing.T) {
	dir, weights := writeHFFolder(t, hfShape)
	b, diags := configureHF(t, pluginapi.Settings{"checkpoint": dir})
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	ctx := context.Background()
	info, err := b.Model(ctx)
	must(t, err)
	if info.VocabSize != 151936 || info.ContextLength != 256 || !reflect.DeepEqual(info.StopTokens, []int32{151643, 151645}) || info.Special["eos"] != 151643 {
		t.Fatalf("model info %+v", info)
	}
	for _, ts := range b.m.lay.tensors {
		if got := b.m.params[ts.off : ts.off+ts.size()]; !reflect.DeepEqual(got, weights[ts.name]) {
			t.Fatalf("tensor %s differs from the bf16 values written", ts.name)
		}
	}
	enc, err := b.Encode(ctx, backend.EncodeRequest{Texts: []string{"Hello world", "x<|im_end|>"}})
	must(t, err)
	if !reflect.DeepEqual(enc.IDs, [][]int32{{9707, 1879}, {87, 151645}}) {
		t.Fatalf("encode gave %v", enc.IDs)
	}
	// Greedy generation stops at a stop token or the length limit.
	gen, err := b.Generate(ctx, backend.GenerateRequest{Prompts: [][]int32{{9707, 1879}}, N: 2, Sampling: backend.Sampling{Temperature: 1, MaxTokens: 5}, Seed: 3})
	must(t, err)
	if gen.Diagnostics.HasErrors() || len(gen.Responses) != 2 {
		t.Fatalf("generate: %v", gen.Diagnostics.Err())
	}
	for _, r := range gen.Responses {
		last := r.Tokens[len(r.Tokens)-1]
		if r.Finish == backend.FinishStop && last != 151643 && last != 151645 || r.Finish == backend.FinishLength && len(r.Tokens) != 5 {
			t.Fatalf("response %v finished %q", r.Tokens, r.Finish)
		}
	}
	// Save writes a Hugging Face folder again (weights, config, tokenizer) that loads to the same model.
	out := filepath.Join(t.TempDir(), "ckpt")
	save, err := b.Save(ctx, backend.SaveRequest{Dir: out})
	must(t, err)
	if save.Diagnostics.HasErrors() {
		t.Fatal(save.Diagnostics.Err())
	}
	if _, err := os.Stat(filepath.Join(out, "optimizer.safetensors")); !os.IsNotExist(err) {
		t.Fatalf("an untrained model saved optimizer state: %v", err)
	}
	b2, diags := configureHF(t, pluginapi.Settings{"checkpoint": out})
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	if !reflect.DeepEqual(b2.m.params, b.m.params) || !reflect.DeepEqual(b2.m.tok.stops(), b.m.tok.stops()) {
		t.Fatal("the saved checkpoint loads to another model")
	}
	if b.m.grads != nil || b.m.m1 != nil {
		t.Fatal("gradients or moments were allocated for a model that was not trained")
	}
}

func TestHFCheckpointErrors(t *testing.T) {
	with := func(k string, v any) map[string]any {
		c := map[string]any{}
		for kk, vv := range hfShape {
			c[kk] = vv
		}
		c[k] = v
		return c
	}
	for _, tt := range []struct {
		name     string
		config   map[string]any
		settings pluginapi.Settings
		edit     func(dir string)
		want     string
	}{
		{"architecture", with("model_type", "llama"), nil, nil, `model_type "llama"`},
		{"bias", with("attention_bias", true), nil, nil, "attention_bias = true is not supported"},
		{"recipe disagrees", hfShape, pluginapi.Settings{"layers": 3.0}, nil, "the recipe sets layers = 3, but"},
		{"shape", with("intermediate_size", 64), nil, nil, "tensor model.layers.0.mlp.gate_proj.weight has shape [48 32], the configuration needs [64 32]"},
		{"missing tensor", hfShape, nil, func(dir string) {
			raw, _ := os.ReadFile(filepath.Join(dir, "model.safetensors.index.json"))
			var idx map[string]map[string]string
			json.Unmarshal(raw, &idx)
			delete(idx["weight_map"], "model.norm.weight")
			raw, _ = json.Marshal(idx)
			os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), raw, 0o644)
		}, "tensor model.norm.weight is missing"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir, _ := writeHFFolder(t, hfShape)
			raw, _ := json.Marshal(tt.config)
			must(t, os.WriteFile(filepath.Join(dir, "config.json"), raw, 0o644))
			if tt.edit != nil {
				tt.edit(dir)
			}
			settings := pluginapi.Settings{"checkpoint": dir}
			for k, v := range tt.settings {
				settings[k] = v
			}
			_, diags := configureHF(t, settings)
			if err := diags.Err(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}
