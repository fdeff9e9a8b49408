package tinylm

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/forkrl/forkrl/formats/bpe"
	"github.com/forkrl/forkrl/framework/pluginapi"
	"github.com/forkrl/forkrl/internal/atomicfile"
)

// Hugging Face checkpoints: a folder with config.json, model.safetensors (or
// shards and model.safetensors.index.json), tokenizer.json and optionally
// tokenizer_config.json and generation_config.json. tinylm runs Qwen3 models
// from such a folder: the shape comes from config.json, the tokenizer from
// tokenizer.json, the stop tokens from the end-of-sequence ids of
// config.json and generation_config.json.

// hfTokenizerFiles are copied along when a model loaded from a Hugging Face
// folder is saved, so that its checkpoints are Hugging Face folders too.
var hfTokenizerFiles = []string{"tokenizer.json", "tokenizer_config.json", "generation_config.json"}

// isHFFolder reports whether a checkpoint setting names a Hugging Face
// model folder (one with a tokenizer.json) rather than a checkpoint of a
// character-level tinylm model.
func isHFFolder(dir string) bool {
	if dir == "" {
		return false
	}
	_, err := os.Stat(filepath.Join(dir, "tokenizer.json"))
	return err == nil
}

// shapeSettings are the settings a Hugging Face config.json decides; a
// recipe that sets one to another value is refused. The context is the
// recipe's when it sets one (the KV cache of generation is as long as the
// context), else config.json's max_position_embeddings.
var shapeSettings = []string{"layers", "width", "heads", "kv_heads", "head_dim", "mlp_width", "tie_embeddings", "rope_theta", "rms_norm_eps"}

// loadHF builds a model from a Hugging Face Qwen3 folder. settings are the
// recipe's own (without defaults), checked against config.json.
func loadHF(base Config, settings pluginapi.Settings) (*model, error) {
	dir := base.Checkpoint
	path := filepath.Join(dir, configFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var hc hfConfig
	var eos struct {
		ID json.RawMessage `json:"eos_token_id"` // one id or a list
	}
	err = json.Unmarshal(raw, &hc)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && slices.Contains([]string{"eos_token_id", "bos_token_id", "pad_token_id"}, typeErr.Field) {
		err = nil // a list of ids: eos is read below, the others are optional
	}
	if err == nil {
		err = json.Unmarshal(raw, &eos)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if hc.ModelType != "qwen3" || !slices.Contains(hc.Architectures, "Qwen3ForCausalLM") {
		return nil, fmt.Errorf("%s: model_type %q, architectures %v: tinylm runs Qwen3 (model_type \"qwen3\", Qwen3ForCausalLM) only", path, hc.ModelType, hc.Architectures)
	}
	if hc.HiddenAct != "" && hc.HiddenAct != "silu" {
		return nil, fmt.Errorf("%s: hidden_act %q is not supported (Qwen3 uses silu)", path, hc.HiddenAct)
	}
	if hc.AttentionBias {
		return nil, fmt.Errorf("%s: attention_bias = true is not supported (Qwen3 has none)", path)
	}
	if hc.UseSlidingWindow {
		return nil, fmt.Errorf("%s: use_sliding_window = true is not supported", path)
	}
	cfg := base
	cfg.Layers, cfg.Width, cfg.Heads, cfg.KVHeads = hc.NumHiddenLayers, hc.HiddenSize, hc.NumAttentionHeads, hc.NumKeyValueHeads
	cfg.HeadDim, cfg.MLPWidth, cfg.Tie = hc.HeadDim, hc.IntermediateSize, hc.TieWordEmbeddings
	cfg.RopeTheta, cfg.NormEps = hc.RopeTheta, float32(hc.RMSNormEps)
	if cfg.HeadDim == 0 && cfg.Heads > 0 {
		cfg.HeadDim = cfg.Width / cfg.Heads
	}
	if !isSet(settings, "context") && hc.MaxPositionEmbeddings > 0 {
		cfg.Context = hc.MaxPositionEmbeddings
	}
	if cfg.Layers <= 0 || cfg.Width <= 0 || cfg.Heads <= 0 || cfg.KVHeads <= 0 || cfg.Heads%cfg.KVHeads != 0 || cfg.HeadDim%2 != 0 || cfg.MLPWidth <= 0 || hc.VocabSize <= 0 {
		return nil, fmt.Errorf("%s: inconsistent shape: %d layers, hidden %d, %d heads, %d KV heads, head_dim %d, intermediate %d, vocabulary %d",
			path, cfg.Layers, cfg.Width, cfg.Heads, cfg.KVHeads, cfg.HeadDim, cfg.MLPWidth, hc.VocabSize)
	}
	got := map[string]any{
		"layers": float64(cfg.Layers), "width": float64(cfg.Width), "heads": float64(cfg.Heads), "kv_heads": float64(cfg.KVHeads),
		"head_dim": float64(cfg.HeadDim), "mlp_width": float64(cfg.MLPWidth), "tie_embeddings": cfg.Tie,
		"rope_theta": cfg.RopeTheta, "rms_norm_eps": hc.RMSNormEps,
	}
	for _, name := range shapeSettings {
		if v := settings[name]; isSet(settings, name) && !sameSetting(v, got[name]) {
			return nil, fmt.Errorf("the recipe sets %s = %v, but %s says %v; leave it out (the checkpoint decides the shape)", name, v, path, got[name])
		}
	}
	if cfg.ValueHead {
		return nil, errors.New("value_head = true is not supported with a Hugging Face checkpoint (it has no value head); use a separate critic")
	}

	tok, err := loadHFTokenizer(dir, hc, eos.ID)
	if err != nil {
		return nil, err
	}
	if tok.vocabSize() > hc.VocabSize {
		return nil, fmt.Errorf("%s: vocab_size %d is smaller than the tokenizer's %d tokens", path, hc.VocabSize, tok.vocabSize())
	}
	cfg.Alphabet = ""
	m := newModel(cfg, tok, hc.VocabSize)
	if err := m.load(dir); err != nil {
		return nil, err
	}
	return m, nil
}

// isSet reports whether the recipe gives a setting a value other than the
// schema's default (hosts fill the defaults in before Configure).
func isSet(settings pluginapi.Settings, name string) bool {
	v, ok := settings[name]
	if !ok {
		return false
	}
	a, _ := Schema().Lookup(name)
	return !sameSetting(v, a.Default)
}

// sameSetting compares a recipe value with a config.json value.
func sameSetting(a, b any) bool {
	fa, oka := a.(float64)
	fb, okb := b.(float64)
	if oka && okb {
		return math.Abs(fa-fb) <= 1e-9*math.Max(math.Abs(fa), math.Abs(fb))
	}
	return a == b
}

// hfTokenizer is a Hugging Face tokenizer.json with the special-token roles
// and stop tokens of its model folder.
type hfTokenizer struct {
	dir   string
	bpe   *bpe.Tokenizer
	role  map[string]int32
	stop  []int32
	vocab int
}

// loadHFTokenizer reads tokenizer.json; the roles come from config.json's
// bos/eos/pad ids, the stop tokens from its eos_token_id (one id or a list)
// and generation_config.json's.
func loadHFTokenizer(dir string, hc hfConfig, eos json.RawMessage) (*hfTokenizer, error) {
	b, err := bpe.Load(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		return nil, err
	}
	t := &hfTokenizer{dir: dir, bpe: b, role: map[string]int32{}, vocab: b.VocabSize()}
	stops, err := eosIDs(eos)
	if err != nil {
		return nil, fmt.Errorf("%s: eos_token_id: %w", filepath.Join(dir, configFile), err)
	}
	if raw, err := os.ReadFile(filepath.Join(dir, "generation_config.json")); err == nil {
		var gc struct {
			EOS json.RawMessage `json:"eos_token_id"`
		}
		if err := json.Unmarshal(raw, &gc); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "generation_config.json"), err)
		}
		more, err := eosIDs(gc.EOS)
		if err != nil {
			return nil, fmt.Errorf("%s: eos_token_id: %w", filepath.Join(dir, "generation_config.json"), err)
		}
		for _, id := range more {
			if !slices.Contains(stops, id) {
				stops = append(stops, id)
			}
		}
	}
	if len(stops) == 0 {
		if id, ok := b.TokenID("<|endoftext|>"); ok {
			stops = []int32{id}
		}
	}
	t.stop = stops
	if len(stops) > 0 {
		t.role["eos"] = stops[0]
	}
	if hc.BOSTokenID > 0 {
		t.role["bos"] = hc.BOSTokenID
	}
	if hc.PadTokenID > 0 {
		t.role["pad"] = hc.PadTokenID
	}
	return t, nil
}

// eosIDs reads an eos_token_id that is absent, null, one id or a list.
func eosIDs(raw json.RawMessage) ([]int32, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one int32
	if err := json.Unmarshal(raw, &one); err == nil {
		return []int32{one}, nil
	}
	var many []int32
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, fmt.Errorf("%s is neither an id nor a list of ids", raw)
	}
	return many, nil
}

func (t *hfTokenizer) name() string                        { return "hf:" + filepath.Base(t.dir) }
func (t *hfTokenizer) vocabSize() int                      { return t.vocab }
func (t *hfTokenizer) encode(text string) ([]int32, error) { return t.bpe.Encode(text), nil }
func (t *hfTokenizer) decode(ids []int32) (string, error)  { return t.bpe.Decode(ids) }
func (t *hfTokenizer) roles() map[string]int32             { return t.role }
func (t *hfTokenizer) stops() []int32                      { return t.stop }
func (t *hfTokenizer) piece(id int32) (string, error) {
	if id < 0 || int(id) >= t.vocab {
		return "", fmt.Errorf("token id %d is outside the tokenizer's vocabulary [0, %d)", id, t.vocab)
	}
	return t.bpe.Piece(id), nil
}

// copyFiles copies the tokenizer's files into a checkpoint folder.
func (t *hfTokenizer) copyFiles(dir string) error {
	for _, name := range hfTokenizerFiles {
		data, err := os.ReadFile(filepath.Join(t.dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	return nil
}
