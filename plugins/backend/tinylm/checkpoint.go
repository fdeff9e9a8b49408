package tinylm

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/forkrl/forkrl/formats/safetensors"
	"github.com/forkrl/forkrl/internal/atomicfile"
)

// Checkpoint files inside a checkpoint directory.
const (
	weightsFile   = "model.safetensors"     // weights, Hugging Face Qwen3 names
	configFile    = "config.json"           // Hugging Face Qwen3 config (+ the tokenizer's alphabet)
	optimizerFile = "optimizer.safetensors" // AdamW moments under exp_avg./exp_avg_sq. and the step count
)

// writeSafetensors writes tensors as one safetensors file, atomically.
func writeSafetensors(path string, tensors []safetensors.Tensor, meta map[string]string) error {
	return atomicfile.Write(path, func(w io.Writer) error { return safetensors.Write(w, tensors, meta) })
}

// hfConfig is config.json in Hugging Face's Qwen3 format; Tinylm carries what
// Hugging Face has no field for.
type hfConfig struct {
	Architectures         []string     `json:"architectures"`
	ModelType             string       `json:"model_type"`
	VocabSize             int          `json:"vocab_size"`
	HiddenSize            int          `json:"hidden_size"`
	IntermediateSize      int          `json:"intermediate_size"`
	NumHiddenLayers       int          `json:"num_hidden_layers"`
	NumAttentionHeads     int          `json:"num_attention_heads"`
	NumKeyValueHeads      int          `json:"num_key_value_heads"`
	HeadDim               int          `json:"head_dim"`
	MaxPositionEmbeddings int          `json:"max_position_embeddings"`
	RMSNormEps            float64      `json:"rms_norm_eps"`
	RopeTheta             float64      `json:"rope_theta"`
	TieWordEmbeddings     bool         `json:"tie_word_embeddings"`
	HiddenAct             string       `json:"hidden_act"`
	AttentionBias         bool         `json:"attention_bias"`
	AttentionDropout      float64      `json:"attention_dropout"`
	InitializerRange      float64      `json:"initializer_range"`
	UseCache              bool         `json:"use_cache"`
	UseSlidingWindow      bool         `json:"use_sliding_window"`
	MaxWindowLayers       int          `json:"max_window_layers"`
	BOSTokenID            int32        `json:"bos_token_id"`
	EOSTokenID            int32        `json:"eos_token_id"`
	PadTokenID            int32        `json:"pad_token_id"`
	TorchDType            string       `json:"torch_dtype"`
	Tinylm                tinylmConfig `json:"tinylm"`
}

type tinylmConfig struct {
	Tokenizer string `json:"tokenizer"`
	Alphabet  string `json:"alphabet"`
	ValueHead bool   `json:"value_head"`
}

func (m *model) hfConfig() hfConfig {
	c, roles := m.cfg, m.tok.roles()
	return hfConfig{
		Architectures: []string{"Qwen3ForCausalLM"}, ModelType: "qwen3",
		VocabSize: m.vocab, HiddenSize: c.Width, IntermediateSize: c.MLPWidth, NumHiddenLayers: c.Layers,
		NumAttentionHeads: c.Heads, NumKeyValueHeads: c.KVHeads, HeadDim: c.HeadDim,
		MaxPositionEmbeddings: c.Context, RMSNormEps: float64(c.NormEps), RopeTheta: c.RopeTheta,
		TieWordEmbeddings: c.Tie, HiddenAct: "silu", InitializerRange: c.InitStd, UseCache: true,
		MaxWindowLayers: c.Layers,
		BOSTokenID:      roles["bos"], EOSTokenID: roles["eos"], PadTokenID: roles["pad"],
		TorchDType: "float32",
		Tinylm:     tinylmConfig{Tokenizer: m.tok.name(), Alphabet: c.Alphabet, ValueHead: c.ValueHead},
	}
}

// save writes the weights, config.json and the optimizer state into dir.
func (m *model) save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cfg, err := json.MarshalIndent(m.hfConfig(), "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, configFile), append(cfg, '\n')); err != nil {
		return err
	}
	if hf, ok := m.tok.(*hfTokenizer); ok {
		if err := hf.copyFiles(dir); err != nil {
			return err
		}
	}
	var weights, moments []safetensors.Tensor
	for _, t := range m.lay.tensors {
		n := t.size()
		weights = append(weights, safetensors.Tensor{Name: t.name, Shape: t.shape, Data: m.params[t.off : t.off+n]})
		if m.m1 != nil {
			moments = append(moments,
				safetensors.Tensor{Name: "exp_avg." + t.name, Shape: t.shape, Data: m.m1[t.off : t.off+n]},
				safetensors.Tensor{Name: "exp_avg_sq." + t.name, Shape: t.shape, Data: m.m2[t.off : t.off+n]})
		}
	}
	if err := writeSafetensors(filepath.Join(dir, weightsFile), weights, map[string]string{"format": "pt"}); err != nil {
		return err
	}
	if m.m1 == nil { // never trained: no optimizer state to keep
		if err := os.Remove(filepath.Join(dir, optimizerFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	return writeSafetensors(filepath.Join(dir, optimizerFile), moments, map[string]string{"step": strconv.FormatInt(m.step, 10)})
}

// load reads a checkpoint written by save (or Hugging Face weights of the
// same shapes, with a fresh optimizer when optimizer.safetensors is absent).
// On error the model is left unchanged.
func (m *model) load(dir string) error {
	if raw, err := os.ReadFile(filepath.Join(dir, configFile)); err == nil {
		var hc hfConfig
		if err := json.Unmarshal(raw, &hc); err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(dir, configFile), err)
		}
		if hc.Tinylm.Alphabet != "" && hc.Tinylm.Alphabet != m.cfg.Alphabet {
			return fmt.Errorf("%s: the checkpoint's alphabet %q differs from the configured %q", filepath.Join(dir, configFile), hc.Tinylm.Alphabet, m.cfg.Alphabet)
		}
	}
	st, err := safetensors.OpenDir(dir)
	if err != nil {
		return err
	}
	defer st.Close()
	params := make([]float32, len(m.params))
	for _, t := range m.lay.tensors {
		if err := st.Read(t.name, t.shape, params[t.off:t.off+t.size()]); err != nil {
			return err
		}
	}
	var m1, m2 []float32 // none saved: a fresh optimizer
	var step int64
	opt, err := safetensors.Open(filepath.Join(dir, optimizerFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	default:
		defer opt.Close()
		m1, m2 = make([]float32, len(m.params)), make([]float32, len(m.params))
		for _, t := range m.lay.tensors {
			if err := opt.Read("exp_avg."+t.name, t.shape, m1[t.off:t.off+t.size()]); err != nil {
				return err
			}
			if err := opt.Read("exp_avg_sq."+t.name, t.shape, m2[t.off:t.off+t.size()]); err != nil {
				return err
			}
		}
		if step, err = strconv.ParseInt(opt.Metadata()["step"], 10, 64); err != nil {
			return fmt.Errorf("%s: bad step %q in the metadata", opt.Path(), opt.Metadata()["step"])
		}
	}
	m.params, m.m1, m.m2, m.step = params, m1, m2, step
	clear(m.grads)
	return nil
}
