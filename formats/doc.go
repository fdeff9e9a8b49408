// Package formats is the home of the file formats that forkrl's backends
// share, one sub-package each, none of them a plugin: bpe (Hugging Face
// byte-level BPE tokenizers), safetensors (weights, single or sharded) and
// gguf (export for llama.cpp, and the llama.cpp parity tools).
package formats
