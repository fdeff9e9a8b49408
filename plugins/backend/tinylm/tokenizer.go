package tinylm

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// tokenizer turns text into token ids and back: the character tokenizer of
// the built-in tasks, or a Hugging Face tokenizer that comes with a checkpoint.
type tokenizer interface {
	name() string
	vocabSize() int // ids it produces; the model's vocabulary may be larger
	encode(text string) ([]int32, error)
	piece(id int32) (string, error) // the text of one token
	decode(ids []int32) (string, error)
	roles() map[string]int32 // special tokens by role: "bos", "eos", "pad", as far as known
	stops() []int32          // tokens that end a response
}

// charTokenizer maps each character of an alphabet to one token; the special
// tokens <bos>, <eos> and <pad> follow the characters.
type charTokenizer struct {
	chars []rune
	ids   map[rune]int32
}

// The special tokens' offsets after the alphabet.
const (
	specialBOS = iota
	specialEOS
	specialPad
	numSpecial
)

var specialNames = [numSpecial]string{"bos", "eos", "pad"}

func newCharTokenizer(alphabet string) (*charTokenizer, error) {
	if alphabet == "" {
		return nil, fmt.Errorf("the alphabet is empty")
	}
	if !utf8.ValidString(alphabet) {
		return nil, fmt.Errorf("the alphabet is not valid UTF-8")
	}
	t := &charTokenizer{ids: map[rune]int32{}}
	for _, r := range alphabet {
		if _, dup := t.ids[r]; dup {
			return nil, fmt.Errorf("the alphabet holds %q twice", r)
		}
		t.ids[r] = int32(len(t.chars))
		t.chars = append(t.chars, r)
	}
	return t, nil
}

func (t *charTokenizer) name() string { return "chars" }

func (t *charTokenizer) vocabSize() int { return len(t.chars) + numSpecial }

func (t *charTokenizer) roles() map[string]int32 {
	r := map[string]int32{}
	for i, name := range specialNames {
		r[name] = t.special(i)
	}
	return r
}

func (t *charTokenizer) stops() []int32 { return []int32{t.special(specialEOS)} }

func (t *charTokenizer) special(which int) int32 { return int32(len(t.chars) + which) }

// encode returns the ids of text, or an error naming the first character
// outside the alphabet.
func (t *charTokenizer) encode(text string) ([]int32, error) {
	ids := make([]int32, 0, len(text))
	for i, r := range text {
		id, ok := t.ids[r]
		if !ok {
			return nil, fmt.Errorf("character %q (%U) at byte %d is not in the tokenizer's alphabet", r, r, i)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// piece is the text of one token; special tokens have none.
func (t *charTokenizer) piece(id int32) (string, error) {
	if id < 0 || int(id) >= t.vocabSize() {
		return "", fmt.Errorf("token id %d is outside the vocabulary [0, %d)", id, t.vocabSize())
	}
	if int(id) >= len(t.chars) {
		return "", nil
	}
	return string(t.chars[id]), nil
}

func (t *charTokenizer) decode(ids []int32) (string, error) {
	var b strings.Builder
	for _, id := range ids {
		p, err := t.piece(id)
		if err != nil {
			return "", err
		}
		b.WriteString(p)
	}
	return b.String(), nil
}
