package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/forkrl/forkrl/formats/bpe"
)

func init() {
	register(&command{
		name:    "tokenize",
		summary: "encode or decode JSON lines with a Hugging Face tokenizer.json",
		run:     runTokenize,
	})
}

func runTokenize(args []string) int {
	fs := usage{
		name:  "tokenize",
		flags: "--tokenizer PATH --jsonl [--decode]",
		args:  "[FILE]",
		about: []string{"Reads FILE or standard input, writes standard output, one output line per input line."},
	}.flagSet(os.Stderr)
	path := fs.String("tokenizer", "", "path of a tokenizer.json (or tokenizer.json.gz)")
	jsonl := fs.Bool("jsonl", false, `read one JSON string per line and write {"ids": [...]} per line`)
	decode := fs.Bool("decode", false, `the reverse: read {"ids": [...]} (or a bare array) per line and write one JSON string per line`)
	files, code := fs.parse(args)
	if code >= 0 {
		return code
	}
	if *path == "" || !*jsonl {
		fs.Usage()
		return 2
	}
	tok, err := bpe.Load(*path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "forkrl tokenize:", err)
		return 1
	}
	in := io.Reader(os.Stdin)
	name := "stdin"
	if len(files) == 1 {
		f, err := os.Open(files[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, "forkrl tokenize:", err)
			return 1
		}
		defer f.Close()
		in, name = f, files[0]
	}
	if err := tokenizeLines(tok, in, os.Stdout, *decode); err != nil {
		fmt.Fprintf(os.Stderr, "forkrl tokenize: %s:%v\n", name, err)
		return 1
	}
	return 0
}

// tokenizeLines converts each input line; an error names the line.
func tokenizeLines(tok *bpe.Tokenizer, r io.Reader, w io.Writer, decode bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<26)
	out := bufio.NewWriter(w)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for line := 1; sc.Scan(); line++ {
		if !decode {
			var text string
			if err := json.Unmarshal(sc.Bytes(), &text); err != nil {
				return fmt.Errorf("%d: want a JSON string: %v", line, err)
			}
			ids := tok.Encode(text)
			if ids == nil {
				ids = []int32{}
			}
			if err := enc.Encode(struct {
				IDs []int32 `json:"ids"`
			}{ids}); err != nil {
				return err
			}
			continue
		}
		var obj struct {
			IDs []int32 `json:"ids"`
		}
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			if err2 := json.Unmarshal(sc.Bytes(), &obj.IDs); err2 != nil {
				return fmt.Errorf(`%d: want {"ids": [...]} or an array of ids: %v`, line, err)
			}
		}
		text, err := tok.Decode(obj.IDs)
		if err != nil {
			return fmt.Errorf("%d: %v", line, err)
		}
		if err := enc.Encode(text); err != nil {
			return err
		}
	}
	return sc.Err()
}
