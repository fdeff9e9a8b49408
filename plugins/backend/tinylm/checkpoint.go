package tinylm

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
)

// Checkpoint files inside a checkpoint directory.
const (
	weightsFile   = "model.safetensors"     // weights, Hugging Face Qwen3 names
	configFile    = "config.json"           // Hugging Face Qwen3 config (+ the tokenizer's alphabet)
	optimizerFile = "optimizer.safetensors" // AdamW moments under exp_avg./exp_avg_sq. and the step count
)

// stEntry is one tensor of a safetensors header.
type stEntry struct {
	DType   string `json:"dtype"`
	Shape   []int  `json:"shape"`
	Offsets [2]int `json:"data_offsets"`
}

// namedData is a tensor to write: its name, shape and values.
type namedData struct {
	name  string
	shape []int
	data  []float32
}

// writeSafetensors writes tensors as one safetensors file, atomically: a
// temporary file in the same directory, synced, then renamed.
func writeSafetensors(path string, tensors []namedData, meta map[string]string) error {
	header := map[string]any{}
	if len(meta) > 0 {
		header["__metadata__"] = meta
	}
	off := 0
	for _, t := range tensors {
		header[t.name] = stEntry{DType: "F32", Shape: t.shape, Offsets: [2]int{off, off + 4*len(t.data)}}
		off += 4 * len(t.data)
	}
	h, err := json.Marshal(header)
	if err != nil {
		return err
	}
	for len(h)%8 != 0 { // align the data as the format recommends
		h = append(h, ' ')
	}
	buf := make([]byte, 8+len(h)+off)
	binary.LittleEndian.PutUint64(buf, uint64(len(h)))
	copy(buf[8:], h)
	p := buf[8+len(h):]
	for _, t := range tensors {
		for _, v := range t.data {
			binary.LittleEndian.PutUint32(p, math.Float32bits(v))
			p = p[4:]
		}
	}
	return writeAtomic(path, buf)
}

func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// safetensors is a read safetensors file.
type safetensors struct {
	path    string
	entries map[string]stEntry
	meta    map[string]string
	data    []byte
}

func readSafetensors(path string) (*safetensors, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(buf) < 8 {
		return nil, fmt.Errorf("%s: too short to be a safetensors file", path)
	}
	n := binary.LittleEndian.Uint64(buf)
	if n > uint64(len(buf)-8) {
		return nil, fmt.Errorf("%s: header length %d exceeds the file", path, n)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(buf[8:8+n], &raw); err != nil {
		return nil, fmt.Errorf("%s: bad header: %w", path, err)
	}
	st := &safetensors{path: path, entries: map[string]stEntry{}, data: buf[8+n:]}
	for name, v := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(v, &st.meta); err != nil {
				return nil, fmt.Errorf("%s: bad metadata: %w", path, err)
			}
			continue
		}
		var e stEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("%s: bad header entry %q: %w", path, name, err)
		}
		st.entries[name] = e
	}
	return st, nil
}

// read copies the tensor name into dst, checking its dtype and shape.
func (st *safetensors) read(name string, shape []int, dst []float32) error {
	e, ok := st.entries[name]
	if !ok {
		return fmt.Errorf("%s: tensor %s is missing", st.path, name)
	}
	if e.DType != "F32" {
		return fmt.Errorf("%s: tensor %s has dtype %s; tinylm reads F32 only", st.path, name, e.DType)
	}
	if !slices.Equal(e.Shape, shape) {
		return fmt.Errorf("%s: tensor %s has shape %v, the configuration needs %v", st.path, name, e.Shape, shape)
	}
	lo, hi := e.Offsets[0], e.Offsets[1]
	if lo < 0 || hi > len(st.data) || hi-lo != 4*len(dst) {
		return fmt.Errorf("%s: tensor %s has data offsets [%d, %d) that do not fit its shape or the file", st.path, name, lo, hi)
	}
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(st.data[lo+4*i:]))
	}
	return nil
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
	c := m.cfg
	return hfConfig{
		Architectures: []string{"Qwen3ForCausalLM"}, ModelType: "qwen3",
		VocabSize: m.vocab, HiddenSize: c.Width, IntermediateSize: c.MLPWidth, NumHiddenLayers: c.Layers,
		NumAttentionHeads: c.Heads, NumKeyValueHeads: c.KVHeads, HeadDim: c.HeadDim,
		MaxPositionEmbeddings: c.Context, RMSNormEps: float64(c.NormEps), RopeTheta: c.RopeTheta,
		TieWordEmbeddings: c.Tie, HiddenAct: "silu", InitializerRange: c.InitStd, UseCache: true,
		MaxWindowLayers: c.Layers,
		BOSTokenID:      m.tok.special(specialBOS), EOSTokenID: m.tok.special(specialEOS), PadTokenID: m.tok.special(specialPad),
		TorchDType: "float32",
		Tinylm:     tinylmConfig{Tokenizer: "chars", Alphabet: c.Alphabet, ValueHead: c.ValueHead},
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
	if err := writeAtomic(filepath.Join(dir, configFile), append(cfg, '\n')); err != nil {
		return err
	}
	var weights, moments []namedData
	for _, t := range m.lay.tensors {
		n := t.size()
		weights = append(weights, namedData{t.name, t.shape, m.params[t.off : t.off+n]})
		moments = append(moments,
			namedData{"exp_avg." + t.name, t.shape, m.m1[t.off : t.off+n]},
			namedData{"exp_avg_sq." + t.name, t.shape, m.m2[t.off : t.off+n]})
	}
	sort.Slice(weights, func(i, j int) bool { return weights[i].name < weights[j].name })
	if err := writeSafetensors(filepath.Join(dir, weightsFile), weights, map[string]string{"format": "pt"}); err != nil {
		return err
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
	st, err := readSafetensors(filepath.Join(dir, weightsFile))
	if err != nil {
		return err
	}
	params := make([]float32, len(m.params))
	for _, t := range m.lay.tensors {
		if err := st.read(t.name, t.shape, params[t.off:t.off+t.size()]); err != nil {
			return err
		}
	}
	m1, m2 := make([]float32, len(m.params)), make([]float32, len(m.params))
	var step int64
	opt, err := readSafetensors(filepath.Join(dir, optimizerFile))
	switch {
	case os.IsNotExist(err):
	case err != nil:
		return err
	default:
		for _, t := range m.lay.tensors {
			if err := opt.read("exp_avg."+t.name, t.shape, m1[t.off:t.off+t.size()]); err != nil {
				return err
			}
			if err := opt.read("exp_avg_sq."+t.name, t.shape, m2[t.off:t.off+t.size()]); err != nil {
				return err
			}
		}
		if step, err = strconv.ParseInt(opt.meta["step"], 10, 64); err != nil {
			return fmt.Errorf("%s: bad step %q in the metadata", opt.path, opt.meta["step"])
		}
	}
	m.params, m.m1, m.m2, m.step = params, m1, m2, step
	clear(m.grads)
	return nil
}
