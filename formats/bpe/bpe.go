// Package bpe reads Hugging Face tokenizer.json files of byte-level BPE
// tokenizers (GPT-2, Qwen2, Qwen3 and their kin) and encodes and decodes
// text exactly as Hugging Face's tokenizers library does.
//
// Encoding runs the stages of tokenizer.json in order: added and special
// tokens are matched first (leftmost-longest), the text between them is
// NFC-normalised, split by the pre-tokenizer's regular expression, mapped
// byte by byte onto the byte-level alphabet and merged by rank. The Qwen
// split pattern, whose lookahead `\s+(?!\S)` Go's regexp cannot express, is
// matched by a hand-written scanner (the same pattern through regexp2 is the
// reference it is tested against); other patterns go through regexp2.
package bpe

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/dlclark/regexp2/v2"
	"golang.org/x/text/unicode/norm"
)

// Tokenizer is a byte-level BPE tokenizer. It is safe for concurrent use.
type Tokenizer struct {
	vocab   map[string]int32 // token (in the byte-level alphabet) -> id
	tokens  []string         // id -> token; added tokens hold their content
	isAdded []bool           // id -> whether it is an added token (content is raw text)
	merges  map[[2]int32]merge
	byteID  [256]int32 // id of each single byte's token
	added   []addedToken
	nfc     bool
	split   splitter

	cacheMu sync.RWMutex
	cache   map[string][]int32
}

type merge struct {
	rank int32
	id   int32
}

type addedToken struct {
	content string
	id      int32
	special bool
}

// splitter cuts normalised text into pre-tokens.
type splitter interface {
	split(text string, emit func(piece string))
}

// cacheLimit bounds the memo of encoded pre-tokens.
const cacheLimit = 1 << 18

// Load reads a tokenizer.json file; a name ending in .gz is decompressed.
func Load(path string) (*Tokenizer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("tokenizer %s: %w", path, err)
		}
		defer gz.Close()
		r = gz
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("tokenizer %s: %w", path, err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("tokenizer %s: %w", path, err)
	}
	return t, nil
}

// The parts of tokenizer.json this package reads.
type fileJSON struct {
	AddedTokens []struct {
		ID      int32  `json:"id"`
		Content string `json:"content"`
		Special bool   `json:"special"`
	} `json:"added_tokens"`
	Normalizer   *stageJSON `json:"normalizer"`
	PreTokenizer *stageJSON `json:"pre_tokenizer"`
	Model        struct {
		Type          string            `json:"type"`
		Vocab         map[string]int32  `json:"vocab"`
		Merges        []json.RawMessage `json:"merges"`
		ByteFallback  bool              `json:"byte_fallback"`
		ContinuingSub string            `json:"continuing_subword_prefix"`
		EndOfWord     string            `json:"end_of_word_suffix"`
	} `json:"model"`
}

type stageJSON struct {
	Type          string      `json:"type"`
	Normalizers   []stageJSON `json:"normalizers"`
	Pretokenizers []stageJSON `json:"pretokenizers"`
	Pattern       struct {
		Regex  string `json:"Regex"`
		String string `json:"String"`
	} `json:"pattern"`
	Behavior       string `json:"behavior"`
	Invert         bool   `json:"invert"`
	AddPrefixSpace bool   `json:"add_prefix_space"`
	UseRegex       bool   `json:"use_regex"`
}

// Parse builds a tokenizer from the contents of a tokenizer.json file. It
// refuses the features it does not implement rather than tokenizing
// differently from the reference.
func Parse(data []byte) (*Tokenizer, error) {
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("not a tokenizer.json file: %w", err)
	}
	if f.Model.Type != "BPE" {
		return nil, fmt.Errorf("model type %q is not supported (only byte-level BPE)", f.Model.Type)
	}
	if f.Model.ByteFallback || f.Model.ContinuingSub != "" || f.Model.EndOfWord != "" {
		return nil, errors.New("BPE with byte_fallback, continuing_subword_prefix or end_of_word_suffix is not supported")
	}
	t := &Tokenizer{vocab: f.Model.Vocab, merges: map[[2]int32]merge{}, cache: map[string][]int32{}}
	size := int32(0)
	for _, id := range t.vocab {
		size = max(size, id+1)
	}
	for _, a := range f.AddedTokens {
		size = max(size, a.ID+1)
	}
	t.tokens = make([]string, size)
	t.isAdded = make([]bool, size)
	for tok, id := range t.vocab {
		if id < 0 {
			return nil, fmt.Errorf("vocabulary token %q has negative id %d", tok, id)
		}
		t.tokens[id] = tok
	}
	for _, a := range f.AddedTokens {
		if a.Content == "" {
			return nil, fmt.Errorf("added token %d has empty content", a.ID)
		}
		t.tokens[a.ID] = a.Content
		t.isAdded[a.ID] = true
		t.added = append(t.added, addedToken{a.Content, a.ID, a.Special})
	}
	// Longest first, so that a scan takes the longest match at a position.
	sort.SliceStable(t.added, func(i, j int) bool { return len(t.added[i].content) > len(t.added[j].content) })

	for b := 0; b < 256; b++ {
		ch := string(byteToRune[b])
		id, ok := t.vocab[ch]
		if !ok {
			return nil, fmt.Errorf("vocabulary lacks the byte-level token %q of byte 0x%02x", ch, b)
		}
		t.byteID[b] = id
	}
	for rank, raw := range f.Model.Merges {
		a, b, err := parseMerge(raw)
		if err != nil {
			return nil, fmt.Errorf("merge %d: %w", rank, err)
		}
		ia, oka := t.vocab[a]
		ib, okb := t.vocab[b]
		im, okm := t.vocab[a+b]
		if !oka || !okb || !okm {
			return nil, fmt.Errorf("merge %d (%q %q) names tokens missing from the vocabulary", rank, a, b)
		}
		key := [2]int32{ia, ib}
		if _, dup := t.merges[key]; !dup {
			t.merges[key] = merge{rank: int32(rank), id: im}
		}
	}

	var err error
	if t.nfc, err = parseNormalizer(f.Normalizer); err != nil {
		return nil, err
	}
	if t.split, err = parsePreTokenizer(f.PreTokenizer); err != nil {
		return nil, err
	}
	return t, nil
}

// parseMerge reads a merge in either format: "a b" or ["a", "b"].
func parseMerge(raw json.RawMessage) (string, string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		a, b, ok := strings.Cut(s, " ")
		if !ok {
			return "", "", fmt.Errorf("%q is not two tokens separated by a space", s)
		}
		return a, b, nil
	}
	var pair []string
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return "", "", fmt.Errorf("%s is neither \"a b\" nor [\"a\", \"b\"]", raw)
	}
	return pair[0], pair[1], nil
}

func parseNormalizer(n *stageJSON) (nfc bool, err error) {
	if n == nil {
		return false, nil
	}
	switch n.Type {
	case "NFC":
		return true, nil
	case "Sequence":
		for i := range n.Normalizers {
			x, err := parseNormalizer(&n.Normalizers[i])
			if err != nil {
				return false, err
			}
			nfc = nfc || x
		}
		return nfc, nil
	}
	return false, fmt.Errorf("normalizer %q is not supported", n.Type)
}

func parsePreTokenizer(p *stageJSON) (splitter, error) {
	if p == nil {
		return wholeText{}, nil
	}
	switch p.Type {
	case "Sequence":
		var sp splitter = wholeText{}
		for i := range p.Pretokenizers {
			s, err := parsePreTokenizer(&p.Pretokenizers[i])
			if err != nil {
				return nil, err
			}
			if _, whole := s.(wholeText); !whole {
				if _, already := sp.(wholeText); !already {
					return nil, errors.New("pre-tokenizer: more than one splitting stage is not supported")
				}
				sp = s
			}
		}
		return sp, nil
	case "ByteLevel":
		if p.AddPrefixSpace || p.UseRegex {
			return nil, errors.New("ByteLevel pre-tokenizer with add_prefix_space or use_regex is not supported")
		}
		return wholeText{}, nil // the byte-level mapping itself is applied to every piece
	case "Split":
		if p.Behavior != "Isolated" || p.Invert {
			return nil, fmt.Errorf("Split pre-tokenizer with behavior %q (invert %v) is not supported", p.Behavior, p.Invert)
		}
		if p.Pattern.Regex == "" {
			return nil, errors.New("Split pre-tokenizer without a regex is not supported")
		}
		if p.Pattern.Regex == qwenPattern {
			return qwenSplitter{}, nil
		}
		re, err := regexp2.Compile(p.Pattern.Regex, regexp2.Unicode)
		if err != nil {
			return nil, fmt.Errorf("Split pre-tokenizer pattern: %w", err)
		}
		return regexpSplitter{re}, nil
	}
	return nil, fmt.Errorf("pre-tokenizer %q is not supported", p.Type)
}

// wholeText keeps the text as one piece.
type wholeText struct{}

func (wholeText) split(text string, emit func(string)) {
	if text != "" {
		emit(text)
	}
}

// regexpSplitter isolates every match of a pattern; the text between
// matches becomes pieces of its own.
type regexpSplitter struct{ re *regexp2.Regexp }

func (s regexpSplitter) split(text string, emit func(string)) {
	runes := []rune(text)
	last := 0
	matches, _ := s.re.FindAllRunesIndex(runes, -1)
	for _, m := range matches {
		if m[0] > last {
			emit(string(runes[last:m[0]]))
		}
		if m[1] > m[0] {
			emit(string(runes[m[0]:m[1]]))
		}
		last = m[1]
	}
	if last < len(runes) {
		emit(string(runes[last:]))
	}
}

// VocabSize is the number of token ids, added tokens included.
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// TokenID returns the id of a token given by its text (an added token's
// content, or a vocabulary entry in the byte-level alphabet).
func (t *Tokenizer) TokenID(token string) (int32, bool) {
	for _, a := range t.added {
		if a.content == token {
			return a.id, true
		}
	}
	id, ok := t.vocab[token]
	return id, ok
}

// Encode returns the token ids of text, without any template or special
// tokens added around it (Hugging Face's add_special_tokens = false).
func (t *Tokenizer) Encode(text string) []int32 {
	var ids []int32
	for text != "" {
		at, tok := t.nextAdded(text)
		t.encodeOrdinary(text[:at], &ids)
		if tok == nil {
			break
		}
		ids = append(ids, tok.id)
		text = text[at+len(tok.content):]
	}
	return ids
}

// nextAdded finds the leftmost added token in text (the longest at that
// position) and returns its offset, or len(text) and nil.
func (t *Tokenizer) nextAdded(text string) (int, *addedToken) {
	if len(t.added) == 0 {
		return len(text), nil
	}
	best, bestAt := -1, len(text)
	for i := range t.added {
		at := strings.Index(text[:min(len(text), bestAt+len(t.added[i].content))], t.added[i].content)
		if at >= 0 && (at < bestAt || (at == bestAt && best >= 0 && len(t.added[i].content) > len(t.added[best].content))) {
			best, bestAt = i, at
		}
	}
	if best < 0 {
		return len(text), nil
	}
	return bestAt, &t.added[best]
}

func (t *Tokenizer) encodeOrdinary(text string, ids *[]int32) {
	if text == "" {
		return
	}
	if t.nfc {
		text = norm.NFC.String(text)
	}
	t.split.split(text, func(piece string) {
		*ids = append(*ids, t.encodePiece(piece)...)
	})
}

// encodePiece merges the byte-level symbols of one pre-token by rank.
func (t *Tokenizer) encodePiece(piece string) []int32 {
	t.cacheMu.RLock()
	cached, ok := t.cache[piece]
	t.cacheMu.RUnlock()
	if ok {
		return cached
	}
	syms := make([]int32, len(piece))
	for i := 0; i < len(piece); i++ {
		syms[i] = t.byteID[piece[i]]
	}
	// Repeatedly merge the adjacent pair of lowest rank (leftmost on ties).
	for len(syms) > 1 {
		bestRank, bestAt := int32(-1), -1
		var bestID int32
		for i := 0; i+1 < len(syms); i++ {
			if m, ok := t.merges[[2]int32{syms[i], syms[i+1]}]; ok && (bestAt < 0 || m.rank < bestRank) {
				bestRank, bestAt, bestID = m.rank, i, m.id
			}
		}
		if bestAt < 0 {
			break
		}
		// One merge at a time, as the reference's priority queue does.
		syms[bestAt] = bestID
		syms = append(syms[:bestAt+1], syms[bestAt+2:]...)
	}
	t.cacheMu.Lock()
	if len(t.cache) >= cacheLimit {
		clear(t.cache)
	}
	t.cache[piece] = syms
	t.cacheMu.Unlock()
	return syms
}

// Decode returns the text of ids. Bytes that do not form valid UTF-8 become
// U+FFFD. Ids outside the vocabulary are an error.
func (t *Tokenizer) Decode(ids []int32) (string, error) {
	var b []byte
	for _, id := range ids {
		if id < 0 || int(id) >= len(t.tokens) || t.tokens[id] == "" {
			return "", fmt.Errorf("token id %d is outside the vocabulary (size %d)", id, len(t.tokens))
		}
		b = t.appendToken(b, id)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), nil
}

// Piece returns the bytes of one token as text (possibly a partial UTF-8
// sequence for tokens that split a character).
func (t *Tokenizer) Piece(id int32) string {
	if id < 0 || int(id) >= len(t.tokens) {
		return ""
	}
	return string(t.appendToken(nil, id))
}

func (t *Tokenizer) appendToken(b []byte, id int32) []byte {
	tok := t.tokens[id]
	if t.isAdded[id] {
		return append(b, tok...)
	}
	for _, r := range tok {
		if int(r) < len(runeToByte) && runeToByte[r] >= 0 {
			b = append(b, byte(runeToByte[r]))
		} else {
			b = utf8.AppendRune(b, r) // not in the byte-level alphabet: kept as text
		}
	}
	return b
}

// IsSpecial reports whether id is a special token (such as <|endoftext|>).
func (t *Tokenizer) IsSpecial(id int32) bool {
	for _, a := range t.added {
		if a.id == id {
			return a.special
		}
	}
	return false
}

// ByteRune is the printable stand-in of a byte in GPT-2's byte-level
// alphabet, in which byte-level BPE vocabularies are written.
func ByteRune(b byte) rune { return byteToRune[b] }

// byteToRune is GPT-2's byte-level alphabet: printable bytes map to
// themselves, the others to code points from U+0100 up.
var byteToRune [256]rune

// runeToByte inverts byteToRune (-1: not in the alphabet).
var runeToByte [324]int16

func init() {
	for i := range runeToByte {
		runeToByte[i] = -1
	}
	n := 0
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			byteToRune[b] = rune(b)
		} else {
			byteToRune[b] = rune(256 + n)
			n++
		}
		runeToByte[byteToRune[b]] = int16(b)
	}
}
