// Package gguf writes GGUF v3 files (the model format of llama.cpp) from
// Qwen3 weights named as Hugging Face names them, so that llama.cpp can run
// exactly the weights a forkrl backend runs.
//
// Only what export needs is here: F32 tensors, the metadata keys of
// llama.cpp's qwen3 architecture, and a minimal byte-level vocabulary that
// satisfies llama.cpp's loader (the caller feeds token ids, not text).
package gguf

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"

	"github.com/forkrl/forkrl/formats/bpe"
	"github.com/forkrl/forkrl/internal/atomicfile"
)

// Value types of GGUF metadata.
const (
	typeUint32  = 4
	typeInt32   = 5
	typeFloat32 = 6
	typeBool    = 7
	typeString  = 8
	typeArray   = 9
	typeUint64  = 10
)

// ggmlF32 is ggml's type id of float32 tensors.
const ggmlF32 = 0

// alignment of tensor data, the GGUF default.
const alignment = 32

// Qwen3Config is the part of a Hugging Face Qwen3 config.json that llama.cpp needs.
type Qwen3Config struct {
	VocabSize         int
	HiddenSize        int
	IntermediateSize  int
	NumLayers         int
	NumHeads          int
	NumKVHeads        int
	HeadDim           int
	MaxPositions      int
	RopeTheta         float64
	RMSNormEps        float64
	TieWordEmbeddings bool
}

// Tensor is a row-major float32 tensor with its shape, slowest dimension first
// (Hugging Face's order: a Linear weight is [out, in]).
type Tensor struct {
	Shape []int
	Data  []float32
}

// hfToGGUF maps Hugging Face Qwen3 tensor names to llama.cpp's.
var hfToGGUF = []struct {
	re  *regexp.Regexp
	out string
}{
	{regexp.MustCompile(`^model\.embed_tokens\.weight$`), "token_embd.weight"},
	{regexp.MustCompile(`^model\.norm\.weight$`), "output_norm.weight"},
	{regexp.MustCompile(`^lm_head\.weight$`), "output.weight"},
	{regexp.MustCompile(`^model\.layers\.(\d+)\.input_layernorm\.weight$`), "blk.$1.attn_norm.weight"},
	{regexp.MustCompile(`^model\.layers\.(\d+)\.post_attention_layernorm\.weight$`), "blk.$1.ffn_norm.weight"},
	{regexp.MustCompile(`^model\.layers\.(\d+)\.self_attn\.q_proj\.weight$`), "blk.$1.attn_q.weight"},
	{regexp.MustCompile(`^model\.layers\.(\d+)\.self_attn\.k_proj\.weight$`), "blk.$1.attn_k.weight"},
	{regexp.MustCompile(`^model\.layers\.(\d+)\.self_attn\.v_proj\.weight$`), "blk.$1.attn_v.weight"},
	{regexp.MustCompile(`^model\.layers\.(\d+)\.self_attn\.o_proj\.weight$`), "blk.$1.attn_output.weight"},
	{regexp.MustCompile(`^model\.layers\.(\d+)\.self_attn\.q_norm\.weight$`), "blk.$1.attn_q_norm.weight"},
	{regexp.MustCompile(`^model\.layers\.(\d+)\.self_attn\.k_norm\.weight$`), "blk.$1.attn_k_norm.weight"},
	{regexp.MustCompile(`^model\.layers\.(\d+)\.mlp\.gate_proj\.weight$`), "blk.$1.ffn_gate.weight"},
	{regexp.MustCompile(`^model\.layers\.(\d+)\.mlp\.up_proj\.weight$`), "blk.$1.ffn_up.weight"},
	{regexp.MustCompile(`^model\.layers\.(\d+)\.mlp\.down_proj\.weight$`), "blk.$1.ffn_down.weight"},
}

// GGUFName returns llama.cpp's name of a Hugging Face Qwen3 tensor.
func GGUFName(hf string) (string, bool) {
	for _, m := range hfToGGUF {
		if m.re.MatchString(hf) {
			return m.re.ReplaceAllString(hf, m.out), true
		}
	}
	return "", false
}

// WriteQwen3 writes a GGUF v3 file of a Qwen3 model whose tensors are keyed
// by their Hugging Face names. Every tensor must have a llama.cpp name and
// the shape the config implies. The file is written atomically.
func WriteQwen3(path string, cfg Qwen3Config, tensors map[string]Tensor) error {
	if err := checkQwen3(cfg, tensors); err != nil {
		return err
	}
	type entry struct {
		name string
		t    Tensor
	}
	var entries []entry
	for hf, t := range tensors {
		name, _ := GGUFName(hf)
		entries = append(entries, entry{name, t})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })

	meta := newMetadata()
	meta.str("general.architecture", "qwen3")
	meta.str("general.name", "forkrl tinylm export")
	meta.u32("general.alignment", alignment)
	meta.u32("qwen3.context_length", uint32(cfg.MaxPositions))
	meta.u32("qwen3.embedding_length", uint32(cfg.HiddenSize))
	meta.u32("qwen3.block_count", uint32(cfg.NumLayers))
	meta.u32("qwen3.feed_forward_length", uint32(cfg.IntermediateSize))
	meta.u32("qwen3.attention.head_count", uint32(cfg.NumHeads))
	meta.u32("qwen3.attention.head_count_kv", uint32(cfg.NumKVHeads))
	meta.u32("qwen3.attention.key_length", uint32(cfg.HeadDim))
	meta.u32("qwen3.attention.value_length", uint32(cfg.HeadDim))
	meta.f32("qwen3.rope.freq_base", float32(cfg.RopeTheta))
	meta.f32("qwen3.attention.layer_norm_rms_epsilon", float32(cfg.RMSNormEps))
	addVocabulary(meta, cfg.VocabSize)

	return atomicfile.Write(path, func(w io.Writer) error {
		bw := &errWriter{w: w}
		bw.raw([]byte("GGUF"))
		bw.le(uint32(3))
		bw.le(uint64(len(entries)))
		bw.le(uint64(meta.count))
		bw.raw(meta.buf)
		offset := uint64(0)
		for _, e := range entries {
			bw.str(e.name)
			bw.le(uint32(len(e.t.Shape)))
			for i := len(e.t.Shape) - 1; i >= 0; i-- { // GGUF dims: fastest first
				bw.le(uint64(e.t.Shape[i]))
			}
			bw.le(uint32(ggmlF32))
			bw.le(offset)
			offset += pad(uint64(4 * len(e.t.Data)))
		}
		bw.pad()
		for _, e := range entries {
			buf := make([]byte, 4*len(e.t.Data))
			for i, x := range e.t.Data {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
			}
			bw.raw(buf)
			bw.pad()
		}
		return bw.err
	})
}

func checkQwen3(cfg Qwen3Config, tensors map[string]Tensor) error {
	if cfg.VocabSize < 260 {
		return fmt.Errorf("gguf: vocabulary of %d tokens; llama.cpp's loader needs the 256 byte tokens and a few control tokens (at least 260)", cfg.VocabSize)
	}
	if cfg.NumKVHeads <= 0 || cfg.NumHeads%cfg.NumKVHeads != 0 {
		return fmt.Errorf("gguf: %d heads are not a multiple of %d KV heads", cfg.NumHeads, cfg.NumKVHeads)
	}
	d, hd, q, kv, ff, v := cfg.HiddenSize, cfg.HeadDim, cfg.NumHeads*cfg.HeadDim, cfg.NumKVHeads*cfg.HeadDim, cfg.IntermediateSize, cfg.VocabSize
	want := map[string][]int{
		"model.embed_tokens.weight": {v, d},
		"model.norm.weight":         {d},
	}
	if !cfg.TieWordEmbeddings {
		want["lm_head.weight"] = []int{v, d}
	}
	for l := range cfg.NumLayers {
		p := "model.layers." + strconv.Itoa(l) + "."
		want[p+"input_layernorm.weight"] = []int{d}
		want[p+"post_attention_layernorm.weight"] = []int{d}
		want[p+"self_attn.q_proj.weight"] = []int{q, d}
		want[p+"self_attn.k_proj.weight"] = []int{kv, d}
		want[p+"self_attn.v_proj.weight"] = []int{kv, d}
		want[p+"self_attn.o_proj.weight"] = []int{d, q}
		want[p+"self_attn.q_norm.weight"] = []int{hd}
		want[p+"self_attn.k_norm.weight"] = []int{hd}
		want[p+"mlp.gate_proj.weight"] = []int{ff, d}
		want[p+"mlp.up_proj.weight"] = []int{ff, d}
		want[p+"mlp.down_proj.weight"] = []int{d, ff}
	}
	for name, shape := range want {
		t, ok := tensors[name]
		if !ok {
			return fmt.Errorf("gguf: tensor %s is missing", name)
		}
		if fmt.Sprint(t.Shape) != fmt.Sprint(shape) {
			return fmt.Errorf("gguf: tensor %s has shape %v, the config implies %v", name, t.Shape, shape)
		}
		n := 1
		for _, s := range shape {
			n *= s
		}
		if len(t.Data) != n {
			return fmt.Errorf("gguf: tensor %s has %d values for shape %v", name, len(t.Data), shape)
		}
	}
	for name := range tensors {
		if _, ok := want[name]; !ok {
			return fmt.Errorf("gguf: tensor %s is not part of a Qwen3 model with this config", name)
		}
	}
	return nil
}

// addVocabulary writes a GPT-2-style vocabulary of n tokens: the 256
// byte-level tokens, then control tokens; the last is end-of-text.
func addVocabulary(m *metadata, n int) {
	tokens := make([]string, n)
	types := make([]int32, n)
	for i := range n {
		switch {
		case i < 256:
			tokens[i] = string(bpe.ByteRune(byte(i)))
			types[i] = 1 // normal
		default:
			tokens[i] = fmt.Sprintf("<|control_%d|>", i)
			types[i] = 3 // control
		}
	}
	m.str("tokenizer.ggml.model", "gpt2")
	m.str("tokenizer.ggml.pre", "qwen2")
	m.strArray("tokenizer.ggml.tokens", tokens)
	m.i32Array("tokenizer.ggml.token_type", types)
	m.strArray("tokenizer.ggml.merges", nil)
	m.u32("tokenizer.ggml.bos_token_id", uint32(n-1))
	m.u32("tokenizer.ggml.eos_token_id", uint32(n-1))
	m.u32("tokenizer.ggml.padding_token_id", uint32(n-1))
	m.boolean("tokenizer.ggml.add_bos_token", false)
}

// metadata accumulates encoded key-value pairs.
type metadata struct {
	buf   []byte
	count int
}

func newMetadata() *metadata { return &metadata{} }

func (m *metadata) key(k string, typ uint32) {
	m.buf = binary.LittleEndian.AppendUint64(m.buf, uint64(len(k)))
	m.buf = append(m.buf, k...)
	m.buf = binary.LittleEndian.AppendUint32(m.buf, typ)
	m.count++
}

func (m *metadata) str(k, v string) {
	m.key(k, typeString)
	m.buf = binary.LittleEndian.AppendUint64(m.buf, uint64(len(v)))
	m.buf = append(m.buf, v...)
}

func (m *metadata) u32(k string, v uint32) {
	m.key(k, typeUint32)
	m.buf = binary.LittleEndian.AppendUint32(m.buf, v)
}

func (m *metadata) f32(k string, v float32) {
	m.key(k, typeFloat32)
	m.buf = binary.LittleEndian.AppendUint32(m.buf, math.Float32bits(v))
}

func (m *metadata) boolean(k string, v bool) {
	m.key(k, typeBool)
	b := byte(0)
	if v {
		b = 1
	}
	m.buf = append(m.buf, b)
}

func (m *metadata) strArray(k string, vs []string) {
	m.key(k, typeArray)
	m.buf = binary.LittleEndian.AppendUint32(m.buf, typeString)
	m.buf = binary.LittleEndian.AppendUint64(m.buf, uint64(len(vs)))
	for _, v := range vs {
		m.buf = binary.LittleEndian.AppendUint64(m.buf, uint64(len(v)))
		m.buf = append(m.buf, v...)
	}
}

func (m *metadata) i32Array(k string, vs []int32) {
	m.key(k, typeArray)
	m.buf = binary.LittleEndian.AppendUint32(m.buf, typeInt32)
	m.buf = binary.LittleEndian.AppendUint64(m.buf, uint64(len(vs)))
	for _, v := range vs {
		m.buf = binary.LittleEndian.AppendUint32(m.buf, uint32(v))
	}
}

func pad(n uint64) uint64 { return (n + alignment - 1) / alignment * alignment }

// errWriter writes little-endian values, remembering the first error and
// the number of bytes written (for alignment padding).
type errWriter struct {
	w   io.Writer
	n   uint64
	err error
}

func (w *errWriter) raw(b []byte) {
	if w.err != nil {
		return
	}
	var n int
	n, w.err = w.w.Write(b)
	w.n += uint64(n)
}

func (w *errWriter) le(v any) {
	b, err := binary.Append(nil, binary.LittleEndian, v)
	if err != nil && w.err == nil {
		w.err = err
	}
	w.raw(b)
}

func (w *errWriter) str(s string) {
	w.le(uint64(len(s)))
	w.raw([]byte(s))
}

func (w *errWriter) pad() {
	if r := w.n % alignment; r != 0 {
		w.raw(make([]byte, alignment-r))
	}
}
