package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAnalyzeCommand(t *testing.T) {
	recipePath := filepath.Join("testdata", "run", "tiny.hcl")
	jsonPath := filepath.Join(t.TempDir(), "analysis.json")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings of the output
		stderr string
	}{
		{"bad k", []string{"--k", "0", "--run", "tiny-seed1", recipePath}, 2, nil, "--k and --problems must be at least 1"},
		{"several runs need --run", []string{recipePath}, 2, nil, "choose one with --run NAME"},
		{"a missing checkpoint", []string{"--run", "tiny-seed1", "--checkpoint", "no/such/dir", recipePath}, 1, nil, "no/such/dir"},
		{
			"reports the figures", []string{"--run", "tiny-seed1", "--problems", "4", "--k", "2", "--min-count", "1", "--json", jsonPath, recipePath}, 0,
			[]string{"4 held-out problems of countdown × 2 samples at T=1 (seed 1): accuracy", "entropy below 0.01:", "top 20% of tokens hold", "average entropy by role:"}, "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := analyzeCommand(tt.args, &stdout, &stderr)
			ok := code == tt.code && strings.Contains(stderr.String(), tt.stderr)
			for _, s := range tt.stdout {
				ok = ok && strings.Contains(stdout.String(), s)
			}
			if !ok {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
		})
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep analyzeReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	// A random 2-layer model: 4 problems × 2 samples of up to 24 tokens.
	if rep.Problems != 4 || rep.K != 2 || rep.Entropy.Responses != 8 || rep.Entropy.Tokens < 8 || rep.Entropy.Tokens > 8*24 || len(rep.Roles) == 0 {
		t.Errorf("report %+v", rep)
	}
	verdicts := 0
	for _, n := range rep.Verdicts {
		verdicts += n
	}
	if verdicts != 8 {
		t.Errorf("verdicts %v: want one for each of the 8 samples", rep.Verdicts)
	}
}

func TestTokenRoles(t *testing.T) {
	got := tokenRoles([]string{"7", "*", "3", "=", "2", "1", " ", "a", "n", "s", ":", "7", "\n", ""})
	want := "operand operator operand equals result result space verdict answer-mark answer-mark answer-mark answer end <special>"
	if strings.Join(got, " ") != want {
		t.Errorf("tokenRoles = %v\nwant %s", got, want)
	}
}
