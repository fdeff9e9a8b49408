package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forkrl/forkrl/formats/bpe"
)

func TestTokenizeLines(t *testing.T) {
	tok, err := bpe.Load(filepath.Join("..", "..", "data", "tokenizers", "qwen3", "tokenizer.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	var enc bytes.Buffer
	if err := tokenizeLines(tok, strings.NewReader("\"Hello world\"\n\"\"\n\"x<|im_end|>\"\n"), &enc, false); err != nil {
		t.Fatal(err)
	}
	want := "{\"ids\":[9707,1879]}\n{\"ids\":[]}\n{\"ids\":[87,151645]}\n"
	if enc.String() != want {
		t.Fatalf("encode gave %q, want %q", enc.String(), want)
	}
	var dec bytes.Buffer
	if err := tokenizeLines(tok, &enc, &dec, true); err != nil {
		t.Fatal(err)
	}
	if want := "\"Hello world\"\n\"\"\n\"x<|im_end|>\"\n"; dec.String() != want {
		t.Fatalf("decode gave %q, want %q", dec.String(), want)
	}
	err = tokenizeLines(tok, strings.NewReader("\"ok\"\nnot json\n"), &bytes.Buffer{}, false)
	if err == nil || !strings.HasPrefix(err.Error(), "2: want a JSON string") {
		t.Fatalf("got %v, want an error on line 2", err)
	}
}
