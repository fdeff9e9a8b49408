package bpe

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/dlclark/regexp2/v2"
)

var qwenDir = filepath.Join("..", "..", "data", "tokenizers", "qwen3")

var (
	qwenOnce sync.Once
	qwenTok  *Tokenizer
	qwenErr  error
)

func qwen(t testing.TB) *Tokenizer {
	t.Helper()
	qwenOnce.Do(func() { qwenTok, qwenErr = Load(filepath.Join(qwenDir, "tokenizer.json.gz")) })
	if qwenErr != nil {
		t.Fatal(qwenErr)
	}
	return qwenTok
}

type golden struct {
	Text string  `json:"text"`
	IDs  []int32 `json:"ids"`
}

func readGolden(t testing.TB) []golden {
	t.Helper()
	f, err := os.Open(filepath.Join(qwenDir, "golden.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []golden
	sc := bufio.NewScanner(gz)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var g golden
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			t.Fatal(err)
		}
		out = append(out, g)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGolden: every text gives exactly the ids of Hugging Face's tokenizers
// library, and decodes back to the text.
func TestGolden(t *testing.T) {
	tok := qwen(t)
	cases := readGolden(t)
	if len(cases) != 2931 {
		t.Fatalf("golden.jsonl has %d lines, SOURCE.md says 2,931", len(cases))
	}
	bad := 0
	for i, g := range cases {
		got := tok.Encode(g.Text)
		if !reflect.DeepEqual(got, g.IDs) && !(len(got) == 0 && len(g.IDs) == 0) {
			bad++
			if bad <= 5 {
				t.Errorf("line %d %q:\n got  %v\n want %v", i+1, g.Text, got, g.IDs)
			}
			continue
		}
		text, err := tok.Decode(got)
		if err != nil {
			t.Fatal(err)
		}
		if want := normNFC(g.Text); text != want {
			t.Errorf("line %d: decode gives %q, want %q", i+1, text, want)
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d texts differ from the reference", bad, len(cases))
	}
}

// TestScannerMatchesRegexp: the hand-written Qwen splitter cuts every golden
// text, and random texts, exactly as the pattern does through regexp2.
func TestScannerMatchesRegexp(t *testing.T) {
	ref := regexpSplitter{regexp2.MustCompile(qwenPattern, regexp2.Unicode)}
	texts := []string{"", " ", "  ", "a  b", "a \n\n b", "x\r\n", "it's I'LL 'Ve", "ſ'ſ", " 'd", "12 345", "  $x$ ", "\t\t", "a\u3000\u3000b", "é", "e\u0301"}
	for _, g := range readGolden(t) {
		texts = append(texts, g.Text)
	}
	for _, text := range texts {
		checkSplit(t, ref, text)
	}
}

func checkSplit(t *testing.T, ref regexpSplitter, text string) {
	t.Helper()
	var got, want []string
	qwenSplitter{}.split(text, func(p string) { got = append(got, p) })
	ref.split(text, func(p string) { want = append(want, p) })
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("split %q:\n got  %q\n want %q", text, got, want)
	}
}

func FuzzScanner(f *testing.F) {
	for _, s := range []string{"Hello world", "a  \n b", "it's", "x = 3.5\r\n", "日本語 テキスト", "\u00a0\u2028 x"} {
		f.Add(s)
	}
	ref := regexpSplitter{regexp2.MustCompile(qwenPattern, regexp2.Unicode)}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // regexp2 works on runes; both agree only on valid text
		}
		checkSplit(t, ref, s)
		tok := qwen(t)
		text, err := tok.Decode(tok.Encode(s))
		if err != nil {
			t.Fatal(err)
		}
		if text != normNFC(s) {
			t.Fatalf("round trip %q gave %q", s, text)
		}
	})
}

func TestAddedTokens(t *testing.T) {
	tok := qwen(t)
	ids := tok.Encode("<|im_start|>user\nHi<|im_end|><|endoftext|>")
	start, _ := tok.TokenID("<|im_start|>")
	end, _ := tok.TokenID("<|im_end|>")
	eot, _ := tok.TokenID("<|endoftext|>")
	if start != 151644 || end != 151645 || eot != 151643 {
		t.Fatalf("special ids %d %d %d", start, end, eot)
	}
	if ids[0] != start || ids[len(ids)-2] != end || ids[len(ids)-1] != eot {
		t.Fatalf("ids %v do not keep the special tokens whole", ids)
	}
	if !tok.IsSpecial(eot) {
		t.Fatal("<|endoftext|> should be special")
	}
	if tok.VocabSize() != 151669 {
		t.Fatalf("vocabulary size %d, want 151669", tok.VocabSize())
	}
	if _, err := tok.Decode([]int32{5, 1 << 20}); err == nil || !strings.Contains(err.Error(), "outside the vocabulary") {
		t.Fatalf("got %v, want an out-of-vocabulary error", err)
	}
}

// TestMergeFormats: "a b" strings and ["a", "b"] pairs give the same tokenizer.
func TestMergeFormats(t *testing.T) {
	vocab := `{"a":0,"b":1,"ab":2,"abb":3}`
	mk := func(merges string) *Tokenizer {
		var bytes []string
		for b := 0; b < 256; b++ {
			s, _ := json.Marshal(string(byteToRune[b]))
			bytes = append(bytes, string(s)+":"+itoa(10+b))
		}
		v := strings.TrimSuffix(vocab, "}") + "," + strings.Join(bytes, ",") + "}"
		v = strings.Replace(v, `"a":0,`, "", 1)
		v = strings.Replace(v, `"b":1,`, "", 1)
		doc := `{"model":{"type":"BPE","vocab":` + v + `,"merges":` + merges + `},"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"use_regex":false}}`
		tok, err := Parse([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	a := mk(`["a b","ab b"]`).Encode("abbab")
	b := mk(`[["a","b"],["ab","b"]]`).Encode("abbab")
	if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(a, []int32{3, 2}) {
		t.Fatalf("merges as strings %v, as pairs %v; want [3 2]", a, b)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct{ doc, want string }{
		{`{`, "not a tokenizer.json"},
		{`{"model":{"type":"Unigram"}}`, "only byte-level BPE"},
		{`{"model":{"type":"BPE","vocab":{}}}`, "lacks the byte-level token"},
	} {
		if _, err := Parse([]byte(tt.doc)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%s): got %v, want %q", tt.doc, err, tt.want)
		}
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// BenchmarkEncode: encoding throughput over the golden texts on one goroutine.
func BenchmarkEncode(b *testing.B) {
	tok := qwen(b)
	cases := readGolden(b)
	n := 0
	for _, g := range cases {
		n += len(g.Text)
	}
	b.SetBytes(int64(n))
	for b.Loop() {
		for _, g := range cases {
			tok.Encode(g.Text)
		}
	}
}

// BenchmarkEncodeCold: as BenchmarkEncode with the pre-token memo cleared on
// every pass: the cost of merging by rank.
func BenchmarkEncodeCold(b *testing.B) {
	tok := qwen(b)
	cases := readGolden(b)
	n := 0
	for _, g := range cases {
		n += len(g.Text)
	}
	b.SetBytes(int64(n))
	for b.Loop() {
		tok.cacheMu.Lock()
		clear(tok.cache)
		tok.cacheMu.Unlock()
		for _, g := range cases {
			tok.Encode(g.Text)
		}
	}
}
