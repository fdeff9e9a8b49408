package tinylm

import (
	"fmt"
	"math"

	"github.com/forkrl/forkrl/framework/pluginapi"
)

// Config is the shape of a tinylm model and its tokenizer, decoded from the
// recipe's settings.
type Config struct {
	Layers    int     // transformer blocks
	Width     int     // hidden size
	Heads     int     // query heads
	KVHeads   int     // key/value heads (grouped-query attention); divides Heads
	HeadDim   int     // size of one head
	MLPWidth  int     // inner size of the SwiGLU MLP
	Context   int     // longest prompt+response
	Tie       bool    // the output projection is the embedding matrix
	RopeTheta float64 // base of the rotary frequencies
	NormEps   float32 // ε of every RMSNorm
	InitStd   float64 // standard deviation of the initial weight matrices
	ValueHead bool    // a linear value head on the final hidden state (PPO)
	Alphabet  string  // the characters of the character tokenizer
	// Checkpoint is a directory written by Save to load at Configure; empty: a fresh model.
	Checkpoint string
}

// DefaultAlphabet is the tokenizer's alphabet when the recipe names none: a
// newline and the printable ASCII characters.
const DefaultAlphabet = "\n !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"

func f64(v float64) *float64 { return &v }

// Schema is the schema of tinylm's recipe settings.
func Schema() pluginapi.Schema {
	num := func(name, desc string, def, lo, hi float64) pluginapi.Attribute {
		return pluginapi.Attribute{Name: name, Type: "number", Description: desc, Default: def, Min: f64(lo), Max: f64(hi)}
	}
	return pluginapi.Schema{Attributes: []pluginapi.Attribute{
		num("layers", "number of transformer blocks", 4, 1, 256),
		num("width", "hidden size", 128, 1, 65536),
		num("heads", "number of query heads", 4, 1, 1024),
		num("kv_heads", "number of key/value heads (grouped-query attention); must divide heads", 2, 1, 1024),
		num("head_dim", "size of one attention head (even); 0: width/heads", 0, 0, 4096),
		num("mlp_width", "inner size of the SwiGLU MLP", 384, 1, 1<<20),
		num("context", "longest prompt+response in tokens", 128, 2, 1<<20),
		{Name: "tie_embeddings", Type: "bool", Description: "use the token embedding as the output projection", Default: true},
		num("rope_theta", "base of the rotary position frequencies", 10000, 1, 1e12),
		num("rms_norm_eps", "epsilon of the RMSNorm layers", 1e-6, 0, 1),
		num("init_std", "standard deviation of the initial weight matrices (from the run seed)", 0.02, 0, 10),
		{Name: "value_head", Type: "bool", Description: "add a linear value head on the final hidden state (PPO)", Default: false},
		{Name: "tokenizer", Type: "string", Description: "the tokenizer: one token per character of the alphabet, plus <bos>, <eos> and <pad>", Default: "chars", Enum: []string{"chars"}},
		{Name: "alphabet", Type: "string", Description: "the characters of the tokenizer, each once; the task chooses them", Default: DefaultAlphabet},
		{Name: "checkpoint", Type: "path", Description: "a checkpoint directory (written by Save, or a Hugging Face Qwen3 folder) to load at start, relative to the recipe's folder; its shapes must match these settings", Default: ""},
	}}
}

// DefaultConfig is the configuration of the schema's defaults.
func DefaultConfig() Config {
	c, diags := ParseSettings(nil)
	if diags.HasErrors() {
		panic("tinylm: the schema's defaults do not parse: " + diags.Err().Error())
	}
	return c
}

// ParseSettings decodes and checks recipe settings; absent ones take the
// schema's defaults.
func ParseSettings(s pluginapi.Settings) (Config, pluginapi.Diagnostics) {
	var diags pluginapi.Diagnostics
	schema := Schema()
	for name := range s {
		if _, ok := schema.Lookup(name); !ok {
			diags = append(diags, pluginapi.Diagnostic{Summary: fmt.Sprintf("unknown setting %q", name), Attribute: name})
		}
	}
	value := func(name string) any {
		if v, ok := s[name]; ok {
			return v
		}
		a, _ := schema.Lookup(name)
		return a.Default
	}
	integer := func(name string) int {
		a, _ := schema.Lookup(name)
		f, ok := value(name).(float64)
		if !ok {
			diags = append(diags, pluginapi.Diagnostic{Summary: fmt.Sprintf("must be a number, got %T", value(name)), Attribute: name})
			return 0
		}
		if f != math.Trunc(f) || f < *a.Min || f > *a.Max {
			diags = append(diags, pluginapi.Diagnostic{Summary: fmt.Sprintf("must be a whole number between %g and %g, got %g", *a.Min, *a.Max, f), Attribute: name})
			return 0
		}
		return int(f)
	}
	number := func(name string) float64 {
		a, _ := schema.Lookup(name)
		f, ok := value(name).(float64)
		if !ok || f < *a.Min || f > *a.Max {
			diags = append(diags, pluginapi.Diagnostic{Summary: fmt.Sprintf("must be a number between %g and %g, got %v", *a.Min, *a.Max, value(name)), Attribute: name})
		}
		return f
	}
	boolean := func(name string) bool {
		b, ok := value(name).(bool)
		if !ok {
			diags = append(diags, pluginapi.Diagnostic{Summary: fmt.Sprintf("must be true or false, got %v", value(name)), Attribute: name})
		}
		return b
	}
	str := func(name string) string {
		v, ok := value(name).(string)
		if !ok {
			diags = append(diags, pluginapi.Diagnostic{Summary: fmt.Sprintf("must be a string, got %T", value(name)), Attribute: name})
		}
		return v
	}
	c := Config{
		Layers:     integer("layers"),
		Width:      integer("width"),
		Heads:      integer("heads"),
		KVHeads:    integer("kv_heads"),
		HeadDim:    integer("head_dim"),
		MLPWidth:   integer("mlp_width"),
		Context:    integer("context"),
		Tie:        boolean("tie_embeddings"),
		RopeTheta:  number("rope_theta"),
		NormEps:    float32(number("rms_norm_eps")),
		InitStd:    number("init_std"),
		ValueHead:  boolean("value_head"),
		Alphabet:   str("alphabet"),
		Checkpoint: str("checkpoint"),
	}
	if t := str("tokenizer"); t != "chars" {
		diags = append(diags, pluginapi.Diagnostic{Summary: fmt.Sprintf("unknown tokenizer %q", t), Detail: `the only tokenizer is "chars"`, Attribute: "tokenizer"})
	}
	if diags.HasErrors() {
		return c, diags
	}
	if c.HeadDim == 0 {
		if c.Width%c.Heads != 0 {
			diags = append(diags, pluginapi.Diagnostic{Summary: fmt.Sprintf("width %d is not a multiple of heads %d", c.Width, c.Heads), Detail: "set head_dim explicitly", Attribute: "head_dim"})
		}
		c.HeadDim = c.Width / c.Heads
	}
	if c.HeadDim%2 != 0 {
		diags = append(diags, pluginapi.Diagnostic{Summary: fmt.Sprintf("head_dim %d must be even (rotary embeddings rotate pairs)", c.HeadDim), Attribute: "head_dim"})
	}
	if c.Heads%c.KVHeads != 0 {
		diags = append(diags, pluginapi.Diagnostic{Summary: fmt.Sprintf("kv_heads %d must divide heads %d", c.KVHeads, c.Heads), Attribute: "kv_heads"})
	}
	if _, err := newCharTokenizer(c.Alphabet); err != nil {
		diags = append(diags, pluginapi.Diagnostic{Summary: err.Error(), Attribute: "alphabet"})
	}
	return c, diags
}
