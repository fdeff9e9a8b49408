package data

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// dataDir is the project's copy of the shared data sets.
const dataDir = "../../data"

// TestSharedSets reads every set the project ships and checks the record
// counts stated in its SOURCE.md.
func TestSharedSets(t *testing.T) {
	tests := []struct {
		file    string
		records int
		fields  Fields
	}{
		{"aime24/test.jsonl", 30, Fields{ID: "id"}},
		{"aime25/test.jsonl", 30, Fields{ID: "id"}},
		{"amc23/test.jsonl", 40, Fields{ID: "id"}},
		{"math500/test.jsonl", 500, Fields{ID: "unique_id"}},
		{"minerva_math/test.jsonl", 272, Fields{ID: "id"}},
		{"olympiadbench/test.jsonl", 675, Fields{ID: "id"}},
		{"dapo-math-17k/train.jsonl", 17917, Fields{ID: "id"}},
		{"equivalence/cases.jsonl", 247, Fields{Problem: "pred", Answer: "gold"}},
		{"graded-outputs/qwen25-math-cot-100.jsonl", 464, Fields{Answer: "gold", ID: "id"}},
		{"graded-outputs/nemo-skills-math-rs012.jsonl", 90, Fields{Answer: "gold", ID: "id"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(dataDir, tt.file)
			rows, err := ReadFile(path, "")
			if err != nil {
				t.Fatal(err)
			}
			recs, err := Map(rows, tt.fields, path)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != tt.records {
				t.Errorf("%d records, SOURCE.md says %d", len(recs), tt.records)
			}
			for _, r := range recs {
				if r.Problem == "" || r.Answer == "" || r.ID == "" {
					t.Fatalf("record %s has an empty role: %+v", r.ID, r)
				}
			}
		})
	}
}

// TestDedupDAPO checks the distinct problem count that
// data/dapo-math-17k/SOURCE.md states.
func TestDedupDAPO(t *testing.T) {
	path := filepath.Join(dataDir, "dapo-math-17k/train.jsonl")
	rows, err := ReadFile(path, "")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := Map(rows, Fields{ID: "id"}, path)
	if err != nil {
		t.Fatal(err)
	}
	exact := map[string]bool{}
	for _, r := range recs {
		exact[r.Problem] = true
	}
	if len(exact) != 17290 {
		t.Errorf("%d distinct problem texts, SOURCE.md says 17,290", len(exact))
	}
	// Dedup also merges texts that differ only in white space: 102 more.
	kept, dropped := Dedup(recs)
	if len(kept) != 17188 || dropped != 17917-17188 {
		t.Errorf("kept %d, dropped %d; want 17,188 kept", len(kept), dropped)
	}
	if kept[0].ID != recs[0].ID {
		t.Errorf("dedup must keep the first record of a text")
	}
}

func TestNumbersAsText(t *testing.T) {
	recs, err := Map([]Row{{"problem": "p", "answer": 27.0}, {"problem": "q", "answer": -1.5}}, Fields{}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if recs[0].Answer != "27" || recs[1].Answer != "-1.5" || recs[1].ID != "1" {
		t.Errorf("got %+v", recs)
	}
}

func TestMissingField(t *testing.T) {
	_, err := Map([]Row{{"question": "p", "answer": "1"}}, Fields{}, "set.jsonl")
	if err == nil || !strings.Contains(err.Error(), `"question"`) || !strings.Contains(err.Error(), "set.jsonl: record 1") {
		t.Errorf("error should name the file, the record and the fields it has: %v", err)
	}
}

func TestJSONLErrorLine(t *testing.T) {
	_, err := ReadJSONL(strings.NewReader("{\"a\": 1}\n\n{oops}\n"), "x.jsonl")
	if err == nil || !strings.Contains(err.Error(), "x.jsonl:3") {
		t.Errorf("want an error at x.jsonl:3, got %v", err)
	}
}

func TestParquet(t *testing.T) {
	type rewardModel struct {
		GroundTruth string `parquet:"ground_truth"`
		Style       string `parquet:"style"`
	}
	type message struct {
		Content string `parquet:"content"`
		Role    string `parquet:"role"`
	}
	type row struct {
		Prompt      []message   `parquet:"prompt,list"`
		RewardModel rewardModel `parquet:"reward_model"`
		Index       int64       `parquet:"index"`
	}
	in := []row{
		{Prompt: []message{{"What is 1+1?", "user"}}, RewardModel: rewardModel{"2", "rule"}, Index: 7},
		{Prompt: []message{{"What is 2+3?", "user"}}, RewardModel: rewardModel{"5", "rule"}, Index: 8},
	}
	var buf bytes.Buffer
	if err := parquet.Write(&buf, in); err != nil {
		t.Fatal(err)
	}
	rows, err := ReadParquet(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "mem.parquet")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := Map(rows, Fields{Problem: "prompt.0.content", Answer: "reward_model.ground_truth", ID: "index"}, "mem.parquet")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[1].Problem != "What is 2+3?" || recs[1].Answer != "5" || recs[1].ID != "8" {
		t.Errorf("got %+v", recs)
	}
}

func TestShuffle(t *testing.T) {
	recs := make([]Record, 50)
	for i := range recs {
		recs[i].ID = string(rune('A' + i))
	}
	ids := func(rs []Record) string {
		var b strings.Builder
		for _, r := range rs {
			b.WriteString(r.ID)
		}
		return b.String()
	}
	a, b, c := ids(Shuffle(recs, 1)), ids(Shuffle(recs, 1)), ids(Shuffle(recs, 2))
	if a != b {
		t.Error("the same seed must give the same order")
	}
	if a == c || a == ids(recs) {
		t.Error("different seeds must give different orders, and the order must change")
	}
	if ids(recs)[0] != 'A' {
		t.Error("Shuffle must not change its argument")
	}
}

func TestPrompt(t *testing.T) {
	tests := []struct {
		template, want string
	}{
		{"paper", "User:\nWhat is 1+1?\nPlease reason step by step, and put your final answer within \\boxed{}.\n\nAssistant:\n"},
		{"raw", "What is 1+1?"},
		{"Q{{.level}}: {{.problem}}", "Q3: What is 1+1?"},
	}
	r := Record{ID: "0", Problem: "What is 1+1?", Answer: "2", Row: Row{"level": 3.0}}
	for _, tt := range tests {
		p, err := NewPrompt(tt.template)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Render(r)
		if err != nil || got != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.template, got, err, tt.want)
		}
	}
	if _, err := NewPrompt("papr"); err == nil || !strings.Contains(err.Error(), "paper") {
		t.Errorf("an unknown name should list the known ones: %v", err)
	}
	p, _ := NewPrompt("{{.missing}}")
	if _, err := p.Render(r); err == nil {
		t.Error("a template naming a missing field must fail")
	}
}
