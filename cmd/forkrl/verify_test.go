package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	mathverifier "github.com/forkrl/forkrl/plugins/verifier/math"
)

func TestVerifyFile(t *testing.T) {
	tests := []struct {
		name, input string
		want        []string // lines or substrings the report must hold
		err         string
	}{
		{
			name: "agreement",
			input: `{"response": "so \\boxed{\\frac12}", "pred": "wrong", "gold": "0.5", "equal": true}
{"pred": "3", "gold": "4", "equal": true, "id": "p7"}
{"kind": "extract", "pred": "The final answer is $7$.", "gold": "$7$", "equal": true}
{"pred": "\\text{(C)}", "gold": "C"}
`,
			want: []string{`x.jsonl:2 (p7): verifier says not equal, reference says equal: answer "3", gold "4"`, "correct: 3/4 (75.0%)", "agreement: 2/3 (66.7%)"},
		},
		{name: "no verdicts", input: `{"pred": "1", "gold": "1"}` + "\n", want: []string{"correct: 1/1 (100.0%)"}},
		{name: "no gold", input: `{"pred": "1"}` + "\n", err: `x.jsonl:1: the line has no "gold" field`},
		{name: "bad json", input: "{\n", err: "x.jsonl:1: not a JSON object"},
		{name: "empty", input: "\n", err: "no lines to grade"},
	}
	g, err := mathverifier.New(mathverifier.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := verifyFile(&out, strings.NewReader(tt.input), "x.jsonl", g, false)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("want error %q, got %v", tt.err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("report lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// TestVerifyGradedOutputs runs the command on the project's graded outputs:
// the report ends with the agreement line.
func TestVerifyGradedOutputs(t *testing.T) {
	files, err := filepath.Glob("../../data/graded-outputs/*.jsonl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no graded outputs: %v", err)
	}
	g, err := mathverifier.New(mathverifier.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		in, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		err = verifyFile(&out, in, f, g, false)
		in.Close()
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if last := lines[len(lines)-1]; !strings.HasPrefix(last, "agreement: ") {
			t.Errorf("%s: last line %q", f, last)
		}
	}
}
